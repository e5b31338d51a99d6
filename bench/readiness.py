"""Readiness index roll-ups over 435,296 TPS of stored index rows (PostgreSQL, issue 17).

```
.venv/bin/python bench/readiness.py [--database-url URL] [--keep] [--repeat 5]
```

The world: a fresh database with the whole wilayah and the national TPS registry
(``bench/national_dataset.py``: 435,296 TPS over 83,762 kelurahan/desa); one
``readiness_tpsindex`` row per TPS written with ``INSERT … SELECT`` (deterministic values
from ``hashint8``: six components and the index; 3 % without an index).

Measured (median of ``--repeat`` runs, the readiness module's own ``rollups.rollup`` and
``least_ready`` on the Desk admin's queryset): the Pemda/national total, per kecamatan,
per kelurahan, the 50 least-ready TPS; baseline in the same run: a plain
``SELECT count(*), avg(index)`` over the same rows. Target: every roll-up < 2 s.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.national_dataset import build_national, prepare_national_database  # noqa: E402
from bench.voting_national import set_pemda  # noqa: E402

COMPONENTS = ("logistics", "staffing", "vulnerability", "outreach", "tasks", "incidents")
TARGET = 2.0


def fill_index(election_id: int) -> int:
    from django.db import connection

    parts = ", ".join(
        f"'{key}', jsonb_build_array(round((mod(abs(hashint8(t.id * {n + 7})), 1001) / 1000.0)"
        f"::numeric, 3), 'bench')" for n, key in enumerate(COMPONENTS))
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO readiness_tpsindex (tps_id, election_id, kabkota_id, kecamatan_id,
                kelurahan_id, components, index, missing, computed_at)
            SELECT t.id, t.election_id, t.kabkota_id, t.kecamatan_id, t.kelurahan_id,
                   jsonb_build_object({parts}),
                   CASE WHEN mod(abs(hashint8(t.id)), 100) < 3 THEN NULL
                        ELSE mod(abs(hashint8(t.id * 3)), 1001) / 1000.0 END,
                   CASE WHEN mod(abs(hashint8(t.id * 5)), 2) = 0 THEN 'logistics' ELSE '' END,
                   now()
            FROM elections_tps t WHERE t.election_id = %s""", [election_id])
        count = cur.rowcount
        cur.execute("ANALYZE readiness_tpsindex")
    return count


def timed(run, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        with common.timer() as elapsed:
            result = run()
        times.append(elapsed())
    return statistics.median(times), result


def run(url: str, repeat: int) -> int:
    election_id = prepare_national_database(url, fresh=False)
    from django.db import connection

    # Django's connection (autocommit): a URL would give a connection whose COPY is never
    # committed.
    built = build_national(connection, election_id)
    common.figure("TPS", f"{built.rows:,}")
    with common.timer() as elapsed:
        rows = fill_index(election_id)
    common.figure("index rows written (INSERT … SELECT, s)", f"{elapsed():.2f} ({rows:,})")
    assert rows == built.rows, (rows, built.rows)

    from posko.accounts.models import Role, User
    from posko.readiness.models import TpsIndex
    from posko.readiness.services import rollups

    set_pemda(None)  # the whole country: the Desk admin's scope is every TPS
    admin = User.objects.create_user(username="bench-admin", password="x", role=Role.ADMIN)
    qs = TpsIndex.objects.visible_to(admin).filter(election_id=election_id)

    def baseline():
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), avg(index) FROM readiness_tpsindex WHERE election_id = %s",
                        [election_id])
            return cur.fetchone()

    base, (count, _avg) = timed(baseline, repeat)
    common.figure("baseline: count(*), avg(index) (s)", f"{base:.3f}")
    ok = True
    checks = [
        ("roll-up: national/Pemda total", lambda: rollups.rollup(qs, 0.8, None)),
        ("roll-up: per kecamatan", lambda: rollups.rollup(qs, 0.8, "kecamatan")),
        ("roll-up: per kelurahan", lambda: rollups.rollup(qs, 0.8, "kelurahan")),
        ("least ready: 50 TPS", lambda: rollups.least_ready(qs, 50)),
    ]
    for label, func in checks:
        seconds, result = timed(func, repeat)
        ok &= seconds < TARGET
        common.figure(f"{label} (s)", f"{seconds:.3f}  {common.ratio(seconds, base)} of baseline"
                      f"  {'OK' if seconds < TARGET else 'SLOW'}")
        if label.startswith("roll-up: national"):
            assert result[0].tps == count, (result[0].tps, count)
        elif label.startswith("roll-up"):
            assert sum(g.tps for g in result) == count
    return 0 if ok else 1


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.default_postgres_url("readiness"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Readiness roll-ups on {args.database_url}")
    common.fresh_postgres(args.database_url)
    try:
        return run(args.database_url, args.repeat)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
