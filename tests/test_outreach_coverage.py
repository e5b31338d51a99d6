"""Coverage arithmetic against hand-computed values, the double-counting rules, roll-ups,
the early warning (with coordination tasks), the daily-report section and the beranda card."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from posko.accounts.models import Agency
from posko.core import reports, tasks
from posko.core.dashboard import cards_for
from posko.elections.models import Election, Tps
from posko.outreach import coverage, participation, services
from posko.outreach.models import HistoricalTurnout, OutreachSettings, TurnoutTarget
from tests.outreach_fixtures import PAST, add_activity

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 10, 25)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def scene(world, users):
    """kel_a: DPT 1,000 (410 + 590); kel_a2: 410; kel_b: 410."""
    Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=2, dpt_men=300,
                       dpt_women=290)
    lurah = users["kelurahan_a"]
    add_activity(world, lurah, attendance=50, groups=("pemilih-pemula",))
    add_activity(world, lurah, kind="sekolah", attendance=120, groups=("pemilih-pemula", "perempuan"),
                 starts_at=PAST + datetime.timedelta(days=3))  # 18 Oct
    add_activity(world, lurah, kind="door_to_door", attendance=33, groups=("lansia",),
                 starts_at=PAST + datetime.timedelta(days=1))
    # not counted: planned, cancelled, media (even with a kelurahan)
    add_activity(world, lurah, status="planned", expected_attendance=80, groups=("disabilitas",),
                 starts_at=PAST + datetime.timedelta(days=20))
    cancelled = add_activity(world, lurah, status="planned", groups=("perantau",),
                             starts_at=PAST + datetime.timedelta(days=5))
    services.cancel(cancelled, "Hujan", actor=lurah)
    add_activity(world, lurah, kind="media", attendance=5000, groups=("masyarakat-umum",),
                 starts_at=PAST + datetime.timedelta(days=2))
    add_activity(world, users["admin"], kel=world.kel_a2, attendance=7, groups=("lansia",))
    add_activity(world, users["admin"], kel=None, kind="media", organiser_kind="partner",
                 partner_name="KPU Kota Malang", attendance=20000, groups=("masyarakat-umum",))
    return world


def rows_by_code(rows):
    return {r.code: r for r in rows}


def test_kelurahan_coverage_matches_hand_computed_values(scene, users):
    rows = coverage.kelurahan_coverage(scene.election, users["admin"], today=TODAY)
    assert [r.name for r in rows] == ["Jodipan", "Rampal Celaket", "Klojen"]  # least covered first
    by = rows_by_code(rows)
    a = by[scene.kel_a.code]
    assert (a.dpt, a.activities, a.reached, a.planned) == (1000, 3, 203, 1)
    assert a.reach_per_1000 == Decimal("203.0")
    assert [g.code for g in a.groups_reached] == ["pemilih-pemula", "perempuan", "lansia"]
    assert [g.code for g in a.groups_missing] == ["disabilitas", "perantau", "masyarakat-umum"]
    assert a.days_since == 7  # last counted activity 18 Oct, today 25 Oct
    a2 = by[scene.kel_a2.code]
    assert (a2.dpt, a2.reached, a2.reach_per_1000) == (410, 7, Decimal("17.1"))  # 17.073…
    b = by[scene.kel_b.code]
    assert (b.activities, b.reached, b.reach_per_1000, b.days_since) == (0, 0, Decimal("0.0"), None)
    assert len(b.groups_missing) == 6


def test_rollups_add_before_dividing(scene, users):
    rows = coverage.kelurahan_coverage(scene.election, users["admin"], today=TODAY)
    per_kec = rows_by_code(coverage.rollup(rows, "kecamatan"))
    klojen = per_kec["35.73.02"]
    assert (klojen.reached, klojen.dpt) == (210, 1410)
    assert klojen.reach_per_1000 == Decimal("148.9")  # not the mean of 203.0 and 17.1
    total = coverage.rollup(rows, "total")[0]
    assert (total.reached, total.dpt, total.reach_per_1000) == (210, 1820, Decimal("115.4"))


def test_media_is_counted_apart_once(scene, users):
    media = coverage.media_summary(scene.election, users["admin"])
    assert (media.activities, media.reached) == (2, 25000)
    # a lurah sees the media activity placed in their kelurahan, not the Pemda-wide one
    lurah = coverage.media_summary(scene.election, users["kelurahan_a"])
    assert (lurah.activities, lurah.reached) == (1, 5000)


def test_a_lurah_sees_only_their_kelurahan(scene, users):
    rows = coverage.kelurahan_coverage(scene.election, users["kelurahan_a"], today=TODAY)
    assert [r.code for r in rows] == [scene.kel_a.code]
    camat = coverage.kelurahan_coverage(scene.election, users["kecamatan_a"], today=TODAY)
    assert {r.code for r in camat} == {scene.kel_a.code, scene.kel_a2.code}


def test_coverage_pages(scene, personas):
    admin = personas["admin"].client
    admin.cookies["django_language"] = "en"
    body = admin.get(reverse("outreach:coverage")).content.decode()
    table = body[body.index('data-testid="coverage-table"'):]
    assert table.index("Jodipan") < table.index("Rampal Celaket") < table.index(">Klojen</a>")
    assert "203.0" in body and "148.9" in body and "115.4" in body
    page = admin.get(reverse("outreach:coverage_kelurahan", args=[scene.kel_a.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="reach-per-1000">203.0<' in html
    assert personas["kelurahan_b"].client.get(
        reverse("outreach:coverage_kelurahan", args=[scene.kel_a.code])).status_code == 404
    assert personas["kelurahan_b"].client.get(
        reverse("outreach:coverage") + "?kecamatan=35.73.02").status_code == 404
    export = admin.get(reverse("outreach:coverage") + "?export=csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Klojen,Klojen,35.73.02.1001,1000,3,203,203.0" in text


def _history(kel, registered, voted, label="Pilkada 2018"):
    return HistoricalTurnout.objects.create(label=label, year=2018, kecamatan=kel.kecamatan,
                                            kelurahan=kel, registered=registered, voted=voted)


def test_early_warning_lists_low_coverage_with_low_history(scene, users):
    _history(scene.kel_a2, 1000, 700)  # 70 % < 83 %
    _history(scene.kel_b, 1000, 900)  # 90 %: not listed
    _history(scene.kel_a, 1000, 600)  # low history but coverage 203 ≥ 100: not listed
    warnings, info = participation.early_warning(scene.election, users["admin"], today=TODAY)
    assert [w.row.code for w in warnings] == [scene.kel_a2.code]
    assert warnings[0].history == Decimal("70.00") and warnings[0].target == Decimal("83.00")
    assert info["label"] == "Pilkada 2018"
    # a kelurahan target of 65 % takes it off the list
    TurnoutTarget.objects.create(election=scene.election, kecamatan=scene.kec_a,
                                 kelurahan=scene.kel_a2, percent=Decimal("65"))
    assert participation.early_warning(scene.election, users["admin"], today=TODAY)[0] == []


def test_no_history_counts_as_unknown_and_is_listed(scene, users):
    warnings, _info = participation.early_warning(scene.election, users["admin"], today=TODAY)
    assert [w.row.code for w in warnings] == [scene.kel_b.code, scene.kel_a2.code]
    assert warnings[0].history is None


def test_held_activity_shrinks_the_early_warning(scene, users):
    OutreachSettings.objects.filter(election=scene.election).update(low_reach_per_1000=50)
    before = participation.early_warning(scene.election, users["admin"])[0]
    assert scene.kel_a2.code in [w.row.code for w in before]
    add_activity(scene, users["admin"], kel=scene.kel_a2, attendance=40, title="Tambahan",
                 starts_at=PAST + datetime.timedelta(days=4))  # 47 / 410 → 114.6
    after = participation.early_warning(scene.election, users["admin"])[0]
    assert scene.kel_a2.code not in [w.row.code for w in after]
    assert len(after) == len(before) - 1


def test_early_warning_action_becomes_a_coordination_task(scene, users, personas):
    assert tasks.available()
    _history(scene.kel_a2, 1000, 700)
    agency = Agency.objects.create(name="Bagian Pemerintahan")
    client = personas["admin"].client
    client.cookies["django_language"] = "en"
    url = reverse("outreach:early_warning")
    response = client.post(url, {"kelurahan": scene.kel_a2.code, "agency": agency.pk,
                                 "note": "Tambah sosialisasi door-to-door"})
    assert response.status_code == 302
    found = tasks.tasks_for([services.task_source(scene.election, scene.kel_a2.code)])
    [ref] = found[services.task_source(scene.election, scene.kel_a2.code)]
    assert "Rampal Celaket" in ref.title
    page = client.get(url).content.decode()
    assert ref.status_label in page and 'data-testid="task-status"' in page
    # a lurah may not create tasks; another region's kelurahan is a 404
    lurah = personas["kelurahan_a"].client
    assert lurah.post(url, {"kelurahan": scene.kel_a.code, "agency": agency.pk}).status_code == 403
    assert personas["kelurahan_b"].client.post(
        url, {"kelurahan": scene.kel_a2.code, "agency": agency.pk}).status_code == 404


def test_daily_report_section_and_card(scene, users):
    from posko.outreach.report import outreach_section

    assert "outreach.daily" in reports.document._sections

    section = outreach_section(datetime.date(2024, 10, 18), users["admin"], Election.active())
    today, gaps = section.tables
    assert [row[1] for row in today.rows] == ["Sosialisasi"]
    assert today.rows[0][7] == 120
    assert {row[1] for row in gaps.rows} == {"Jodipan", "Rampal Celaket"}
    lurah_section = outreach_section(datetime.date(2024, 10, 18), users["kelurahan_b"], Election.active())
    assert lurah_section.tables[0].rows == []
    cards = [c for c in cards_for(users["admin"], Election.active()) if c.url == reverse("outreach:early_warning")]
    assert cards and cards[0].value == "2" and cards[0].alert
