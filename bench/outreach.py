"""Outreach coverage roll-ups with 200,000 activities over the synthetic national region set
(PostgreSQL only; database ``bench_outreach_<pid>``, dropped afterwards unless ``--keep``).

Data: ``bench/national_dataset.py`` builds all 83,762 kelurahan/desa and 435,296 TPS
(DPT 203,657,354). Then 200,000 outreach activities are written with COPY: 5,000 in Kota
Malang's 57 kelurahan (six times the demo's 800, a busy city desk) and 195,000 spread over
the country; 85 % held, 10 % planned, 5 % cancelled; 4 % media/online without a place;
one to three target groups each (about 400,000 link rows).

Figures:

* **City view** (Pemda = Kota Malang): ``coverage.kelurahan_coverage`` + the kecamatan and
  Pemda roll-ups, and the pages (coverage as the admin, as a camat; a kelurahan's coverage
  as its lurah; the early warning; the activity list) with the Django test client: p50 /
  p95 over ``--requests`` requests and the queries of one request. Target: p95 < 300 ms.
* **National view**: the same roll-up over every kelurahan of the country (a scope with
  no Pemda boundary, as if one desk saw all 545 elections): time, and its ratio to the
  baseline.
* **Baseline** (same run): the two raw ``GROUP BY kelurahan_id`` queries the roll-up needs
  at least (held non-media activities: count and sum of attendance; TPS: sum of DPT).

Nothing asserts on time; the script exits non-zero only when a data check fails (the
roll-up's totals against SQL sums).

    .venv/bin/python bench/outreach.py [--requests 20] [--activities 200000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import io
import math
import os
import random
import statistics
import sys
from pathlib import Path
from types import SimpleNamespace

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

CITY = "35.73"
CITY_ACTIVITIES = 5_000
SEED = 8


def quantiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def write_activities(election_id: int, total: int) -> int:
    """COPY ``total`` activities and their target-group links; returns the link rows."""
    from django.db import connection, transaction

    from posko.core.bulk import insert_rows
    from posko.outreach.models import Activity, TargetGroup

    rng = random.Random(SEED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM regions_kelurahan ORDER BY code")
        codes = [c for (c,) in cursor.fetchall()]
    city = [c for c in codes if c.startswith(CITY + ".")]
    groups = list(TargetGroup.objects.values_list("pk", flat=True))
    kinds = ["tatap_muka", "door_to_door", "sekolah", "keagamaan", "acara_warga", "lainnya"]
    start = datetime.datetime(2024, 9, 2, 1, 0, tzinfo=datetime.UTC)
    now = datetime.datetime.now(datetime.UTC)
    fields = ["id", "election_id", "organiser_kind", "agency_id", "partner_name", "organiser_key",
              "kind", "title", "starts_at", "kabkota_id", "kecamatan_id", "kelurahan_id", "rw",
              "rt", "venue", "latitude", "longitude", "status", "expected_attendance",
              "attendance", "attendance_men", "attendance_women", "materials", "notes",
              "cancel_reason", "created_by_id", "created_at", "updated_at", "version"]
    links = []

    def rows():
        for pk in range(1, total + 1):
            media = rng.random() < 0.04
            kel = None if media else (rng.choice(city) if pk <= CITY_ACTIVITIES else rng.choice(codes))
            kec = kel.rsplit(".", 1)[0] if kel else None
            kab = kec.rsplit(".", 1)[0] if kec else rng.choice(codes)[:5]
            roll = rng.random()
            status = "held" if roll < 0.85 else "planned" if roll < 0.95 else "cancelled"
            attendance = rng.randint(20, 400) if status == "held" else None
            when = start + datetime.timedelta(minutes=rng.randrange(0, 85 * 24 * 60))
            for group in rng.sample(groups, rng.randint(1, 3)):
                links.append((pk, group))
            yield (pk, election_id, "kelurahan" if kel else "partner", None,
                   "" if kel else "KPU", f"kelurahan:{kel}" if kel else "partner:kpu",
                   "media" if media else rng.choice(kinds), f"Sosialisasi {pk}", when, kab, kec,
                   kel, "", "", "", None, None, status, None, attendance, None, None, "", "",
                   "Hujan" if status == "cancelled" else "", None, now, now, 1)

    through = Activity.target_groups.through
    with transaction.atomic():
        insert_rows(Activity, fields, rows())
        insert_rows(through, ["activity_id", "targetgroup_id"], links)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('outreach_activity', 'id'), "
                           "(SELECT max(id) FROM outreach_activity))")
    return len(links)


def baseline(election_id: int, kabkota: str | None, repeat: int = 5) -> float:
    from django.db import connection

    where = "AND kabkota_id = %s" if kabkota else ""
    params = [election_id, kabkota] if kabkota else [election_id]
    times = []
    for _ in range(repeat):
        with common.timer() as elapsed, connection.cursor() as cursor:
            cursor.execute("SELECT kelurahan_id, count(*), sum(attendance) FROM outreach_activity "
                           "WHERE election_id = %s AND status = 'held' AND kind <> 'media' AND "
                           f"kelurahan_id IS NOT NULL {where} GROUP BY kelurahan_id", params)
            cursor.fetchall()
            cursor.execute("SELECT kelurahan_id, sum(dpt_total) FROM elections_tps WHERE "
                           f"election_id = %s {where} GROUP BY kelurahan_id", params)
            cursor.fetchall()
        times.append(elapsed())
    return statistics.median(times)


def rollup_once(election, user):
    from posko.outreach import coverage

    rows = coverage.kelurahan_coverage(election, user)
    return rows, coverage.rollup(rows, "kecamatan"), coverage.rollup(rows, "total")


def check_totals(election_id: int, total_row, kabkota: str | None) -> bool:
    from django.db import connection

    where = "AND a.kabkota_id = %s" if kabkota else ""
    params = [election_id, kabkota] if kabkota else [election_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(attendance), 0) FROM outreach_activity a "
                       "WHERE election_id = %s AND status = 'held' AND kind <> 'media' AND "
                       f"kelurahan_id IS NOT NULL {where}", params)
        count, reached = cursor.fetchone()
        cursor.execute("SELECT coalesce(sum(dpt_total), 0) FROM elections_tps a WHERE "
                       f"election_id = %s {where}", params)
        (dpt,) = cursor.fetchone()
    ok = (total_row.activities, total_row.reached, total_row.dpt) == (count, reached, dpt)
    common.figure("  totals match SQL (activities, reached, DPT)",
                  f"{'ok' if ok else 'MISMATCH'}: {count:,} / {reached:,} / {dpt:,}")
    return ok


PAGES = [
    ("coverage, Pemda (admin)", "outreach:coverage", None, "admin"),
    ("coverage, kecamatan (camat)", "outreach:coverage", None, "camat"),
    ("coverage of a kelurahan (lurah)", "outreach:coverage_kelurahan", "kel", "lurah"),
    ("early warning (admin)", "outreach:early_warning", None, "admin"),
    ("activity list (admin)", "outreach:activity_list", None, "admin"),
    ("activity list (lurah)", "outreach:activity_list", None, "lurah"),
]


def measure_pages(people, kel, requests) -> float:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    worst = 0.0
    for label, name, arg, who in PAGES:
        url = reverse(name, args=[kel]) if arg else reverse(name)
        client = Client(HTTP_HOST="localhost")
        client.force_login(people[who])
        first = client.get(url)
        if first.status_code != 200:
            common.figure(label, f"HTTP {first.status_code} {url}")
            continue
        captured = []

        def count(execute, sql, params, many, context, captured=captured):
            captured.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(requests):
            with common.timer() as elapsed:
                client.get(url)
            times.append(elapsed())
        p50, p95 = quantiles(times)
        worst = max(worst, p95)
        common.figure(label, f"{p50 * 1000:7.1f} /{p95 * 1000:7.1f} ms  {len(captured)} queries")
    return worst


def run(url: str, args) -> int:
    from bench.national_dataset import build_national, prepare_national_database

    print(f"Outreach benchmark on {url}", flush=True)
    election_id = prepare_national_database(url)
    from django.core.management import call_command
    from django.db import connection

    result = build_national(connection, election_id)
    common.figure("national TPS (rows / s)", f"{result.rows:,} / {result.seconds:.2f}")
    with common.timer() as elapsed:
        links = write_activities(election_id, args.activities)
    common.figure("activities + group links written (s)",
                  f"{args.activities:,} + {links:,} in {elapsed():.2f}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    from posko.accounts.models import Role, User
    from posko.core import scope
    from posko.elections.models import Election
    from posko.regions.models import Kelurahan, Pemda

    election = Election.objects.get(pk=election_id)
    admin = User.objects.create(username="admin", role=Role.ADMIN)
    checks = []

    # National view: no Pemda boundary (every kelurahan of the country).
    print("National view (83,762 kelurahan, 435,296 TPS)", flush=True)
    scope.register_pemda_provider(lambda: SimpleNamespace(kabkota_id=None, provinsi_id=None))
    base = baseline(election_id, None)
    common.figure("baseline: two raw GROUP BY queries (s)", f"{base:.3f}")
    times = []
    for _ in range(3):
        with common.timer() as elapsed:
            rows, per_kec, total = rollup_once(election, admin)
        times.append(elapsed())
    national = statistics.median(times)
    common.figure("roll-up per kelurahan + kecamatan + total (s)",
                  f"{national:.2f} (median of 3; {len(rows):,} kelurahan, {len(per_kec):,} kecamatan)")
    common.figure("ratio national roll-up / baseline", common.ratio(national, base))
    checks.append(check_totals(election_id, total[0], None))

    # City view: the Pemda of Kota Malang.
    scope.register_pemda_provider(Pemda.current)  # what RegionsConfig.ready() registers
    call_command("set_pemda", CITY, name="Pemerintah Kota Malang", stdout=io.StringIO())
    Pemda.clear_cache()
    print("City view (Kota Malang)", flush=True)
    base = baseline(election_id, CITY)
    common.figure("baseline: two raw GROUP BY queries, city (ms)", f"{base * 1000:.1f}")
    times = []
    for _ in range(args.requests):
        with common.timer() as elapsed:
            rows, per_kec, total = rollup_once(election, admin)
        times.append(elapsed())
    p50, p95 = quantiles(times)
    common.figure("roll-up, city (p50 / p95 ms)", f"{p50 * 1000:.1f} / {p95 * 1000:.1f} "
                  f"({len(rows)} kelurahan)")
    common.figure("ratio city roll-up p95 / baseline", common.ratio(p95, base))
    checks.append(check_totals(election_id, total[0], CITY))
    kel = Kelurahan.objects.filter(code__startswith=CITY + ".").order_by("code").first()
    people = {
        "admin": admin,
        "camat": User.objects.create(username="camat", role=Role.KECAMATAN,
                                     kecamatan_id=kel.kecamatan_id),
        "lurah": User.objects.create(username="lurah", role=Role.KELURAHAN, kelurahan=kel,
                                     kecamatan_id=kel.kecamatan_id),
    }
    print(f"City pages, {args.requests} requests each (p50 / p95, queries)", flush=True)
    worst = measure_pages(people, kel.code, args.requests)
    common.figure("worst page p95 vs target 300 ms", f"{worst * 1000:.1f} ms "
                  f"({'ok' if worst < 0.3 else 'MISSED'})")
    common.figure("checks", "ok" if all(checks) else "FAILED")
    return 0 if all(checks) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (dropped and recreated); default "
                             f"{common.POSTGRES_SERVER}/bench_outreach_<pid>")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = args.database_url or f"{common.POSTGRES_SERVER}/bench_outreach_{os.getpid()}"
    if not url.rsplit("/", 1)[-1].startswith("bench_outreach"):
        raise SystemExit("the database name must start with bench_outreach")
    common.fresh_postgres(url)
    try:
        status = run(url, args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            common.drop_postgres(url)
    sys.exit(status)


if __name__ == "__main__":
    main()
