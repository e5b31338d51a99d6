"""Logistics as a source of derived vulnerability indicators (posko/logistics/indicators.py,
posko/logistics/history.py; issue 15, point 6): logistik_kurang / logistik_rusak /
logistik_terlambat come from earlier elections — the previous election in Posko, else an
imported history, else none — and the source says which. Next to (never over) what a
person entered."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from posko.core import derived
from posko.elections.models import Contest, Election, Tps
from posko.logistics import history, indicators
from posko.logistics.models import Item, Shipment, Shortfall, ShortfallHistory
from posko.logistics.services import requirements
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.vulnerability.models import Assessment, DerivedValue
from tests.vulnerability_fixtures import effective, set_values

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
DISPATCHED = datetime.datetime(2024, 11, 25, 8, 0, tzinfo=WIB)
RECEIVED = datetime.datetime(2024, 11, 25, 14, 0, tzinfo=WIB)
S = Shipment.Level
HEADER = "kode_kelurahan,nomor_tps,id_tps,pemilu,kurang,rusak,terlambat\n"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def items(world):
    Contest.objects.create(election=world.election, name="Wali Kota Malang",
                           level=Contest.Level.WALIKOTA, provinsi_id="35", kabkota_id="35.73")
    e = world.election
    result = SimpleNamespace(
        kotak=Item.objects.create(election=e, code="kotak_suara", name="Kotak suara",
                                  norm=Item.Norm.PER_CONTEST, quantity=1, order=1),
        bilik=Item.objects.create(election=e, code="bilik_suara", name="Bilik suara",
                                  norm=Item.Norm.PER_TPS, quantity=4, order=2),
    )
    requirements.recompute(e)
    return result


@pytest.fixture
def previous(world):
    """Pemilu 2024 (14 Feb) in Posko with its catalogue; its TPS 001 of kel_a is the current
    election's tps_a (same kelurahan and number), its TPS 007 has no counterpart."""
    e = Election.objects.create(name="Pemilu 2024", voting_date=datetime.date(2024, 2, 14))
    Item.objects.create(election=e, code="kotak", name="Kotak suara")
    same = Tps.objects.create(election=e, kelurahan=world.kel_a, number=1)
    gone = Tps.objects.create(election=e, kelurahan=world.kel_a, number=7)
    b = Tps.objects.create(election=e, kelurahan=world.kel_b, number=1)

    def case(tps, kind):
        return Shortfall.objects.create(election=e, kind=kind, kecamatan_id=tps.kecamatan_id,
                                        kelurahan_id=tps.kelurahan_id, tps=tps, quantity=1,
                                        status="resolved")

    case(same, "damaged"), case(same, "damaged"), case(same, "late")
    case(gone, "short"), case(b, "short")
    indicators.changed(e, [same.pk, gone.pk, b.pk])
    return SimpleNamespace(election=e, same=same, gone=gone, b=b)


def _values(code, election, tps_ids=None):
    return {v.tps_id: v.evidence for v in derived.source(code).function(election, tps_ids)}


def _import(client, text, election=None):
    upload = SimpleUploadedFile("riwayat.csv", text.encode(), content_type="text/csv")
    return client.post(reverse("logistics:history_import"), {"file": upload})


def _english_client(persona):
    persona.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return persona.client


def test_the_three_sources_are_registered():
    keys = {s.key: s.indicator for s in derived.sources()}
    assert keys["logistics.shortfall"] == "logistik_kurang"
    assert keys["logistics.damaged"] == "logistik_rusak"
    assert keys["logistics.late"] == "logistik_terlambat"


# --- the previous election in Posko ---------------------------------------------------------------

def test_history_comes_from_the_previous_election_in_posko(world, previous):
    source = history.source_of(world.election)
    assert (source.kind, source.text()) == ("posko", "Pemilu 2024 in Posko")
    assert _values("logistics.damaged", world.election) == {
        world.tps_a.pk: "Pemilu 2024 in Posko: 2 case(s)"}
    assert _values("logistics.late", world.election) == {
        world.tps_a.pk: "Pemilu 2024 in Posko: 1 case(s)"}
    # TPS 007 has no TPS in this election; TPS 001 of kel_b is tps_b
    assert _values("logistics.shortfall", world.election) == {
        world.tps_b.pk: "Pemilu 2024 in Posko: 1 case(s)"}
    assert _values("logistics.damaged", world.election, [world.tps_b.pk]) == {}
    # stored next to the assessments: the previous election's change reached this one
    assert effective(world.tps_a, "logistik_rusak") == (None, 1, 1)
    assert effective(world.tps_b, "logistik_kurang") == (None, 1, 1)
    # and an imported history is not used while the previous election is in Posko
    ShortfallHistory.objects.create(election=world.election, tps=world.tps_a2,
                                    kecamatan_id=world.tps_a2.kecamatan_id,
                                    kelurahan_id=world.tps_a2.kelurahan_id,
                                    past_election="Pilkada 2018", damaged=3)
    assert world.tps_a2.pk not in _values("logistics.damaged", world.election)


def test_this_elections_own_cases_are_not_its_history(world, users, items):
    """A damaged box and a short booth count on main for the current election; they are
    history for the next election only."""
    shipment = create_shipment(world.election, S.PPS, S.TPS, world.tps_a,
                               {items.kotak: 1, items.bilik: 4}, seal_numbers="KPU-001",
                               dispatched_at=DISPATCHED, actor=users["kelurahan_a"])
    confirm_receipt(shipment, {items.kotak: (1, 1, ""), items.bilik: (3, 0, "")}, "Bu Sri",
                    RECEIVED, actor=users["kelurahan_a"], expected_version=shipment.version)
    assert Shortfall.objects.filter(election=world.election).count() == 2
    assert history.source_of(world.election).kind == "none"
    assert _values("logistics.damaged", world.election) == {}
    assert not DerivedValue.objects.exists()
    # the election after it (Pilkada 2029) takes them as its history
    later = Election.objects.create(name="Pilkada 2029", voting_date=datetime.date(2029, 11, 28))
    tps = Tps.objects.create(election=later, kelurahan=world.kel_a, number=1)
    assert _values("logistics.damaged", later) == {tps.pk: "Pilkada Serentak 2024 in Posko: "
                                                            "1 case(s)"}


# --- the import --------------------------------------------------------------------------------

def test_history_from_an_import_when_no_earlier_election(world, users, personas):
    client = _english_client(personas["admin"])
    response = _import(client, HEADER + f"{world.kel_a.code},1,,Pemilu 2019,2,0,1\n"
                       f"{world.kel_b.code},1,,Pemilu 2019,0,0,0\n")
    assert response.status_code == 302, response.content.decode()[:2000]
    source = history.source_of(world.election)
    assert (source.kind, source.text()) == ("import", "imported history (Pemilu 2019)")
    assert _values("logistics.shortfall", world.election) == {
        world.tps_a.pk: "imported history (Pemilu 2019): 2 case(s)"}
    assert _values("logistics.late", world.election) == {
        world.tps_a.pk: "imported history (Pemilu 2019): 1 case(s)"}
    assert _values("logistics.damaged", world.election) == {}
    assert effective(world.tps_a, "logistik_kurang") == (None, 1, 1)
    # importing again changes nothing; a changed count is updated, not duplicated
    assert _import(client, HEADER + f"{world.kel_a.code},1,,Pemilu 2019,2,0,1\n"
                   ).status_code == 302
    assert _import(client, HEADER + f"{world.kel_a.code},1,,pemilu 2019,0,0,0\n"
                   ).status_code == 302
    assert ShortfallHistory.objects.count() == 2
    assert _values("logistics.shortfall", world.election) == {}
    assert ShortfallHistory.objects.get(tps=world.tps_a).past_election == "Pemilu 2019"
    assert not DerivedValue.objects.filter(tps=world.tps_a).exists()


def test_no_history_no_value_and_the_source_says_so(world, users, items, personas):
    source = history.source_of(world.election)
    assert source.text() == "no history: no earlier election in Posko and no imported history"
    for code in ("logistics.shortfall", "logistics.damaged", "logistics.late"):
        assert _values(code, world.election) == {}
    label = str(derived.source("logistics.damaged").label)
    assert label == ("Logistics history: no history: no earlier election in Posko and no "
                     "imported history")
    page = _english_client(personas["admin"]).get(reverse("logistics:history_list"))
    assert page.status_code == 200
    assert "no history: no earlier election in Posko" in page.content.decode()


def test_the_label_names_the_previous_election(world, previous):
    assert str(derived.source("logistics.late").label) == (
        "Logistics history: Pemilu 2024 in Posko")


def test_bad_import_rows_give_exact_messages_and_save_nothing(world, users, personas):
    client = _english_client(personas["admin"])
    rows = (HEADER
            + f"{world.kel_a.code},1,,,1,0,0\n"  # no earlier election
            + f"{world.kel_a.code},99,,Pemilu 2019,1,0,0\n"  # no such TPS
            + f"{world.kel_a.code},1,,Pemilu 2019,-1,0,0\n"  # negative
            + f"{world.kel_a.code},1,,Pemilu 2019,x,0,0\n"  # not a number
            + f"{world.kel_a2.code},1,,Pemilu 2019,0,1,0\n"
            + f"{world.kel_a2.code},1,,Pemilu 2019,0,2,0\n")  # the same TPS and election twice
    response = _import(client, rows)
    assert response.status_code == 400
    errors = [str(e) for e in response.context["result"].errors]
    assert errors == [
        "Row 2, column pemilu: This value is required.",
        f"Row 3, column nomor_tps: There is no TPS 099 in kelurahan {world.kel_a.code} within your "
        "region.",
        "Row 4, column kurang: Must be at least 0.",
        "Row 5, column kurang: 'x' is not a whole number.",
        "Row 7, column pemilu: Pemilu 2019 for this TPS is already on row 6.",
    ]
    assert not ShortfallHistory.objects.exists()
    assert _import(client, "kode_kelurahan,pemilu\n35.73.02.1001,Pemilu 2019\n"
                   ).status_code == 400


def test_import_and_list_follow_the_users_region(world, users, personas):
    lurah = _english_client(personas["kelurahan_a"])
    response = _import(lurah, HEADER + f"{world.kel_b.code},1,,Pemilu 2019,1,0,0\n")
    assert response.status_code == 400
    assert [str(e) for e in response.context["result"].errors] == [
        f"Row 2, column nomor_tps: There is no TPS 001 in kelurahan {world.kel_b.code} within your "
        "region."]
    assert _import(lurah, HEADER + f"{world.kel_a.code},1,,Pemilu 2019,1,0,0\n"
                   ).status_code == 302
    _import(_english_client(personas["admin"]),
            HEADER + f"{world.kel_b.code},1,,Pemilu 2019,1,0,0\n")
    url = reverse("logistics:history_list")
    seen = {h.tps_id for h in lurah.get(url).context["object_list"]}
    assert seen == {world.tps_a.pk}
    other = personas["kelurahan_b"].client.get(url)
    assert {h.tps_id for h in other.context["object_list"]} == {world.tps_b.pk}
    assert personas["anonymous"].client.get(url).status_code == 302
    assert personas["pemantau"].client.get(reverse("logistics:history_import")).status_code == 403
    export = personas["kelurahan_b"].client.get(url, {"export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert world.kel_a.code not in body and world.kel_b.code in body
    template = personas["admin"].client.get(reverse("logistics:history_template"),
                                            {"format": "csv"})
    assert template.status_code == 200


def test_a_human_value_is_kept_next_to_the_derived_one(world, users, previous):
    set_values(world.election, users["admin"], [(world.tps_a, "logistik_rusak", 0)])
    indicators.changed(previous.election, [previous.same.pk])
    assert effective(world.tps_a, "logistik_rusak") == (0, 1, 0)
    assert Assessment.objects.filter(tps=world.tps_a, derived_value=1).exists()
