"""A 100,000-row TPS import as a background job against the same import in the request,
and the web's answer time while the job runs (PostgreSQL).

```
.venv/bin/python bench/import_job.py [--rows 100000] [--clients 4] [--keep]
```

Fresh PostgreSQL database, the province of Jawa Timur (8,494 kelurahan/desa), two elections.

- **in the request** (the baseline): ``TpsImporter.run`` of the CSV into election 1, in this
  process — exactly what the import page does for a file under
  ``POSKO_IMPORT_BACKGROUND_BYTES``.
- **as a job**: gunicorn (3 sync workers, as the README) and one ``posko worker`` (database
  queue) are started; the file is queued the way the page queues it
  (``core.import_jobs.enqueue_import``) into election 2; the time is from queueing to the
  job's end as the job page shows it (worker pick-up, reading, checks, writing, audit).
  Target: within 1.2× of the in-request import.
- **the web meanwhile**: ``GET /api/v1/tps/?kelurahan=`` (a lurah-sized list) from
  ``--clients`` threads, idle first, then for as long as the job runs: p50/p95 and the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.incidents import free_port, load, percentile  # noqa: E402
from bench.request_path import start  # noqa: E402
from bench.tps_import import csv_bytes, generate_rows  # noqa: E402


def prepare(url: str, rows: int):
    common.fresh_postgres(url)
    common.setup_django(url)
    common.migrate()
    import datetime

    from posko.accounts import tokens
    from posko.accounts.models import Role, User
    from posko.elections.models import Election
    from posko.regions.importer import import_wilayah
    from posko.regions.models import Kelurahan, Pemda

    import_wilayah(only="35")
    Pemda.objects.create(provinsi_id="35", name="Pemerintah Provinsi Jawa Timur")
    first = Election.objects.create(name="Bench dalam permintaan", is_active=True,
                                    voting_date=datetime.date(2024, 11, 27))
    second = Election.objects.create(name="Bench pekerjaan", voting_date=datetime.date(2024, 11, 27))
    third = Election.objects.create(name="Bench beban", voting_date=datetime.date(2024, 11, 27))
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    token = tokens.create(admin, name="bench")[1]
    codes = list(Kelurahan.objects.order_by("code").values_list("code", flat=True))
    return admin, token, (first, second, third), csv_bytes(generate_rows(codes, rows)), codes[0]


def worker(url: str, data_dir: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "SECRET_KEY": common.SECRET_KEY,
           "POSKO_DATA_DIR": data_dir, "POSKO_JOBS": "database", "LOG_LEVEL": "WARNING",
           "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "PYTHONPATH": str(common.ROOT), "POSKO_WORKER_TICK_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "posko", "worker"], cwd=common.ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="posko-bench-jobs-")
    os.environ["POSKO_DATA_DIR"] = data_dir
    os.environ["POSKO_JOBS"] = "database"
    url = common.default_postgres_url("import_job")
    admin, token, (first, second, third), data, kelurahan = prepare(url, args.rows)
    from django.db import connections, transaction

    from posko.core.import_jobs import enqueue_import
    from posko.core.models import Job
    from posko.elections.imports import TpsImporter
    from posko.elections.models import Tps

    print(f"{args.rows:,} TPS rows, CSV {len(data) / 1e6:.1f} MB, PostgreSQL", flush=True)
    with common.timer() as took:
        result = TpsImporter(actor=admin, election=first).run(data, "tps.csv")
    in_request = took()
    if not result.ok:
        raise SystemExit(f"import failed: {result.file_error or result.errors[:3]}")
    connections.close_all()

    port = free_port()
    web = start("posko.wsgi", "posko.settings", url, port, 3)
    runner = worker(url, data_dir)
    list_page = ("GET", f"/api/v1/tps/?kelurahan={kelurahan}", None)
    ok = True
    try:
        load(port, token, lambda i: list_page, 60, args.clients)  # warm up

        def wait_for_quiet():  # the fan-out jobs after an import (requirements…) end first
            while Job.objects.filter(status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).exists():
                time.sleep(0.5)

        wait_for_quiet()
        idle = load(port, token, lambda i: list_page, 400, args.clients)
        def run_job(election, hammer: bool):
            with transaction.atomic():
                job = enqueue_import(TpsImporter(actor=admin, election=election), data, "tps.csv",
                                     user=admin, label="bench")
            during: list[dict] = []
            stop = threading.Event()

            def hammering():
                while not stop.is_set():
                    during.append(load(port, token, lambda i: list_page, 40, args.clients))

            thread = threading.Thread(target=hammering)
            if hammer:
                thread.start()
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.status in (Job.Status.DONE, Job.Status.FAILED):
                    break
                if runner.poll() is not None:
                    stop.set()
                    raise SystemExit("the worker stopped: " + runner.stderr.read().decode()[-2000:])
                time.sleep(0.2)
            stop.set()
            if hammer:
                thread.join()
            if job.status != Job.Status.DONE:
                print(f"job {job.status}: {job.error}")
            return job, sorted(x for run in during for x in run["latencies"])

        job, _none = run_job(second, hammer=False)
        wait_for_quiet()
        loaded, latencies = run_job(third, hammer=True)
        ok = job.status == loaded.status == Job.Status.DONE
        as_job = (job.finished_at - job.created_at).total_seconds()
        running = (job.finished_at - job.started_at).total_seconds()
        as_loaded = (loaded.finished_at - loaded.created_at).total_seconds()
        created = Tps.objects.filter(election=second).count()
        ok = ok and created == args.rows == Tps.objects.filter(election=third).count()
        common.figure("import in the request (baseline)",
                      f"{in_request:.1f} s  {args.rows / in_request:,.0f} rows/s")
        common.figure("import as a job, queued → done",
                      f"{as_job:.1f} s  {common.ratio(as_job, in_request)} in-request "
                      f"(running {running:.1f} s; target ≤ 1.20x)")
        common.figure("rows written by the job", f"{created:,}")
        common.figure(f"import as a job while {args.clients} clients read the TPS list",
                      f"{as_loaded:.1f} s  {common.ratio(as_loaded, in_request)} in-request")
        common.figure(f"TPS list, idle ({args.clients} clients)",
                      f"p50 {idle['p50'] * 1000:.0f} ms  p95 {percentile(idle['latencies'], 95) * 1000:.0f} ms")
        if latencies:
            p95 = percentile(latencies, 95)
            common.figure(f"TPS list during the import ({len(latencies)} requests)",
                          f"p50 {percentile(latencies, 50) * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms  "
                          f"{common.ratio(p95, percentile(idle['latencies'], 95))} idle p95")
        common.figure("load average", f"{os.getloadavg()[0]:.1f}")
    finally:
        for process in (web, runner):
            process.terminate()
            process.wait(timeout=30)
        connections.close_all()
        if not args.keep:
            common.drop_postgres(url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
