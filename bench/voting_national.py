"""Voting day at national scale: the board, the result tallies and the running counters
with 435,296 TPS (PostgreSQL).

```
.venv/bin/python bench/voting_national.py [--database-url URL] [--rebuild] [--requests 15]
                                          [--submissions 200] [--drop]
```

The world (built once, reused by later runs unless ``--rebuild``; default database
``posko_bench_voting_national`` on the local server, kept afterwards unless ``--drop``):
the whole wilayah (``bench/national_dataset.py``: 83,762 kelurahan/desa, ~7,200 kecamatan,
514 kab/kota) with 435,296 TPS; a governor's contest per province and a mayor's/regent's
contest per kab/kota (3 pairs each); for every TPS a finished voting day (``TpsDay``, 2 %
not reported) and the counted Pemda C.Hasil of both its contests (870,592 rows, 1 % "perlu
verifikasi"), all written with ``INSERT … SELECT`` from ``hashint8`` (deterministic); the
counters rebuilt with ``rollup.rebuild``.

Reuse from another benchmark (e.g. the quick count at national scale)::

    from bench.voting_national import build_world
    world = build_world(url, rebuild=False)  # sets Django up on url; builds or reuses
    world.election_id, world.governor_ids, world.mayor_ids   # {province/kabkota code: contest id}

Measured (Django test client, the Desk admin, p50/p95 over ``--requests`` requests, the
queries of one request): with a national Pemda, the board at the Pemda level and one
kecamatan, the tally of Jawa Timur's governor's contest at the Pemda level and one
kecamatan; then with Kota Malang as the Pemda, the board and the tally of the mayor's
contest (Pemda level and one kecamatan). ``rollup.apply`` per submission (and a whole
``submit_result`` correction) over ``--submissions`` TPS. Baselines in the same run: a plain
``SELECT count(*)`` over the same TPS, and a single-row read by primary key. Targets: p95
< 300 ms for a city, < 2 s national. Data checks: the counters equal a from-scratch sum
(one contest) after the submissions; every TPS has both results."""

from __future__ import annotations

import argparse
import io
import math
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

DEFAULT_NAME = "posko_bench_voting_national"
BENCH_ELECTION = "Pilkada Serentak 2024 (bench)"


@dataclass
class World:
    election_id: int
    governor_ids: dict[str, int]  # province code → contest id
    mayor_ids: dict[str, int]  # kab/kota code → contest id
    tps: int
    results: int
    counters: int
    built: bool  # False when an existing world was reused


def _contests(election_id: int) -> tuple[dict, dict]:
    from posko.elections.models import Contest

    governors, mayors = {}, {}
    for pk, provinsi, kabkota in Contest.objects.filter(election_id=election_id).values_list(
            "pk", "provinsi_id", "kabkota_id"):
        if kabkota:
            mayors[kabkota] = pk
        else:
            governors[provinsi] = pk
    return governors, mayors


def _existing(url: str) -> World | None:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT e.id, (SELECT count(*) FROM voting_tallycounter c "
                               "WHERE c.election_id = e.id) FROM elections_election e "
                               "WHERE e.name = %s", [BENCH_ELECTION]).fetchone()
    except psycopg.Error:
        return None
    if not row or not row[1]:
        return None
    common.setup_django(url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM elections_tps WHERE election_id = %s", [row[0]])
        tps = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM voting_tpsresult WHERE election_id = %s", [row[0]])
        results = cursor.fetchone()[0]
    governors, mayors = _contests(row[0])
    return World(row[0], governors, mayors, tps, results, row[1], built=False)


RESULT_SQL = """
INSERT INTO voting_tpsresult (
    kabkota_id, kecamatan_id, kelurahan_id, election_id, tps_id, contest_id, source, version,
    is_current, voters_dpt, voters_dptb, voters_dpk, valid, invalid, ballots_used,
    ballots_damaged, votes, status, checks, flags, stat_flags, is_counted, external_ref,
    device, reason, entered_at{extra_columns})
SELECT t.kabkota_id, t.kecamatan_id, t.kelurahan_id, t.election_id, t.id, c.id, 'pemda', 1,
       true, a.voters, 0, 0, b.valid, a.voters - b.valid, a.voters, 0,
       jsonb_build_object('1', d.v1, '2', e.v2, '3', b.valid - d.v1 - e.v2),
       CASE WHEN h.h %% 100 = 0 THEN 'perlu_verifikasi' ELSE 'tercatat' END,
       CASE WHEN h.h %% 100 = 0 THEN jsonb_build_array(jsonb_build_object('code', 'bench'))
            ELSE '[]'::jsonb END, '[]'::jsonb, '[]'::jsonb, true, '', 'bench', '',
       TIMESTAMPTZ '2024-11-27 16:00+07' + (h.h %% 300) * INTERVAL '1 minute'{extra_values}
FROM elections_tps t
JOIN elections_contest c ON c.election_id = t.election_id AND {join}
CROSS JOIN LATERAL (SELECT abs(hashint8(t.id::bigint * 1009 + c.id)) AS h) h
CROSS JOIN LATERAL (SELECT t.dpt_total * (55 + h.h %% 30) / 100 AS voters) a
CROSS JOIN LATERAL (SELECT a.voters - a.voters * (1 + h.h %% 3) / 100 AS valid) b
CROSS JOIN LATERAL (SELECT b.valid * (30 + (h.h / 7) %% 20) / 100 AS v1) d
CROSS JOIN LATERAL (SELECT (b.valid - d.v1) * (40 + (h.h / 13) %% 30) / 100 AS v2) e
WHERE t.election_id = %s
"""

DAY_SQL = """
INSERT INTO voting_tpsday (
    kabkota_id, kecamatan_id, kelurahan_id, election_id, tps_id, state, state_at, opened_at,
    closed_at, kpps_present, linmas_present, open_problems, last_report_at, version{extra_columns})
SELECT t.kabkota_id, t.kecamatan_id, t.kelurahan_id, t.election_id, t.id,
       CASE WHEN h.h %% 20 = 0 THEN 'penghitungan' WHEN h.h %% 20 = 1 THEN 'ditutup'
            ELSE 'selesai' END,
       TIMESTAMPTZ '2024-11-27 16:00+07', o.opened, TIMESTAMPTZ '2024-11-27 13:05+07',
       7, 2, CASE WHEN h.h %% 50 = 0 THEN 1 ELSE 0 END, TIMESTAMPTZ '2024-11-27 16:00+07', 6{extra_values}
FROM elections_tps t
CROSS JOIN LATERAL (SELECT abs(hashint8(t.id::bigint * 31)) AS h) h
CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2024-11-27 06:50+07'
                           + (h.h %% 40) * INTERVAL '1 minute' AS opened) o
WHERE t.election_id = %s AND h.h %% 50 <> 7
"""


def _extra(model, sql: str) -> tuple[dict, list]:
    """Columns the SQL above does not name but the table requires (added by later
    migrations): their model defaults, so the INSERT keeps working as the model grows."""
    from django.db import connection

    named = set(sql.replace("{extra_columns}", "").split("(", 1)[1].split(")", 1)[0].replace("\n", " ").replace(" ", "")
                .split(","))
    columns, params = [], []
    for field in model._meta.concrete_fields:
        if field.column in named or field.primary_key or field.null:
            continue
        columns.append(field.column)
        params.append(field.get_db_prep_save(field.get_default(), connection))
    return {"extra_columns": "".join(f", {c}" for c in columns),
            "extra_values": ", %s" * len(columns)}, params


def build_world(url: str, *, rebuild: bool = False) -> World:
    """The national voting-day world at ``url`` (see the module doc): reused when it exists
    and ``rebuild`` is False, else the database is dropped and built again. Sets Django up
    on ``url``. Prints what it did."""
    if not rebuild:
        world = _existing(url)
        if world is not None:
            common.figure("world reused", f"{world.tps:,} TPS, {world.results:,} results, "
                                          f"{world.counters:,} counters")
            return world
    from bench.national_dataset import build_national, prepare_national_database

    with common.timer() as total:
        election_id = prepare_national_database(url)
        from django.db import connection, transaction

        from posko.elections.models import CandidatePair, Contest, Election
        from posko.regions.models import KabKota, Provinsi
        from posko.voting import rollup
        from posko.voting.models import TpsDay, TpsResult

        Election.objects.filter(pk=election_id).update(name=BENCH_ELECTION)
        result = build_national(connection, election_id)
        common.figure("TPS (COPY, s)", f"{result.rows:,} ({result.copy_seconds:.2f})")
        with common.timer() as elapsed, transaction.atomic():
            contests = [Contest(election_id=election_id, name=f"Gubernur {p.name} ({p.code})",
                                level="gubernur", provinsi_id=p.code)
                        for p in Provinsi.objects.all()]
            contests += [Contest(election_id=election_id, name=f"{k.name} ({k.code})",
                                 level="walikota" if k.name.startswith("Kota") else "bupati",
                                 provinsi_id=k.provinsi_id, kabkota_id=k.code)
                         for k in KabKota.objects.all()]
            Contest.objects.bulk_create(contests, batch_size=1000)
            CandidatePair.objects.bulk_create(
                [CandidatePair(contest=c, ballot_number=n, head_name=f"Calon {n}",
                               deputy_name=f"Wakil {n}") for c in contests for n in (1, 2, 3)],
                batch_size=2000)
            parts, extra = _extra(TpsResult, RESULT_SQL)
            day_parts, day_extra = _extra(TpsDay, DAY_SQL)
            with connection.cursor() as cursor:
                cursor.execute(RESULT_SQL.format(
                    join="c.kabkota_id IS NULL AND c.provinsi_id = left(t.kabkota_id, 2)",
                    **parts), [*extra, election_id])
                governors = cursor.rowcount
                cursor.execute(RESULT_SQL.format(join="c.kabkota_id = t.kabkota_id", **parts),
                               [*extra, election_id])
                mayors = cursor.rowcount
                cursor.execute(DAY_SQL.format(**day_parts), [*day_extra, election_id])
                days = cursor.rowcount
        common.figure("contests, results, voting days (INSERT … SELECT, s)",
                      f"{len(contests):,} contests, {governors + mayors:,} results, "
                      f"{days:,} days ({elapsed():.1f})")
        _analyze()
        with common.timer() as elapsed:
            counters = rollup.rebuild(Election.objects.get(pk=election_id))
        common.figure("counters rebuilt, rollup.rebuild (s)", f"{counters:,} ({elapsed():.1f})")
        _analyze()
    common.figure("world built (s)", f"{total():.1f}")
    governors_by_code, mayors_by_code = _contests(election_id)
    return World(election_id, governors_by_code, mayors_by_code, result.rows,
                 governors + mayors, counters, built=True)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("elections_tps", "voting_tpsresult", "voting_tpsday", "voting_tallycounter"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def quantiles(times):
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(label, client, url, requests, target, results):
    first = client.get(url)
    if first.status_code != 200:
        common.figure(label, f"HTTP {first.status_code} {url}")
        results.append((label, float("inf"), target))
        return
    client.get(url)  # warm
    times = []
    for _ in range(requests):
        with common.timer() as elapsed:
            client.get(url)
        times.append(elapsed())
    p50, p95 = quantiles(times)
    results.append((label, p95, target))
    common.figure(label, f"{p50 * 1000:7.1f} /{p95 * 1000:7.1f} ms")


def sql_baseline(sql, params, repeat=15):
    from django.db import connection

    times = []
    for _ in range(repeat):
        with common.timer() as elapsed, connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        times.append(elapsed())
    return quantiles(times)


def set_pemda(code: str | None) -> None:
    from posko.regions.models import Pemda

    if code:
        from django.core.management import call_command

        call_command("set_pemda", code, stdout=io.StringIO())
    else:  # the whole country: a Pemda bound to no region sees every row. Posko's schema
        # requires a province or kab/kota; only this synthetic database drops that check.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE regions_pemda DROP CONSTRAINT IF EXISTS pemda_one_region")
        Pemda.objects.update_or_create(pk=1, defaults={"name": "Nasional (bench)",
                                                       "kabkota": None, "provinsi": None})
    Pemda.clear_cache()


def submissions(world, admin, count):
    """rollup.apply alone, and a whole submit_result correction, per TPS of Kota Malang."""
    from django.db import transaction

    from posko.elections.models import Election, Tps
    from posko.voting import rollup, services
    from posko.voting.models import TpsResult

    election = Election.objects.get(pk=world.election_id)
    contest_id = world.mayor_ids["35.73"]
    contest = next(c for c in services.contests_of(election) if c.pk == contest_id)
    rng = random.Random(2024)
    tps_ids = list(Tps.objects.filter(election=election, kabkota_id="35.73")
                   .values_list("pk", flat=True))
    applies, submits = [], []
    for tps_id in rng.sample(tps_ids, min(count, len(tps_ids))):
        tps = Tps.objects.get(pk=tps_id)
        counted = TpsResult.objects.get(tps=tps, contest=contest, is_counted=True)
        old = rollup.snapshot(counted)
        new = {**old, "votes": {**old["votes"], "1": old["votes"]["1"] + 1,
                                "2": old["votes"]["2"] - 1}}
        with transaction.atomic(), common.timer() as elapsed:
            rollup.apply(old, new)
        applies.append(elapsed())
        with transaction.atomic():
            rollup.apply(new, old)  # back: the entries did not change
        voters = counted.voters
        values = {"voters_dpt": voters, "voters_dptb": 0, "voters_dpk": 0,
                  "valid": counted.valid, "invalid": counted.invalid, "ballots_used": voters,
                  "ballots_damaged": 0}
        with common.timer() as elapsed:
            services.submit_result(tps, contest, actor=admin, election=election, values=values,
                                   votes={int(k): v for k, v in counted.votes.items()},
                                   reason="Bench: same numbers again.")
        submits.append(elapsed())
    return applies, submits, contest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL database (default: $POSKO_BENCH_DATABASE_URL or "
                             f"{common.POSTGRES_SERVER}/{DEFAULT_NAME})")
    parser.add_argument("--rebuild", action="store_true", help="drop and build the world again")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args(argv)
    import os

    url = (args.database_url or os.environ.get("POSKO_BENCH_DATABASE_URL")
           or f"{common.POSTGRES_SERVER}/{DEFAULT_NAME}")
    print(f"Voting day at national scale on {url}. Targets: p95 < 300 ms for a city, "
          "< 2 s national.", flush=True)
    world = build_world(url, rebuild=args.rebuild)

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from posko.accounts.models import Role, User
    from posko.elections.models import Election
    from posko.voting import rollup

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create(
        username="bench-admin", role=Role.ADMIN)
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    results: list[tuple[str, float, float]] = []
    eid = world.election_id
    jatim = world.governor_ids["35"]
    malang = world.mayor_ids["35.73"]
    board, tally = reverse("voting:board"), reverse("voting:tally")

    print("\nNational Pemda (the Desk admin sees all 435,296 TPS)", flush=True)
    set_pemda(None)
    p50, p95 = sql_baseline("SELECT count(*) FROM elections_tps WHERE election_id = %s", [eid])
    common.figure("baseline: SELECT count(*) of the TPS", f"{p50 * 1000:7.1f} /{p95 * 1000:7.1f} ms")
    national_base = p95
    measure("board, Pemda level (7,2xx kecamatan)", client, board, args.requests, 2, results)
    measure("board, one kecamatan (Klojen)", client, f"{board}?kecamatan=35.73.02",
            args.requests, 2, results)
    measure("tally, Pemda level, Gubernur Jawa Timur", client, f"{tally}?contest={jatim}",
            args.requests, 2, results)
    measure("tally, one kecamatan, Gubernur Jawa Timur", client,
            f"{tally}?contest={jatim}&kecamatan=35.73.02", args.requests, 2, results)
    measure("tally, Pemda level, Kota Malang", client, f"{tally}?contest={malang}",
            args.requests, 2, results)

    print("\nKota Malang as the Pemda (1,5xx TPS in the synthetic world)", flush=True)
    set_pemda("35.73")
    c50, c95 = sql_baseline("SELECT count(*) FROM elections_tps WHERE election_id = %s "
                            "AND kabkota_id = %s", [eid, "35.73"])
    common.figure("baseline: SELECT count(*) of the city's TPS",
                  f"{c50 * 1000:7.1f} /{c95 * 1000:7.1f} ms")
    measure("board, Pemda level (city)", client, board, args.requests, 0.3, results)
    measure("board, one kecamatan (city)", client, f"{board}?kecamatan=35.73.02",
            args.requests, 0.3, results)
    measure("tally, Pemda level, Wali Kota Malang", client, f"{tally}?contest={malang}",
            args.requests, 0.3, results)
    measure("tally, Pemda level, Gubernur (city's share)", client, f"{tally}?contest={jatim}",
            args.requests, 0.3, results)
    measure("tally, one kecamatan, Wali Kota Malang", client,
            f"{tally}?contest={malang}&kecamatan=35.73.02", args.requests, 0.3, results)

    print("\nPer submission (Kota Malang)", flush=True)
    r50, r95 = sql_baseline("SELECT * FROM voting_tallycounter WHERE id = "
                            "(SELECT min(id) FROM voting_tallycounter)", [], repeat=args.submissions)
    common.figure("baseline: single-row read", f"{r50 * 1000:7.2f} /{r95 * 1000:7.2f} ms")
    applies, submits, contest = submissions(world, admin, args.submissions)
    a50, a95 = quantiles(applies)
    s50, s95 = quantiles(submits)
    common.figure("rollup.apply (p50 / p95)", f"{a50 * 1000:7.2f} /{a95 * 1000:7.2f} ms  "
                                              f"{common.ratio(a95, r95)} the single-row read")
    common.figure("submit_result correction (p50 / p95)",
                  f"{s50 * 1000:7.2f} /{s95 * 1000:7.2f} ms")

    print("\nSummary", flush=True)
    for label, p95, target in results:
        base = c95 if target < 1 else national_base
        common.figure(label, f"p95 {p95 * 1000:7.1f} ms  {common.ratio(p95, base)} baseline  "
                             f"{'ok' if p95 < target else 'MISSED'} (< {target * 1000:.0f} ms)")
    election = Election.objects.get(pk=eid)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM elections_tps t WHERE t.election_id = %s AND "
                       "(SELECT count(*) FROM voting_tpsresult r WHERE r.tps_id = t.id AND "
                       "r.is_counted) <> 2", [eid])
        missing = cursor.fetchone()[0]
    drift = rollup.check(election, contest)
    checks = {"every TPS has both counted results": missing == 0,
              "counters = from-scratch sum (Wali Kota Malang)": not drift}
    for name, ok in checks.items():
        print(f"  check: {name}: {'ok' if ok else 'FAILED'}")
    connection.close()
    if args.drop:
        common.drop_postgres(url)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
