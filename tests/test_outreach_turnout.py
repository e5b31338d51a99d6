"""Turnout per TPS (validation against DPT + DPTb + DPK, roll-ups, pages), targets and the
imports of TPS turnout and historical turnout (all or nothing, clear row messages)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from posko.core.models import AuditEntry
from posko.elections.models import Tps
from posko.outreach import participation, services
from posko.outreach.imports import HistoryImporter, TurnoutImporter
from posko.outreach.models import HistoricalTurnout, OutreachSettings, TpsTurnout, TurnoutTarget
from posko.outreach.services import turnout as turnout_services
from tests.conftest import EDITS_KEL_A, SEES_KEL_A

pytestmark = pytest.mark.django_db

GOOD = {"registered_dptb": 5, "registered_dpk": 3, "voted_dpt": 300, "voted_dptb": 4,
        "voted_dpk": 3}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_turnout_is_saved_and_audited(world, users):
    turnout = services.save_turnout(world.tps_a, GOOD, actor=users["kelurahan_a"])
    assert turnout.voted == 307 and turnout.kelurahan_id == world.kel_a.code
    assert AuditEntry.objects.filter(action="create", object_id=str(turnout.pk)).exists()
    services.save_turnout(world.tps_a, {**GOOD, "voted_dpt": 310}, actor=users["admin"],
                          expected_version=1)
    turnout.refresh_from_db()
    assert (turnout.voted_dpt, turnout.version) == (310, 2)


@pytest.mark.parametrize("values, field, text", [
    ({**GOOD, "voted_dpt": 410, "voted_dptb": 5, "voted_dpk": 4}, "voted_dpt",
     "419 voters is more than the 418 registered at this TPS (DPT 410 + DPTb 5 + DPK 3)"),
    ({**GOOD, "voted_dpt": 411, "registered_dptb": 50}, "voted_dpt",
     "More voters from the DPT (411) than the DPT of this TPS (410)"),
    ({**GOOD, "voted_dptb": 6}, "voted_dptb", "More DPTb voters (6) than DPTb registered (5)"),
    ({**GOOD, "voted_dpk": 4}, "voted_dpk", "More DPK voters (4) than DPK registered (3)"),
    ({**GOOD, "voted_dpt": -1}, "voted_dpt", "cannot be negative"),
    ({**GOOD, "voted_dpt": None}, "voted_dpt", "Enter the voters from the DPT"),
])
def test_turnout_above_what_was_registered_is_refused(world, users, values, field, text):
    with pytest.raises(ValidationError) as exc:
        services.save_turnout(world.tps_a, values, actor=users["kelurahan_a"])
    assert any(text in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert not TpsTurnout.objects.exists()


def test_turnout_before_voting_day_is_refused(world, users, monkeypatch):
    monkeypatch.setattr(turnout_services, "local_today", lambda: datetime.date(2024, 11, 26))
    with pytest.raises(ValidationError) as exc:
        services.save_turnout(world.tps_a, GOOD, actor=users["admin"])
    assert "from voting day (27-11-2024)" in exc.value.messages[0]


def test_who_may_enter_turnout(world, users):
    allowed = {n for n, u in users.items() if u and services.may_enter_turnout(u, world.tps_a)}
    assert allowed == EDITS_KEL_A
    with pytest.raises(PermissionDenied):
        services.save_turnout(world.tps_a, GOOD, actor=users["kelurahan_b"])


def test_rollup_per_kelurahan_and_kecamatan(world, users):
    tps2 = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=2,
                              dpt_men=100, dpt_women=90)
    services.save_turnout(world.tps_a, GOOD, actor=users["admin"])  # 307 / 418
    services.save_turnout(tps2, {"voted_dpt": 120}, actor=users["admin"])  # 120 / 190
    services.save_turnout(world.tps_a2, {"voted_dpt": 205}, actor=users["admin"])  # 205 / 410
    rows = {r.code: r for r in participation.turnout_by_kelurahan(world.election, users["admin"])}
    a = rows[world.kel_a.code]
    assert (a.tps, a.tps_reported, a.registered, a.voted) == (2, 2, 608, 427)
    assert a.turnout == Decimal("70.23")  # 427 / 608 = 70.2302…
    assert a.target == Decimal("83.00") and a.below_target
    assert rows[world.kel_b.code].turnout is None
    kec = {r.code: r for r in participation.turnout_rollup(list(rows.values()), world.election)}
    assert (kec["35.73.02"].voted, kec["35.73.02"].registered) == (632, 1018)
    assert kec["35.73.02"].turnout == Decimal("62.08")  # 62.0825…, not the mean of 70.23 and 50.00


def test_targets_kecamatan_and_kelurahan_override_the_election(world, users):
    OutreachSettings.for_election(world.election)
    services.set_target(world.election, kecamatan=world.kec_a, kelurahan=None,
                        percent=Decimal("80"), actor=users["admin"])
    services.set_target(world.election, kecamatan=world.kec_a, kelurahan=world.kel_a2,
                        percent=Decimal("75.5"), actor=users["admin"])
    default, kec, kel = participation.targets(world.election)
    assert participation.target_for(default, kec, kel, "35.73.02", world.kel_a.code) == Decimal("80")
    assert participation.target_for(default, kec, kel, "35.73.02", world.kel_a2.code) == Decimal("75.5")
    assert participation.target_for(default, kec, kel, "35.73.01", world.kel_b.code) == Decimal("83")
    with pytest.raises(ValidationError) as exc:
        services.set_target(world.election, kecamatan=world.kec_a, kelurahan=world.kel_b,
                            percent=Decimal("70"), actor=users["admin"])
    assert "not in the chosen kecamatan" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.set_target(world.election, kecamatan=world.kec_a, kelurahan=None,
                            percent=Decimal("120"), actor=users["admin"])
    with pytest.raises(PermissionDenied):
        services.set_target(world.election, kecamatan=world.kec_a, kelurahan=None,
                            percent=Decimal("70"), actor=users["kecamatan_a"])
    services.set_target(world.election, kecamatan=world.kec_a, kelurahan=None, percent=None,
                        actor=users["admin"])
    assert TurnoutTarget.objects.count() == 1


def test_turnout_pages_by_persona(world, users, personas):
    services.save_turnout(world.tps_a, GOOD, actor=users["admin"])
    url = reverse("outreach:turnout_tps", args=[world.tps_a.pk])
    for name, persona in personas.items():
        overview = persona.client.get(reverse("outreach:turnout"))
        kel = persona.client.get(reverse("outreach:turnout_kelurahan", args=[world.kel_a.code]))
        entry = persona.client.get(url)
        if name == "anonymous":
            assert overview.status_code == 302
            continue
        assert overview.status_code == 200
        if name in SEES_KEL_A:
            assert kel.status_code == 200
            assert entry.status_code == (200 if name in EDITS_KEL_A else 403), name
        else:
            assert kel.status_code == entry.status_code == 404, name
    client = personas["kelurahan_a"].client
    client.cookies["django_language"] = "en"
    response = client.post(url, {**GOOD, "voted_dpt": 500, "version": 1})
    assert response.status_code == 400 and "more than the 418 registered" in response.content.decode()
    assert TpsTurnout.objects.get().voted_dpt == 300
    response = client.post(url, {**GOOD, "voted_dpt": 350, "version": 1})
    assert response.status_code == 302 and TpsTurnout.objects.get().voted_dpt == 350
    page = personas["admin"].client.get(reverse("outreach:turnout")).content.decode()
    assert 'data-testid="scatter"' in page and "<circle" in page


def test_a_stale_turnout_entry_is_the_conflict_page_and_nothing_is_overwritten(world, users,
                                                                              personas):
    services.save_turnout(world.tps_a, GOOD, actor=users["admin"])
    services.save_turnout(world.tps_a, {**GOOD, "voted_dpt": 310}, actor=users["admin"],
                          expected_version=1)
    client = personas["kelurahan_a"].client
    client.cookies["django_language"] = "en"
    url = reverse("outreach:turnout_tps", args=[world.tps_a.pk])
    page = client.get(url).content.decode()
    assert 'name="version" value="2"' in page and 'value="310"' in page
    response = client.post(url, {**GOOD, "voted_dpt": 350, "version": 1})
    assert response.status_code == 409 and 'data-testid="conflict"' in response.content.decode()
    assert (TpsTurnout.objects.get().voted_dpt, TpsTurnout.objects.get().version) == (310, 2)


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_turnout_import_all_or_nothing_with_unknown_tps(world, users):
    data = _csv("kode_kelurahan,nomor_tps,dptb_terdaftar,dpk_terdaftar,pemilih_dpt,pemilih_dptb,"
                "pemilih_dpk\n"
                "35.73.02.1001,1,5,3,300,4,3\n"
                "35.73.02.1001,7,0,0,100,0,0\n"
                "35.73.02.1002,1,0,0,500,0,0\n")
    result = TurnoutImporter(actor=users["admin"], election=world.election).run(data, "t.csv")
    messages = [str(e) for e in result.errors]
    assert messages == [
        "Row 3, column nomor_tps: There is no TPS 007 in kelurahan 35.73.02.1001 within your region.",
        "Row 4, column pemilih_dpt: 500 voters is more than the 410 registered at this TPS "
        "(DPT 410 + DPTb 0 + DPK 0): check the figures.",
        "Row 4, column pemilih_dpt: More voters from the DPT (500) than the DPT of this TPS (410).",
    ]
    assert not TpsTurnout.objects.exists()
    ok = _csv("kode_kelurahan,nomor_tps,pemilih_dpt\n35.73.02.1001,1,300\n35.73.02.1002,1,250\n")
    result = TurnoutImporter(actor=users["admin"], election=world.election).run(ok, "t.csv")
    assert result.ok and (result.created, result.updated) == (2, 0)
    again = TurnoutImporter(actor=users["admin"], election=world.election).run(ok, "t.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # a lurah cannot import another kelurahan's TPS
    lurah = TurnoutImporter(actor=users["kelurahan_a"], election=world.election).run(ok, "t.csv")
    assert "There is no TPS 001 in kelurahan 35.73.02.1002" in str(lurah.errors[0])


def test_history_import_per_kelurahan_or_tps(world, users):
    data = _csv("pemilihan,tahun,kode_kelurahan,nomor_tps,terdaftar,pengguna_hak_pilih\n"
                "Pilkada 2018,2018,35.73.02.1001,,1000,650\n"
                "Pilkada 2018,2018,35.73.02.1002,1,400,300\n"
                "Pilkada 2018,2018,35.73.02.1002,2,380,250\n")
    result = HistoryImporter(actor=users["admin"]).run(data, "h.csv")
    assert result.ok, [str(e) for e in result.errors]
    history = participation.history_by_kelurahan("Pilkada 2018", users["admin"])
    assert history == {world.kel_a.code: (650, 1000), world.kel_a2.code: (550, 780)}
    bad = _csv("pemilihan,tahun,kode_kelurahan,nomor_tps,terdaftar,pengguna_hak_pilih\n"
               "Pilkada 2018,2018,35.73.02.1001,3,500,400\n"
               "Pilkada 2018,2018,35.79.01.2001,,500,400\n"
               "Pilkada 2018,2018,35.73.01.1001,,500,600\n")
    result = HistoryImporter(actor=users["admin"]).run(bad, "h.csv")
    messages = [str(e) for e in result.errors]
    assert "do not mix kelurahan totals and TPS rows" in messages[0]
    assert "Kelurahan 35.79.01.2001 is unknown or outside your region" in messages[1]
    assert "More voters (600) than registered (500)" in messages[2]
    assert HistoricalTurnout.objects.count() == 3


def test_import_pages(world, personas):
    client = personas["admin"].client
    assert client.get(reverse("outreach:turnout_import")).status_code == 200
    assert client.get(reverse("outreach:history_template")).status_code == 200
    assert personas["pemantau"].client.get(reverse("outreach:turnout_import")).status_code == 403
    upload = SimpleUploadedFile("t.csv", _csv("kode_kelurahan,nomor_tps,pemilih_dpt\n"
                                              "35.73.02.1001,1,300\n"))
    response = client.post(reverse("outreach:turnout_import"), {"file": upload})
    assert response.status_code == 302 and TpsTurnout.objects.count() == 1


def test_targets_and_groups_pages(world, personas):
    admin = personas["admin"].client
    admin.cookies["django_language"] = "en"
    url = reverse("outreach:targets")
    assert personas["pemantau"].client.get(url).status_code == 200
    assert personas["kecamatan_a"].client.post(url, {"kecamatan": "35.73.02",
                                                     "percent": "80"}).status_code == 403
    response = admin.post(url, {"kecamatan": "35.73.02", "kelurahan": world.kel_b.code,
                                "percent": "80"})
    assert response.status_code == 400 and "not in the chosen kecamatan" in response.content.decode()
    assert admin.post(url, {"kecamatan": "35.73.02", "percent": "80"}).status_code == 302
    assert TurnoutTarget.objects.get().percent == Decimal("80")
    settings = OutreachSettings.for_election(world.election)
    caps = {f"cap_{k}": "400" for k in ("tatap_muka", "door_to_door", "sekolah", "keagamaan",
                                        "acara_warga", "media", "lainnya")}
    response = admin.post(url, {"target_percent": "85", "low_reach_per_1000": "120",
                                "history_label": "", "version": settings.version, **caps})
    assert response.status_code == 302
    settings.refresh_from_db()
    assert (settings.target_percent, settings.low_reach_per_1000, settings.cap_for("sekolah")) == (
        Decimal("85.00"), 120, 400)
    groups = reverse("outreach:group_list")
    assert personas["kelurahan_a"].client.post(groups, {"name": "Ojol", "order": 70}).status_code == 403
    assert admin.post(groups, {"name": "Pengemudi ojek daring", "order": 70,
                               "is_active": "on"}).status_code == 302
    response = admin.post(groups, {"name": "pengemudi ojek daring", "order": 71})
    assert response.status_code == 400 and "exists already" in response.content.decode()
