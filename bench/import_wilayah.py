"""National ``import_wilayah()`` (38 provinces, 514 kab/kota, 7,285 kecamatan, 83,762
kelurahan/desa) on SQLite and on PostgreSQL, each on a fresh database.

Prints the seconds of the first run, of a second (idempotent, nothing changes) run,
and of a baseline measured in the same run on another fresh database: reading the same
CSV files and inserting the same rows into the same tables with raw ``executemany`` in
one transaction. Target: the first run under 10 s.

    .venv/bin/python bench/import_wilayah.py [--database-url postgres://...] [--keep]

Each measurement runs in its own Python process (Django is configured once per process).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``posko`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def _child_import() -> dict:
    from posko.regions.importer import import_wilayah

    with common.timer() as first:
        result = import_wilayah()
    with common.timer() as second:
        again = import_wilayah()
    return {
        "first": first(),
        "second": second(),
        "created": sum(level.created for level in result.levels),
        "changed_second": again.changed,
    }


def _child_baseline() -> dict:
    from django.db import connection, transaction

    from posko.regions.importer import DATA_DIR, LEVELS, _read

    with common.timer() as total:
        with common.timer() as reading:
            tables = []
            for model, filename, parent_field, pattern in LEVELS:
                rows = _read(DATA_DIR / filename, pattern, parent_field is not None)
                if parent_field:
                    sql = (f"INSERT INTO {model._meta.db_table} (code, name, {parent_field}) "
                           "VALUES (%s, %s, %s)")
                    params = [(code, name, parent) for code, parent, name in rows]
                else:
                    sql = f"INSERT INTO {model._meta.db_table} (code, name) VALUES (%s, %s)"
                    params = [(code, name) for code, _, name in rows]
                tables.append((sql, params))
        read_seconds = reading()
        with transaction.atomic(), connection.cursor() as cur:
            for sql, params in tables:
                cur.executemany(sql, params)
    return {"baseline": total(), "read": read_seconds,
            "inserted": sum(len(params) for _, params in tables)}


def child(mode: str, url: str) -> None:
    common.setup_django(url)
    migrate_seconds = common.migrate()
    result = _child_import() if mode == "import" else _child_baseline()
    result["migrate"] = migrate_seconds
    print(json.dumps(result))


def _run_child(mode: str, url: str) -> dict:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--database-url", url],
        capture_output=True, text=True, check=False)
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"{mode} on {url} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure(engine: str, postgres_url: str, keep: bool) -> dict:
    results = {}
    for mode in ("import", "baseline"):
        if engine == "postgres":
            common.fresh_postgres(postgres_url)
            url = postgres_url
        else:
            url = common.sqlite_url(tempfile.mkdtemp(prefix=f"posko-bench-{mode}-"))
        results.update(_run_child(mode, url))
        if engine == "postgres" and not keep:
            common.drop_postgres(postgres_url)
    return results


def report(engine: str, r: dict) -> bool:
    print(f"{engine}:")
    common.figure("import_wilayah(), first run (s)", f"{r['first']:.2f}  ({r['created']:,} rows)")
    common.figure("import_wilayah(), second run, no change (s)",
                  f"{r['second']:.2f}  ({r['changed_second']} changed)")
    common.figure("baseline: read CSV + raw executemany (s)",
                  f"{r['baseline']:.2f}  (read {r['read']:.2f}, {r['inserted']:,} rows)")
    common.figure("ratio first run / baseline", common.ratio(r["first"], r["baseline"]))
    common.figure("ratio second run / baseline", common.ratio(r["second"], r["baseline"]))
    ok = r["first"] < 10 and r["changed_second"] == 0 and r["created"] == r["inserted"]
    common.figure("target first run < 10 s", "ok" if ok else "MISSED")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.default_postgres_url("wilayah"),
                        help="PostgreSQL database to create (dropped first!) and use "
                             "(default: $POSKO_BENCH_DATABASE_URL or posko_bench_<name>_<pid> on "
                             f"{common.POSTGRES_SERVER})")
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--child", choices=["import", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.database_url)
        return 0

    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    ok = True
    for engine in engines:
        ok &= report(engine, measure(engine, args.database_url, args.keep))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
