"""Logistics requirements and readiness: Kota Malang (SQLite and PostgreSQL) and the whole
country (435,296 TPS, PostgreSQL), each in a process and database of its own.

City (``--part city``): the Kota Malang demo (``posko.demo.data.build_demo``: 1,188 TPS,
two contests) with the default catalogue (12 items). Figures: installing the catalogue
(which computes the requirements), a full ``requirements.recompute``, a norm change of one
item through ``catalogue.update_item`` (the admin's edit), a full ``readiness.refresh``
after receipts were marked (70 % of the TPS received a shipment; of those 1 in 7 has a
damaged ballot box and an open shortfall case, 1 in 7 is short of ballots; 20 % were
dispatched and not yet received; 10 % nothing), and the readiness and requirement pages
(Pemda, kecamatan and kelurahan level, the TPS page, the item list) with the Django test
client signed in as the admin, a camat and a lurah: p50 / p95 over ``--requests``
requests and the queries of one request. Target: city pages p95 < 300 ms. Baseline in the
same run: a raw ``SELECT count(*)`` of the TPS plus ``sum(dpt_total) GROUP BY
kecamatan_id``.

National (``--part national``): ``bench/national_dataset.py`` builds 435,296 TPS over all
83,762 kelurahan/desa in PostgreSQL (one governor's contest per province and one bupati/
wali kota contest per kab/kota, as if all 545 Pilkada were held the same day); then the
default catalogue (12 items: 5.2 million requirement rows), a full recompute (nothing
changes), a norm change of one item, receipts marked in bulk as above, a full readiness
refresh, and the national roll-up: ``readiness.rollup`` over every TpsReadiness row
grouped by kecamatan, plus the total (target < 2 s), against the baseline ``SELECT
count(*)`` / ``sum(dpt_total) GROUP BY kecamatan_id`` over the TPS table in the same run.
Then the Pemda is set to the province of Jawa Timur (60,751 TPS, 666 kecamatan) and the
pages are measured as its admin, a camat and a lurah.

Nothing asserts on time; the script exits non-zero only when a data check fails (row
counts, the requirement sums against Python's arithmetic, the states).

    .venv/bin/python bench/logistics.py [--part city|national|both] [--engine sqlite|postgres|both]
        [--requests 20] [--database-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import io
import math
import statistics
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

# (label, URL name, query string builder(ctx) or None)
PAGES = (
    ("readiness, Pemda", "logistics:readiness", lambda c: ""),
    ("readiness, kecamatan", "logistics:readiness", lambda c: f"?kecamatan={c['kecamatan']}"),
    ("readiness, kelurahan", "logistics:readiness", lambda c: f"?kelurahan={c['kelurahan']}"),
    ("requirements, Pemda", "logistics:requirement_summary", lambda c: ""),
    ("requirements, kecamatan", "logistics:requirement_summary",
     lambda c: f"?kecamatan={c['kecamatan']}"),
    ("requirements, kelurahan", "logistics:requirement_summary",
     lambda c: f"?kelurahan={c['kelurahan']}"),
    ("TPS logistics", "logistics:tps_logistics", None),
    ("item list", "logistics:item_list", lambda c: ""),
)


# --- data ----------------------------------------------------------------------------------------

def mark_receipts(election_id: int) -> dict:
    """Shipments to the TPS, set-based: by TPS id modulo 10, 0–6 received (0: one ballot box
    damaged plus an open shortfall case; 1: 5 ballots short), 7–8 on the way, 9 nothing."""
    from django.db import connection, transaction
    from django.utils import timezone

    from posko.logistics.models import Item

    now = timezone.now()
    when = connection.ops.adapt_datetimefield_value(now - datetime.timedelta(hours=30))
    box = Item.objects.get(election_id=election_id, code="kotak-suara").pk
    # one contest's ballots line (each contest has its own since issue 15)
    ballots = Item.objects.filter(election_id=election_id, norm=Item.Norm.BALLOTS,
                                  is_active=True).order_by("pk").values_list("pk", flat=True)[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO logistics_shipment (election_id, is_return, from_level, to_level, "
            "kecamatan_id, kelurahan_id, tps_id, seal_numbers, vehicle, driver, dispatched_at, "
            "status, received_at, receiver_name, handover_photo, note, created_at, version) "
            "SELECT t.election_id, %s, 'pps', 'tps', t.kecamatan_id, t.kelurahan_id, t.id, '', "
            "'', '', %s, CASE WHEN t.id %% 10 < 7 THEN 'received' ELSE 'dispatched' END, "
            "CASE WHEN t.id %% 10 < 7 THEN %s END, CASE WHEN t.id %% 10 < 7 THEN 'Ketua KPPS' "
            "ELSE '' END, '', '', %s, 1 FROM elections_tps t "
            "WHERE t.election_id = %s AND t.id %% 10 < 9",
            [False, when, when, when, election_id])
        shipments = cursor.rowcount
        cursor.execute(
            "INSERT INTO logistics_shipmentline (shipment_id, item_id, dispatched, received, "
            "damaged, explanation) "
            "SELECT s.id, r.item_id, r.quantity, "
            "CASE WHEN s.status <> 'received' THEN NULL "
            "     WHEN s.tps_id %% 10 = 1 AND r.item_id = %s THEN r.quantity - 5 "
            "     ELSE r.quantity END, "
            "CASE WHEN s.status = 'received' AND s.tps_id %% 10 = 0 AND r.item_id = %s THEN 1 "
            "     ELSE 0 END, '' "
            "FROM logistics_shipment s JOIN logistics_requirement r ON r.tps_id = s.tps_id "
            "WHERE s.election_id = %s AND s.to_level = 'tps'",
            [ballots, box, election_id])
        lines = cursor.rowcount
        cursor.execute(
            "INSERT INTO logistics_shortfall (election_id, kind, kecamatan_id, kelurahan_id, "
            "tps_id, item_id, quantity, shipment_id, description, status, resolution, "
            "created_at, version) "
            "SELECT s.election_id, 'damaged', s.kecamatan_id, s.kelurahan_id, s.tps_id, l.item_id, "
            "l.damaged, s.id, 'Kotak suara rusak', 'open', '', %s, 1 "
            "FROM logistics_shipment s JOIN logistics_shipmentline l ON l.shipment_id = s.id "
            "WHERE s.election_id = %s AND l.damaged > 0",
            [when, election_id])
        cases = cursor.rowcount
    return {"shipments": shipments, "lines": lines, "cases": cases}


def reset_logistics(election) -> None:
    """Remove what the demo seeded for logistics, so the run starts from an empty catalogue."""
    from posko.logistics.models import (
        Item,
        PlannedDistribution,
        Requirement,
        Shipment,
        ShipmentLine,
        Shortfall,
        TpsReadiness,
    )

    for model, lookup in ((Shortfall, "election"), (ShipmentLine, "shipment__election"),
                          (Shipment, "election"), (PlannedDistribution, "election"),
                          (TpsReadiness, "election"), (Requirement, "item__election"),
                          (Item, "election")):
        model.objects.filter(**{lookup: election}).delete()


def expected_states(election_id: int) -> dict:
    """The states mark_receipts must produce, counted from the TPS ids alone."""
    from django.db.models import Count, F, IntegerField
    from django.db.models.functions import Mod

    from posko.elections.models import Tps

    counts = dict(Tps.objects.filter(election_id=election_id).annotate(
        r=Mod(F("id"), 10, output_field=IntegerField())).values_list("r").annotate(
        n=Count("pk")).values_list("r", "n"))
    return {"bermasalah": counts.get(0, 0), "kurang": counts.get(1, 0),
            "lengkap": sum(counts.get(r, 0) for r in range(2, 7)),
            "belum": sum(counts.get(r, 0) for r in range(7, 10))}


def check_requirements(election, sample: int = 2000) -> bool:
    """The stored requirements of ``sample`` TPS equal Python's arithmetic."""
    from posko.elections.models import Tps
    from posko.logistics.models import Item, Requirement
    from posko.logistics.services.requirements import contest_coverage, required_quantity

    items = list(Item.objects.filter(election=election, is_active=True))
    covering = contest_coverage(election)
    tps = list(Tps.objects.filter(election=election).order_by("pk").values_list(
        "pk", "dpt_total", "kabkota_id")[:sample])
    stored = {(t, i): q for t, i, q in Requirement.objects.filter(
        tps_id__in=[t[0] for t in tps]).values_list("tps_id", "item_id", "quantity")}
    reserve = election.ballot_reserve_percent
    # a contest's own line (ballots, result forms) only where that contest votes, once
    want = {(pk, item.pk): required_quantity(
        item, dpt, 1 if item.contest_id else len(covering(kab)), reserve)
        for pk, dpt, kab in tps for item in items
        if item.contest_id is None or item.contest_id in covering(kab)}
    return stored == want


def check_sums(election) -> bool:
    """Pemda sums of ballots and boxes against Python: boxes = Σ contests per TPS, ballots =
    Σ ceil(DPT × (100 + reserve) / 100) × contests (e.g. Kota Malang: 2 × 1,188 boxes)."""
    from django.db.models import Sum

    from posko.elections.models import Tps
    from posko.logistics.models import Requirement
    from posko.logistics.services.requirements import ballots_required, contest_counter

    count = contest_counter(election)
    reserve = election.ballot_reserve_percent
    boxes = ballots = 0
    for dpt, kab in Tps.objects.filter(election=election).values_list("dpt_total", "kabkota_id").iterator(
            chunk_size=20_000):
        boxes += count(kab)
        ballots += ballots_required(dpt, reserve) * count(kab)
    stored = {
        "kotak-suara": Requirement.objects.filter(item__election=election,
                                                  item__code="kotak-suara").aggregate(
            n=Sum("quantity"))["n"] or 0,
        # every contest's ballots line together
        "surat-suara": Requirement.objects.filter(item__election=election,
                                                  item__norm="ballots", item__is_active=True
                                                  ).aggregate(n=Sum("quantity"))["n"] or 0}
    common.figure("  ballot boxes / ballots, whole Pemda", f"{stored['kotak-suara']:,} / "
                                                          f"{stored['surat-suara']:,}")
    return stored == {"kotak-suara": boxes, "surat-suara": ballots}


def add_contests(election) -> int:
    """A governor's contest per province and a bupati/wali kota contest per kab/kota."""
    from posko.elections.models import Contest
    from posko.regions.models import KabKota, Provinsi

    contests = [Contest(election=election, name=f"Gubernur {p.name}", level="gubernur",
                        provinsi=p) for p in Provinsi.objects.all()]
    contests += [Contest(election=election, name=f"{k.name} ({k.code})", level="walikota",
                         provinsi_id=k.provinsi_id, kabkota=k) for k in KabKota.objects.all()]
    Contest.objects.bulk_create(contests, batch_size=1000)
    return len(contests)


# --- measuring ------------------------------------------------------------------------------------

def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _ms(pair) -> str:
    return f"{pair[0] * 1000:7.1f} /{pair[1] * 1000:7.1f} ms"


def measure_pages(people: dict, ctx: dict, requests: int) -> list[tuple[str, float]]:
    """Print p50/p95 and the queries of every page for every user; returns the p95s."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    p95s = []
    for label, name, query in PAGES:
        try:
            url = (reverse(name, args=[ctx["tps"]]) if query is None else reverse(name) + query(ctx))
        except NoReverseMatch:
            common.figure(label, f"skipped: no URL named {name}")
            continue
        for who, user in people.items():
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            first = client.get(url)
            if first.status_code != 200:
                common.figure(f"{label} ({who})", f"HTTP {first.status_code} {url}")
                continue
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries = len(captured)  # now: the next request clears the log
            times = []
            for _ in range(requests):
                with common.timer() as elapsed:
                    client.get(url)
                times.append(elapsed())
            p50, p95 = quantiles(times)
            p95s.append((f"{label} ({who})", p95))
            common.figure(f"{label} ({who})", f"{_ms((p50, p95))}  {queries} queries")
    return p95s


def baseline(election_id: int, repeat: int = 5) -> float:
    from django.db import connection

    times = []
    for _ in range(repeat):
        with common.timer() as elapsed, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM elections_tps WHERE election_id = %s", [election_id])
            cursor.fetchall()
            cursor.execute("SELECT kecamatan_id, count(*), sum(dpt_total) FROM elections_tps "
                           "WHERE election_id = %s GROUP BY kecamatan_id", [election_id])
            cursor.fetchall()
        times.append(elapsed())
    return statistics.median(times)


def timed(label: str, fn, *args, **kwargs):
    with common.timer() as elapsed:
        result = fn(*args, **kwargs)
    common.figure(label, f"{elapsed():.2f}")
    return result, elapsed()


def _analyze():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def catalogue_and_readiness(election, admin, checks: dict) -> None:
    """Catalogue, recompute, norm change, receipts, refresh (shared by both parts)."""
    from django.db import transaction
    from django.db.models import Count

    from posko.core import audit
    from posko.elections.models import Tps
    from posko.logistics.models import Item, Requirement, TpsReadiness
    from posko.logistics.services import catalogue, readiness, requirements

    tps_count = Tps.objects.filter(election=election).count()
    added, _ = timed("install default catalogue + compute (s)", catalogue.install_defaults,
                     election, actor=admin)
    rows = Requirement.objects.filter(item__election=election).count()
    common.figure("  items / requirement rows", f"{added} / {rows:,}")
    checks["requirement rows = TPS × items"] = rows == tps_count * added
    _analyze()
    timed("recompute all TPS, nothing changed (s)", requirements.recompute, election)
    item = Item.objects.get(election=election, code="segel")
    before = audit.snapshot(item)
    item.quantity = 25
    timed("norm change of one item (update_item) (s)", catalogue.update_item, item, actor=admin,
          before=before)
    checks["requirements = Python arithmetic"] = check_requirements(election)
    checks["sums = Python arithmetic"] = check_sums(election)
    sample = list(Tps.objects.filter(election=election).order_by("pk").values_list("pk", flat=True)[:20])
    times = []
    for pk in sample:
        with common.timer() as elapsed:
            requirements.recompute(election, tps_ids=[pk])
        times.append(elapsed())
    common.figure("recompute one TPS (a DPT edit), p50 / max (ms)",
                  f"{statistics.median(times) * 1000:.1f} / {max(times) * 1000:.1f}")
    marked, _ = timed("mark receipts in bulk, SQL (s)", mark_receipts, election.pk)
    common.figure("  shipments / lines / shortfall cases",
                  f"{marked['shipments']:,} / {marked['lines']:,} / {marked['cases']:,}")
    _analyze()
    with transaction.atomic():
        timed("readiness refresh, all TPS (s)", readiness.refresh, election)
    states = dict(TpsReadiness.objects.filter(election=election).values_list("state").annotate(
        n=Count("pk")).values_list("state", "n"))
    common.figure("  states", ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())))
    checks["states"] = states == {k: v for k, v in expected_states(election.pk).items() if v}
    timed("readiness refresh again, nothing changed (s)", readiness.refresh, election)
    _analyze()


# --- the two parts ---------------------------------------------------------------------------------

def city(database_url: str, args) -> int:
    common.setup_django(database_url)
    common.migrate()
    from django.db import connection

    from posko.accounts.models import User
    from posko.demo.data import build_demo
    from posko.elections.models import Election, Tps

    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\nKota Malang on {engine}: {args.requests} requests per page and user", flush=True)
    timed("build_demo (s)", build_demo)
    election = Election.active()
    reset_logistics(election)  # the demo seeds logistics: start from an empty catalogue
    admin = User.objects.get(username="admin")
    checks: dict[str, bool] = {}
    catalogue_and_readiness(election, admin, checks)
    lurah = User.objects.get(username="lurah.kauman")
    people = {"admin": admin, "camat": User.objects.get(username="camat.klojen"), "lurah": lurah}
    tps = Tps.objects.filter(election=election, kelurahan_id=lurah.kelurahan_id).order_by("number").first()
    ctx = {"kecamatan": lurah.kecamatan_id, "kelurahan": lurah.kelurahan_id, "tps": tps.pk}
    base = baseline(election.pk)
    common.figure("baseline: count(*) + sum(dpt) by kecamatan (ms)", f"{base * 1000:.1f}")
    p95s = measure_pages(people, ctx, args.requests)
    if p95s:
        worst = max(p95s, key=lambda pair: pair[1])
        common.figure("slowest p95 (target < 300 ms)", f"{worst[1] * 1000:.1f} ms, {worst[0]}")
        common.figure("  ratio to baseline", common.ratio(worst[1], base))
    failed = [name for name, ok in checks.items() if not ok]
    common.figure("checks", "ok" if not failed else "FAILED: " + ", ".join(failed))
    return 1 if failed else 0


def national(database_url: str, args) -> int:
    from bench.national_dataset import build_national, prepare_national_database

    print(f"\nNational dataset on PostgreSQL ({database_url})", flush=True)
    election_id = prepare_national_database(database_url, fresh=False)
    from django.db import connection

    from posko.accounts.models import Role, User
    from posko.elections.models import Election
    from posko.logistics.models import TpsReadiness
    from posko.logistics.services.readiness import rollup

    result = build_national(connection, election_id)
    common.figure("TPS (COPY, s)", f"{result.rows:,} ({result.copy_seconds:.2f})")
    election = Election.objects.get(pk=election_id)
    common.figure("contests", f"{add_contests(election):,}")
    admin = User.objects.create(username="admin", role=Role.ADMIN)
    checks: dict[str, bool] = {}
    _analyze()
    catalogue_and_readiness(election, admin, checks)

    qs = TpsReadiness.objects.filter(election=election)
    times_group, times_total = [], []
    for _ in range(3):
        with common.timer() as elapsed:
            groups = list(rollup(qs, "kecamatan_id"))
        times_group.append(elapsed())
        with common.timer() as elapsed:
            total = rollup(qs, None)
        times_total.append(elapsed())
    group_s, total_s = statistics.median(times_group), statistics.median(times_total)
    common.figure("national roll-up by kecamatan (s)", f"{group_s:.3f}  ({len(groups):,} rows)")
    common.figure("national total (s)", f"{total_s:.3f}  ({total['tps']:,} TPS, "
                                        f"{total['lengkap']:,} complete)")
    base = baseline(election_id, repeat=3)
    common.figure("baseline: count(*) + sum(dpt) by kecamatan (s)", f"{base:.3f}")
    common.figure("ratio roll-up (both queries) / baseline", common.ratio(group_s + total_s, base))
    common.figure("target < 2 s", "ok" if group_s + total_s < 2 else "MISSED")
    checks["roll-up covers every TPS"] = total["tps"] == result.rows

    # The pages as a province's desk (Jawa Timur).
    from django.core.management import call_command

    from posko.regions.models import Kelurahan, Pemda

    call_command("set_pemda", "35", name="Pemerintah Provinsi Jawa Timur", stdout=io.StringIO())
    Pemda.clear_cache()
    kel = Kelurahan.objects.filter(code__startswith="35.").order_by("code").first()
    camat = User.objects.create(username="camat", role=Role.KECAMATAN, kecamatan_id=kel.kecamatan_id)
    lurah = User.objects.create(username="lurah", role=Role.KELURAHAN, kelurahan=kel,
                                kecamatan_id=kel.kecamatan_id)
    tps = election.tps.filter(kelurahan=kel).order_by("number").first()
    print(f"  pages as the desk of Jawa Timur ({election.tps.filter(kabkota__provinsi_id='35').count():,} "
          f"TPS), {args.requests} requests each", flush=True)
    measure_pages({"admin": admin, "camat": camat, "lurah": lurah},
                  {"kecamatan": kel.kecamatan_id, "kelurahan": kel.code, "tps": tps.pk},
                  args.requests)
    failed = [name for name, ok in checks.items() if not ok]
    common.figure("checks", "ok" if not failed else "FAILED: " + ", ".join(failed))
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["city", "national", "both"], default="both")
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both",
                        help="for the city part (the national part is PostgreSQL only)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and recreated)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        part, url = args.child
        sys.exit((city if part == "city" else national)(url, args))
    print("Logistics benchmark. Targets: city pages p95 < 300 ms; national roll-up < 2 s.",
          flush=True)
    pg_url = args.database_url or common.default_postgres_url("logistics")
    runs = []
    if args.part in ("city", "both"):
        if args.engine in ("sqlite", "both"):
            runs.append(("city", common.sqlite_url()))
        if args.engine in ("postgres", "both"):
            runs.append(("city", pg_url))
    if args.part in ("national", "both"):
        runs.append(("national", pg_url))
    status = 0
    try:
        for part, url in runs:
            if url.startswith("postgres"):
                common.fresh_postgres(url)
            command = [sys.executable, __file__, "--child", part, url,
                       "--requests", str(args.requests)]
            code = subprocess.run(command).returncode
            if code:
                print(f"{part}: the run exited with {code}", flush=True)
                status = 1
    finally:
        if any(url.startswith("postgres") for _, url in runs) and not args.keep:
            common.drop_postgres(pg_url)
    sys.exit(status)


if __name__ == "__main__":
    main()
