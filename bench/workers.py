"""Ad hoc workers: the validated worker import and the coverage dashboard at national scale.

Import (``--part import``): Kota Malang's wilayah and TPS (``bench/national_dataset.py``'s
generator restricted to 35.73), then ``--rows`` (default 100,000) generated workers
(valid NIKs, ten per TPS filling the staffing norms; as many generated TPS as that needs) imported as the admin through
``WorkerImporter`` (the one NIK function on every row, postings within the region, one post
per person, all-or-nothing, audit rows) from CSV and from XLSX. Baseline in the same run:
a raw ``core.bulk.insert_rows`` (COPY on PostgreSQL) of the same rows, already parsed, with
no validation and no audit. Target: >= 25,000 rows/s for CSV on PostgreSQL.

Coverage (``--part coverage``, PostgreSQL): the national TPS registry (435,296 TPS) and
``--per-tps`` workers per TPS (default 10: 4,352,960 workers) written with one
INSERT ... SELECT over ``generate_series``; then the coverage roll-up for the whole country
(``stats.coverage_by``: per kecamatan, per role and the total from one grouped query: what a
national dashboard asks; target < 2 s) against ``SELECT count(*)`` of the same rows, and the pages
(coverage at Pemda / kecamatan / kelurahan level, staffing, the API) for the Pemda Kota
Malang (target p95 < 300 ms) and for the province of Jawa Timur, signed in as its admin.

Each part runs in a process and database of its own (``bench_workers_import_<pid>``,
``bench_workers_national_<pid>``), dropped afterwards unless ``--keep``. Nothing asserts on
time; the exit code is non-zero only when a data check fails.

    .venv/bin/python bench/workers.py [--part import|coverage|both] [--engine postgres|sqlite]
        [--rows 100000] [--per-tps 10] [--requests 20] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import io
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

MALANG = "35.73"


def quantiles(times):
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _ms(pair) -> str:
    return f"p50 {pair[0] * 1000:.1f} ms / p95 {pair[1] * 1000:.1f} ms"


def _pemda(kabkota=None, provinsi=None, name="Pemda (bench)"):
    from posko.regions.models import Pemda

    Pemda.objects.all().delete()
    Pemda(kabkota_id=kabkota, provinsi_id=provinsi, name=name).save()
    Pemda.clear_cache()


def _admin(username="admin"):
    from posko.accounts.models import Role, User

    return User.objects.get_or_create(username=username, defaults={"role": Role.ADMIN})[0]


# --- import --------------------------------------------------------------------------------------

def worker_rows(tps, count: int):
    """``count`` generated workers over the TPS: (file row, insert tuple) pairs."""
    from posko.workers.models import Worker

    roles = ["ketua_kpps", *["anggota_kpps"] * 6, "linmas", "linmas", "ptps"]
    role_values = {"ketua_kpps": Worker.Role.KPPS_KETUA, "anggota_kpps": Worker.Role.KPPS_ANGGOTA,
                   "linmas": Worker.Role.LINMAS, "ptps": Worker.Role.PTPS}
    start = datetime.date(1970, 1, 1)
    for i in range(count):
        # Ten workers per TPS, filling its norms exactly (7 KPPS incl. the chair, 2 Linmas,
        # 1 PTPS): the import refuses a posting beyond them.
        pk, kel, kec, kab, number = tps[(i // len(roles)) % len(tps)]
        role = roles[i % len(roles)]
        birth = start + datetime.timedelta(days=(i // 9000) % 12000)
        sex = "P" if i % 2 else "L"
        day = birth.day + (40 if sex == "P" else 0)
        nik = f"{kec.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 9000 + 1:04d}"
        file_row = [nik, f"Petugas {i}", role, kel, str(number), birth.isoformat(), sex, "0812" + f"{i:08d}"]
        insert = (role_values[role], pk, kel, kec, kab, nik, f"Petugas {i}", sex, birth,
                  "0812" + f"{i:08d}", kel)
        yield file_row, insert


HEADER = ["nik", "nama", "jabatan", "kode_kelurahan", "nomor_tps", "tanggal_lahir", "jenis_kelamin",
          "telepon"]


def run_import(url: str, rows: int, keep: bool) -> int:
    if url.startswith("postgres"):
        common.fresh_postgres(url)
    common.setup_django(url)
    print(f"Import of {rows:,} workers on {url.split('@')[-1]}")
    common.figure("migrate (s)", f"{common.migrate():.2f}")
    from django.db import connection, transaction
    from django.utils import timezone

    from posko.core.bulk import insert_rows
    from posko.core.models import AuditEntry
    from posko.elections.models import Election, Tps
    from posko.regions.importer import import_wilayah
    from posko.regions.models import Kelurahan
    from posko.workers.imports import INSERT_FIELDS, WorkerImporter
    from posko.workers.models import Worker

    import_wilayah(only=MALANG)
    _pemda(kabkota=MALANG, name="Pemerintah Kota Malang")
    election = Election.objects.create(name="Pilkada 2024 (bench)", voting_date=datetime.date(2024, 11, 27),
                                       is_active=True)
    codes = list(Kelurahan.objects.filter(kecamatan__kabkota_id=MALANG).order_by("code")
                 .values_list("code", flat=True))
    # At least 21 TPS per kelurahan (1,197 TPS, close to Kota Malang's 1,188), and enough
    # for ten workers per TPS: the staffing norms refuse more.
    per_kelurahan = max(21, math.ceil(rows / 10 / len(codes)))
    Tps.objects.bulk_create([Tps(election=election, kelurahan_id=code, kecamatan_id=code[:8],
                                 kabkota_id=MALANG, number=n, dpt_men=270, dpt_women=280)
                             for code in codes for n in range(1, per_kelurahan + 1)])
    tps = list(Tps.objects.filter(election=election).order_by("pk").values_list(
        "pk", "kelurahan_id", "kecamatan_id", "kabkota_id", "number"))
    common.figure("TPS (Kota Malang, generated)", f"{len(tps):,}")
    pairs = list(worker_rows(tps, rows))
    admin = _admin()

    def clear():
        with transaction.atomic():
            Worker.objects.all().delete()
            AuditEntry.objects.filter(content_type__model="worker").delete()
        if connection.vendor == "postgresql":
            # Every run starts from the state the baseline had: without the dead rows of the
            # previous run (the unique NIK index would otherwise visit 100,000 dead tuples).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE workers_worker, core_auditentry")

    # Baseline: the same rows, parsed, straight into the table.
    now = timezone.now()
    with common.timer() as elapsed, transaction.atomic():
        insert_rows(Worker, INSERT_FIELDS, (
            (election.pk, role, pk, kel, kec, kab, nik, name, sex, birth, phone, "", dom, "", None,
             None, None, "aktif", "", False, "", "belum", True, True, "", 0, "", 1, now, now,
             None)
            for role, pk, kel, kec, kab, nik, name, sex, birth, phone, dom in (p[1] for p in pairs)))
    baseline = elapsed()
    ok = Worker.objects.count() == rows
    clear()
    common.figure("baseline: raw insert_rows (s)", f"{baseline:.2f}  ({rows / baseline:,.0f} rows/s)")

    import csv

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(p[0] for p in pairs)
    csv_bytes = text.getvalue().encode()
    from posko.core.exports import xlsx_bytes

    with common.timer() as elapsed:
        xlsx_data = xlsx_bytes("petugas", HEADER, (p[0] for p in pairs))
    common.figure("XLSX file written (s)", f"{elapsed():.2f}  ({len(xlsx_data) / 1e6:.1f} MB)")

    for kind, data in (("CSV", csv_bytes), ("XLSX", xlsx_data)):
        importer = WorkerImporter(actor=admin, election=election)
        with common.timer() as elapsed:
            result = importer.run(data, f"petugas.{kind.lower()}")
        seconds = elapsed()
        good = result.ok and result.created == rows and Worker.objects.count() == rows
        ok = ok and good
        common.figure(f"{kind} import, validated (s)",
                      f"{seconds:.2f}  ({rows / seconds:,.0f} rows/s)  ratio to raw insert "
                      f"{common.ratio(seconds, baseline)}{'' if good else '  CHECK FAILED ' + str(result.file_error or result.errors[:3])}")
        if kind == "CSV":
            importer = WorkerImporter(actor=admin, election=election)
            with common.timer() as elapsed:
                again = importer.run(csv_bytes, "petugas.csv")
            common.figure("CSV import again (all unchanged) (s)",
                          f"{elapsed():.2f}  ({rows / elapsed():,.0f} rows/s)")
            ok = ok and again.unchanged == rows
            audit_rows = AuditEntry.objects.filter(content_type__model="worker").count()
            ok = ok and audit_rows == rows
            common.figure("audit rows written", f"{audit_rows:,}")
        clear()
    print("  checks:", "ok" if ok else "FAILED")
    connection.close()
    if url.startswith("postgres") and not keep:
        common.drop_postgres(url)
    return 0 if ok else 1


# --- coverage at national scale --------------------------------------------------------------

INSERT_SQL = """
INSERT INTO workers_worker (election_id, role, tps_id, kelurahan_id, kecamatan_id, kabkota_id, nik,
  full_name, sex, birth_date, phone, address, domicile_code, decree_number, status, flags,
  outside_domicile, screening_result, bpjs_status, bpjs_jkk, bpjs_jkm, bpjs_number, bpjs_months,
  bpjs_funding, version, created_at, updated_at)
SELECT t.election_id,
  CASE WHEN g.n = 1 THEN 'kpps_ketua' WHEN g.n <= 7 THEN 'kpps_anggota' WHEN g.n <= 9 THEN 'linmas'
       WHEN g.n = 10 THEN 'ptps' ELSE 'pantarlih' END,
  t.id, t.kelurahan_id, t.kecamatan_id, t.kabkota_id, lpad((t.id * 100 + g.n)::text, 16, '0'),
  'Petugas ' || t.id || '-' || g.n, CASE WHEN g.n %% 2 = 0 THEN 'P' ELSE 'L' END,
  date '1970-01-01' + ((t.id * 7 + g.n) %% 12000)::int, '', '',
  CASE WHEN g.n = 7 AND t.id %% 9 = 0 THEN t.kecamatan_id || '.9999' ELSE t.kelurahan_id END, '',
  'aktif', '', g.n = 7 AND t.id %% 9 = 0,
  CASE WHEN (t.id + g.n) %% 13 = 0 THEN '' WHEN (t.id + g.n) %% 53 = 0 THEN 'tidak_layak' ELSE 'layak' END,
  CASE WHEN (t.id * 3 + g.n) %% 20 = 0 THEN 'belum' WHEN (t.id * 3 + g.n) %% 20 = 1 THEN 'diajukan'
       ELSE 'aktif' END,
  true, true, '', CASE WHEN (t.id * 3 + g.n) %% 20 > 1 THEN 1 ELSE 0 END, 'apbd', 1, now(), now()
FROM elections_tps t CROSS JOIN generate_series(1, %s) AS g(n)
WHERE t.election_id = %s
"""


class QueryCounter(list):
    def __call__(self, run, sql, params, many, context):
        self.append(sql)
        return run(sql, params, many, context)


def measure_pages(people, urls, requests):
    from django.db import connection
    from django.test import Client

    p95s = []
    for label, url in urls:
        for who, user in people.items():
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            first = client.get(url)
            if first.status_code != 200:
                common.figure(f"{label} ({who})", f"HTTP {first.status_code} {url}")
                continue
            executed = QueryCounter()
            with connection.execute_wrapper(executed):
                client.get(url)
            times = []
            for _ in range(requests):
                with common.timer() as elapsed:
                    client.get(url)
                times.append(elapsed())
            p50, p95 = quantiles(times)
            p95s.append(p95)
            common.figure(f"{label} ({who})", f"{_ms((p50, p95))}  {len(executed)} queries")
    return p95s


def run_coverage(url: str, per_tps: int, requests: int, keep: bool) -> int:
    from bench import national_dataset

    print(f"Coverage dashboard, national, {per_tps} workers per TPS, on {url.split('@')[-1]}")
    election_id = national_dataset.prepare_national_database(url)
    from django.db import connection

    result = national_dataset.build_national(connection, election_id)
    common.figure("TPS (national)", f"{result.rows:,}  (COPY {result.copy_seconds:.1f} s)")
    with common.timer() as elapsed, connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, [per_tps, election_id])
        inserted = cursor.rowcount
    common.figure("workers INSERT ... SELECT (s)", f"{elapsed():.1f}  ({inserted:,} rows)")
    with common.timer() as elapsed, connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workers_worker")
    common.figure("VACUUM ANALYZE (s)", f"{elapsed():.1f}")

    from posko.accounts.models import Role, User
    from posko.elections.models import Election
    from posko.workers import stats
    from posko.workers.models import Worker

    election = Election.objects.get(pk=election_id)
    ok = inserted == result.rows * per_tps

    # National roll-up: what a national dashboard asks (per kecamatan, per role, total).
    qs = Worker.objects.filter(election=election)
    times, baseline = [], []
    for _ in range(5):
        with common.timer() as elapsed:
            total, roles, groups = stats.coverage_by(qs, "kecamatan_id")
        times.append(elapsed())
        with common.timer() as elapsed, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM workers_worker WHERE election_id = %s", [election_id])
            cursor.fetchone()
        baseline.append(elapsed())
    ok = ok and total["required"] == inserted and sum(r["required"] for r in roles.values()) == inserted
    ok = ok and sum(g["covered"] for g in groups.values()) == total["covered"]
    common.figure("national roll-up: kecamatan + role + total", _ms(quantiles(times)))
    common.figure("  groups / covered / required", f"{len(groups):,} / {total['covered']:,} / {total['required']:,}")
    common.figure("baseline: SELECT count(*) of the workers", _ms(quantiles(baseline)))
    common.figure("ratio (p50)", common.ratio(statistics.median(times), statistics.median(baseline)))

    from django.urls import reverse

    for label, pemda, kec, kel in (("Kota Malang", {"kabkota": MALANG}, "35.73.02", "35.73.02.1001"),
                                   ("Jawa Timur", {"provinsi": "35"}, "35.73.02", "35.73.02.1001")):
        _pemda(name=label, **pemda)
        admin = _admin(f"admin_{label.split()[-1].lower()}")
        camat = User.objects.get_or_create(username=f"camat_{label.split()[-1].lower()}", defaults={
            "role": Role.KECAMATAN, "kecamatan_id": kec})[0]
        lurah = User.objects.get_or_create(username=f"lurah_{label.split()[-1].lower()}", defaults={
            "role": Role.KELURAHAN, "kelurahan_id": kel})[0]
        print(f"  Pemda {label}: {Worker.objects.visible_to(admin).filter(election=election).count():,} workers")
        cov, staff = reverse("workers:coverage"), reverse("workers:staffing")
        urls = [("coverage, Pemda", cov), ("coverage, kecamatan", f"{cov}?kecamatan={kec}"),
                ("coverage, kelurahan", f"{cov}?kelurahan={kel}"), ("staffing, Pemda", staff),
                ("API worker-coverage", reverse("api:worker-coverage"))]
        measure_pages({"admin": admin}, urls, requests)
        measure_pages({"camat": camat, "lurah": lurah}, urls[1:2] + urls[2:3], requests)
    print("  checks:", "ok" if ok else "FAILED")
    from django.db import connections

    connections.close_all()
    if not keep:
        common.drop_postgres(url)
    return 0 if ok else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["import", "coverage", "both"], default="both")
    parser.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres",
                        help="for the import part (the coverage part is PostgreSQL only)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-tps", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pid = os.getpid()
    if args.run == "import":
        url = (f"{common.POSTGRES_SERVER}/bench_workers_import_{pid}" if args.engine == "postgres"
               else common.sqlite_url())
        return run_import(url, args.rows, args.keep)
    if args.run == "coverage":
        return run_coverage(f"{common.POSTGRES_SERVER}/bench_workers_national_{pid}", args.per_tps,
                            args.requests, args.keep)
    code = 0
    parts = ["import", "coverage"] if args.part == "both" else [args.part]
    for part in parts:
        command = [sys.executable, __file__, "--run", part, "--engine", args.engine, "--rows",
                   str(args.rows), "--per-tps", str(args.per_tps), "--requests", str(args.requests)]
        if args.keep:
            command.append("--keep")
        code |= subprocess.call(command)
    return code


if __name__ == "__main__":
    sys.exit(main())
