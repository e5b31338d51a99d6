"""Validated TPS import of 100,000 generated rows, from CSV and from XLSX, on SQLite
and on PostgreSQL (fresh database each), through the same engine the import page
uses (parse, every rule, scope, bulk write, one audit row per TPS plus the import).

Baseline, measured in the same process on the same database: a raw ``executemany``
INSERT of the same 100,000 rows into the same table in one transaction, with no
parsing, validation or audit. Target: ≥ 25,000 rows/s for CSV on PostgreSQL.

    .venv/bin/python bench/tps_import.py [--rows 100000] [--database-url URL] [--sqlite-only]

The Pemda is the province of Jawa Timur (a governor's desk: 8,494 kelurahan/desa), so
100,000 TPS spread over real kelurahan codes, about 12 each.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

HEADER = ["kode_kelurahan", "nomor_tps", "alamat", "rt", "rw", "latitude", "longitude",
          "dpt_laki_laki", "dpt_perempuan", "lokasi_khusus", "keterangan_lokasi_khusus",
          "akses_disabilitas"]


def generate_rows(kelurahan_codes: list[str], count: int, seed: int = 2024) -> list[list]:
    rng = random.Random(seed)
    rows = []
    numbers: dict[str, int] = {}
    for i in range(count):
        code = kelurahan_codes[i % len(kelurahan_codes)]
        numbers[code] = numbers.get(code, 0) + 1
        total = rng.randint(150, 600)
        men = total // 2 - rng.randint(0, 20)
        rows.append([code, numbers[code], f"Jl. Contoh No. {rng.randint(1, 200)}",
                     f"{rng.randint(1, 15):03d}", f"{rng.randint(1, 10):03d}",
                     round(-7.0 - rng.random() * 1.5, 6), round(111.0 + rng.random() * 3, 6),
                     men, total - men, "", "", "ya"])
    return rows


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    from posko.core.exports import xlsx_bytes as build

    return build("TPS", HEADER, rows)


def _child(database_url: str, count: int) -> dict:
    common.setup_django(database_url)
    common.migrate()
    import datetime

    from django.db import connection, transaction

    from posko.accounts.models import Role, User
    from posko.core.models import AuditEntry
    from posko.elections.imports import TpsImporter
    from posko.elections.models import Election, Tps, place_codes
    from posko.regions.importer import import_wilayah
    from posko.regions.models import Kelurahan, Pemda

    import_wilayah(only="35")
    Pemda.objects.create(provinsi_id="35", name="Pemerintah Provinsi Jawa Timur")
    election = Election.objects.create(name="Bench", voting_date=datetime.date(2024, 11, 27),
                                       is_active=True)
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    codes = list(Kelurahan.objects.order_by("code").values_list("code", flat=True))
    rows = generate_rows(codes, count)
    data_csv = csv_bytes(rows)
    with common.timer() as t_xlsx_build:
        data_xlsx = xlsx_bytes(rows)
    out: dict = {"rows": count, "kelurahan": len(codes), "csv_mb": len(data_csv) / 1e6,
                 "xlsx_mb": len(data_xlsx) / 1e6, "xlsx_build": t_xlsx_build()}

    # Baseline: raw executemany of the same rows (already typed), no validation, no audit.
    table = Tps._meta.db_table
    sql = (f"INSERT INTO {table} (election_id, kelurahan_id, kecamatan_id, kabkota_id, number, "
           "address, rt, rw, latitude, longitude, dpt_men, dpt_women, special_location, "
           "special_location_note, accessible, notes, created_at, updated_at) VALUES "
           "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)")
    now = datetime.datetime.now(datetime.UTC)
    params = [(election.pk, r[0], *place_codes(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8],
               "", "", True, "", now, now) for r in rows]
    with common.timer() as t_base:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
    out["baseline"] = t_base()
    Tps.objects.all().delete()
    if connection.vendor == "postgresql":
        # The fastest raw path as a second baseline: COPY of the same typed rows.
        columns = sql[sql.index("(") + 1: sql.index(")")]
        with common.timer() as t_copy:
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in params:
                        copy.write_row(row)
        out["baseline_copy"] = t_copy()
        Tps.objects.all().delete()

    def run(data: bytes, name: str) -> tuple[float, object]:
        with common.timer() as elapsed:
            result = TpsImporter(actor=admin, election=election).run(data, name)
        if not result.ok:
            raise SystemExit(f"import failed: {result.file_error or [str(e) for e in result.errors[:5]]}")
        return elapsed(), result

    out["csv"], result = run(data_csv, "bench.csv")
    out["csv_created"] = result.created
    out["csv_again"], again = run(data_csv, "bench.csv")
    out["csv_again_unchanged"] = again.unchanged
    out["audit_rows"] = AuditEntry.objects.count()
    Tps.objects.all().delete()
    AuditEntry.objects.all().delete()
    out["xlsx"], result = run(data_xlsx, "bench.xlsx")
    out["xlsx_created"] = result.created
    return out


def _report(label: str, r: dict) -> None:
    n = r["rows"]
    print(f"\n{label}: {n:,} rows over {r['kelurahan']:,} kelurahan "
          f"(CSV {r['csv_mb']:.1f} MB, XLSX {r['xlsx_mb']:.1f} MB)")
    common.figure("baseline: raw executemany INSERT", f"{r['baseline']:.2f} s  {n / r['baseline']:,.0f} rows/s")
    if "baseline_copy" in r:
        common.figure("baseline: raw COPY", f"{r['baseline_copy']:.2f} s  "
                      f"{n / r['baseline_copy']:,.0f} rows/s")
    common.figure("CSV import (validated, audited), new rows",
                  f"{r['csv']:.2f} s  {n / r['csv']:,.0f} rows/s  "
                  f"{common.ratio(r['csv'], r['baseline'])} executemany"
                  + (f", {common.ratio(r['csv'], r['baseline_copy'])} COPY" if "baseline_copy" in r else ""))
    common.figure("CSV re-import, all unchanged",
                  f"{r['csv_again']:.2f} s  {n / r['csv_again']:,.0f} rows/s  "
                  f"({r['csv_again_unchanged']:,} unchanged)")
    common.figure("XLSX import (validated, audited), new rows",
                  f"{r['xlsx']:.2f} s  {n / r['xlsx']:,.0f} rows/s  "
                  f"{common.ratio(r['xlsx'], r['baseline'])} baseline")
    common.figure("audit rows written by one CSV import", f"{r['audit_rows']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (created and dropped)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.rows)))
        return
    targets = [("SQLite", common.sqlite_url())]
    pg_url = args.database_url or common.default_postgres_url("tps_import")
    if not args.sqlite_only:
        common.fresh_postgres(pg_url)
        targets.append(("PostgreSQL", pg_url))
    print(f"TPS import benchmark ({args.rows:,} rows). Target: CSV on PostgreSQL >= 25,000 rows/s.")
    try:
        for label, url in targets:
            proc = subprocess.run([sys.executable, __file__, "--child", url, "--rows", str(args.rows)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
                raise SystemExit(f"{label} run failed")
            _report(label, json.loads(proc.stdout.strip().splitlines()[-1]))
    finally:
        if not args.sqlite_only:
            common.drop_postgres(pg_url)


if __name__ == "__main__":
    main()
