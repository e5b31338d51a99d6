"""The logistics part of the Kota Malang demo: the chain of custody on H-1 morning,
readiness per kecamatan, the damaged ballot box, support requests; deterministic and
idempotent."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db.models import Sum

from posko.core.models import AuditEntry
from posko.demo.data import DemoResult, build_demo
from posko.demo.logistics import (
    BALLOTS_LATER_KELURAHAN,
    DAMAGED_TPS,
    LATE_KELURAHAN,
    build_logistics,
)
from posko.elections.models import Election, Tps
from posko.logistics import access, rules
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    SupportRequest,
    TpsReadiness,
)
from posko.logistics.services import support

pytestmark = pytest.mark.django_db

BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU = (f"35.73.0{i}" for i in range(1, 6))
MODELS = (Item, Requirement, Shipment, ShipmentLine, Shortfall, SupportRequest, TpsReadiness,
          AuditEntry)


def _build() -> DemoResult:
    """The whole demo. Works whether or not build_demo already calls build_logistics:
    a second call of an idempotent builder changes nothing."""
    result = build_demo()
    build_logistics(result)
    return result


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _state():
    return {
        "shipments": list(Shipment.objects.order_by("pk").values_list(
            "pk", "from_level", "to_level", "kecamatan_id", "kelurahan_id", "tps_id", "status",
            "dispatched_at", "received_at", "receiver_name", "seal_numbers", "version")),
        "lines": list(ShipmentLine.objects.order_by("pk").values_list(
            "shipment_id", "item_id", "dispatched", "received", "damaged")),
        "readiness": list(TpsReadiness.objects.order_by("tps_id").values_list(
            "tps_id", "state", "percent", "good_units", "required_units", "open_shortfalls",
            "last_received_at", "updated_at")),
        "cases": list(Shortfall.objects.order_by("pk").values_list(
            "pk", "kind", "tps_id", "item_id", "quantity", "status", "created_at")),
        "support": list(SupportRequest.objects.order_by("pk").values_list(
            "pk", "kind", "kecamatan_id", "kelurahan_id", "tps_id", "agency__name", "status",
            "needed_by", "note", "version", "created_at")),
        "requirements": Requirement.objects.aggregate(n=Sum("quantity"))["n"],
    }


@pytest.fixture
def demo():
    return _build()


def _states_per_kecamatan():
    return Counter(TpsReadiness.objects.values_list("kecamatan_id", "state"))


def test_readiness_per_kecamatan(demo):
    states = _states_per_kecamatan()
    tps = Counter(Tps.objects.values_list("kecamatan_id", flat=True))
    later = Tps.objects.filter(kelurahan_id__in=BALLOTS_LATER_KELURAHAN).count()
    assert later > 0
    assert states[(BLIMBING, "lengkap")] == tps[BLIMBING] == 258
    assert states[(KLOJEN, "lengkap")] == tps[KLOJEN] - 1 == 140
    assert states[(KLOJEN, "bermasalah")] == 1
    assert states[(KEDUNGKANDANG, "kurang")] == later
    assert states[(KEDUNGKANDANG, "lengkap")] == tps[KEDUNGKANDANG] - later
    # Mostly delivered: only the four late kelurahan of Sukun and Lowokwaru wait (72 TPS).
    late = Counter(Tps.objects.filter(kelurahan_id__in=LATE_KELURAHAN).values_list(
        "kecamatan_id", flat=True))
    assert late == {SUKUN: 17 + 21, LOWOKWARU: 13 + 21}
    for kecamatan in (SUKUN, LOWOKWARU):
        assert states[(kecamatan, "belum")] == late[kecamatan]
        assert states[(kecamatan, "lengkap")] == tps[kecamatan] - late[kecamatan]
    assert sum(n for (_kec, state), n in states.items() if state == "lengkap") > 0.85 * 1188
    assert sum(states.values()) == 1188
    # Complete means every required unit is there in good condition.
    for row in TpsReadiness.objects.filter(state="lengkap").values("percent", "good_units",
                                                                     "required_units")[:50]:
        assert row["percent"] == 100 and row["good_units"] == row["required_units"] > 0


def test_requirements_follow_the_default_catalogue(demo):
    election = Election.objects.get(pk=demo.election_id)
    items = {i.code: i for i in Item.objects.filter(election=election)}
    assert len(items) >= 10 and "kotak-suara" in items and "surat-suara" not in items
    boxes = Requirement.objects.filter(item=items["kotak-suara"]).aggregate(n=Sum("quantity"))
    assert boxes["n"] == 2 * 1188  # two contests: Wali Kota and Gubernur
    # ballots and result forms: one line per contest, named with it (issue 15)
    assert items["surat-suara-walikota"].name == "Surat suara Wali Kota Malang"
    assert items["surat-suara-gubernur"].name == "Surat suara Gubernur Jawa Timur"
    assert items["formulir-c-hasil-walikota"].contest.name == "Wali Kota Malang"
    mayor, governor = (Requirement.objects.filter(item=items[code]).aggregate(
        n=Sum("quantity"))["n"] for code in ("surat-suara-walikota", "surat-suara-gubernur"))
    assert mayor == governor > 1188
    assert Requirement.objects.count() == 1188 * Item.objects.filter(
        election=election, is_active=True).count()


def test_chain_of_custody(demo):
    election = Election.objects.get(pk=demo.election_id)
    ppk = Shipment.objects.filter(election=election, to_level="ppk")
    pps = Shipment.objects.filter(election=election, to_level="pps")
    assert ppk.count() == 5 and not ppk.exclude(status="received").exists()
    assert pps.count() == 57 and not pps.exclude(status="received").exists()
    assert set(ppk.values_list("kecamatan_id", flat=True)) == {
        BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU}
    to_tps = Shipment.objects.filter(election=election, to_level="tps")
    assert set(to_tps.values_list("tps_id", flat=True)) == set(
        Tps.objects.filter(election=election).values_list("pk", flat=True))
    on_the_way = Counter(to_tps.filter(status="dispatched").values_list("kecamatan_id", flat=True))
    assert on_the_way[SUKUN] == 38 and on_the_way[LOWOKWARU] == 34
    assert set(to_tps.filter(status="dispatched", kecamatan_id__in=(SUKUN, LOWOKWARU))
               .values_list("kelurahan_id", flat=True)) == set(LATE_KELURAHAN)
    assert on_the_way[KEDUNGKANDANG] == Tps.objects.filter(
        kelurahan_id__in=BALLOTS_LATER_KELURAHAN).count()
    assert not on_the_way[KLOJEN] and not on_the_way[BLIMBING]
    # Each level carries what its TPS need: a PPK gets the sum of its TPS's requirements.
    for shipment in ppk:
        carried = dict(shipment.lines.values_list("item_id").annotate(n=Sum("dispatched"))
                       .values_list("item_id", "n"))
        needed = dict(Requirement.objects.filter(kecamatan_id=shipment.kecamatan_id)
                      .values_list("item_id").annotate(n=Sum("quantity")).values_list("item_id", "n"))
        assert carried == needed
    # Everything received arrived before the TPS deadline (H-1 18:00), in November 2024.
    deadline = LogisticsSettings.for_election(election).tps_deadline()
    for when in Shipment.objects.filter(election=election).values_list("received_at", flat=True):
        assert when is None or (when < deadline and when.year == 2024 and when.month == 11)
    # Received lines are complete except the one damaged box; on-the-way lines have no count.
    assert not ShipmentLine.objects.filter(shipment__status="dispatched",
                                           received__isnull=False).exists()
    assert ShipmentLine.objects.filter(damaged__gt=0).count() == 1


def test_the_damaged_ballot_box_is_an_open_case(demo):
    case = Shortfall.objects.get()
    kelurahan, number = DAMAGED_TPS
    assert (case.tps.kelurahan_id, case.tps.number) == (kelurahan, number)
    assert case.kind == Shortfall.Kind.DAMAGED and case.status == Shortfall.Status.OPEN
    assert case.item.code == "kotak-suara" and case.quantity == 1
    assert (case.kecamatan_id, case.kelurahan_id) == (KLOJEN, kelurahan)
    assert case.shipment.tps_id == case.tps_id and case.owner is None
    line = case.shipment.lines.get(item=case.item)
    assert (line.dispatched, line.received, line.damaged) == (2, 2, 1)
    readiness = TpsReadiness.objects.get(tps=case.tps)
    assert readiness.state == "bermasalah" and readiness.open_shortfalls == 1


def test_support_requests(demo):
    rows = list(SupportRequest.objects.select_related("agency", "tps"))
    kinds = Counter(r.kind for r in rows)
    assert kinds["ambulans"] == 5 and kinds["kendaraan"] >= 1 and kinds["genset"] == 2
    assert {r.agency.short_name for r in rows if r.kind == "ambulans"} == {"Dinkes"}
    assert {r.agency.short_name for r in rows if r.kind == "kendaraan"} == {"Dishub"}
    assert {r.kecamatan_id for r in rows if r.kind == "ambulans"} == {
        BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU}
    gensets = [r for r in rows if r.kind == "genset"]
    assert all(r.tps and r.tps.special_location == "lapas" for r in gensets)
    assert {r.tps.kelurahan_id for r in gensets} == {"35.73.01.1008", "35.73.04.1003"}
    for r in rows:
        assert not rules.check_note(r.status, r.note)  # every rejection says why
        assert r.needed_by.year == 2024 and r.created_at < r.needed_by
    assert {r.status for r in rows} == set(SupportRequest.Status.values)
    # The lurah of Kauman sees their own request only; the Dinkes operator all the ambulances.
    lurah = next(u for u in demo.users if u.username == "lurah.kauman")
    mine = access.visible_support(lurah)
    assert mine.exists() and set(mine.values_list("kelurahan_id", flat=True)) == {
        "35.73.02.1007"}
    dinkes = next(u for u in demo.users if u.username == "dinkes")
    assert access.visible_support(dinkes).filter(kind="ambulans").count() == 5


def test_second_build_changes_nothing(demo):
    counts, state = _counts(), _state()
    again = _build()
    assert not again.changed and again.other_changes == 0
    assert _counts() == counts
    assert _state() == state  # readiness rows not even refreshed (same updated_at)


def test_work_rows_are_kept_and_missing_ones_restored(demo):
    admin = next(u for u in demo.users if u.username == "admin")
    req = SupportRequest.objects.filter(status="diminta").first()
    support.change_status(req, "disetujui", actor=admin, expected_version=req.version)
    case = Shortfall.objects.get()
    tps = case.tps
    case.delete()
    again = _build()
    assert again.changed
    req.refresh_from_db()
    assert req.status == "disetujui"  # practice on the demo is kept
    restored = Shortfall.objects.get()  # the missing case is recreated, readiness follows
    assert restored.tps == tps
    assert TpsReadiness.objects.get(tps=tps).state == "bermasalah"
    assert not _build().changed


def test_deterministic_across_databases(demo):
    """The same rows, keyed by place instead of ids, as a fresh build elsewhere gives."""
    def natural():
        tps = {t.pk: (t.kelurahan_id, t.number) for t in Tps.objects.all()}
        return sorted(
            (s.from_level, s.to_level, s.kecamatan_id, s.kelurahan_id or "",
             tps.get(s.tps_id, ("", 0)), s.status, s.dispatched_at, s.received_at,
             s.seal_numbers)
            for s in Shipment.objects.all())

    first = natural()
    Shortfall.objects.all().delete()
    ShipmentLine.objects.all().delete()
    Shipment.objects.all().delete()
    SupportRequest.objects.all().delete()
    _build()
    assert natural() == first


def test_logistics_build_is_fast():
    result = build_demo()
    start = time.perf_counter()
    build_logistics(result)
    elapsed = time.perf_counter() - start
    assert elapsed < 10, elapsed  # about 0.7 s on a laptop with SQLite; target under 3 s
