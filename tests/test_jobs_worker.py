"""A real ``posko worker`` process runs queued jobs: on the database queue (PostgreSQL: the
test database is shared with the worker process) and on RQ through Redis. SQLite's test
database lives in memory and cannot be shared, so these run on PostgreSQL only."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation

from posko.core import import_jobs, jobs
from posko.core.models import Job, WorkerBeat
from posko.elections.imports import TpsImporter
from posko.elections.models import Tps

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("POSKO_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres") is False,
                       reason="the worker process shares the PostgreSQL test database"),
]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_worker(backend: str, **extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "POSKO_JOBS": backend, "PYTHONPATH": str(ROOT), **extra}
    return subprocess.run([sys.executable, "-m", "posko", "worker", "--batch"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def expired_file(tmp_path) -> Job:
    path = tmp_path / "old.csv"
    path.write_text("a;b\n")
    return Job.objects.create(kind="core.purge_files", label="Lama", status="done",
                              file_path=str(path), file_name="old.csv",
                              expires_at=timezone.now() - timezone.timedelta(hours=1))


def test_database_worker_runs_queued_jobs_and_beats(tmp_path):
    old = expired_file(tmp_path)
    with override_settings(POSKO_JOBS="database", TASKS={"default": {
            "BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}):
        job = jobs.enqueue("core.purge_files", label="Hapus berkas kedaluwarsa")
    assert Job.objects.get(pk=job.pk).status == "queued"
    done = run_worker("database")
    assert done.returncode == 0, done.stderr[-3000:]
    job.refresh_from_db()
    old.refresh_from_db()
    assert job.status == "done" and job.attempts == 1 and job.worker
    assert old.file_path == "" and not (tmp_path / "old.csv").exists()
    assert WorkerBeat.objects.filter(backend="database").exists()


@pytest.mark.skipif(not REDIS_URL, reason="Redis is not configured (POSKO_TEST_REDIS_URL)")
def test_rq_worker_runs_queued_jobs(tmp_path):
    redis.Redis.from_url(REDIS_URL).flushdb()
    old = expired_file(tmp_path)
    with override_settings(POSKO_JOBS="rq", RQ_QUEUES={"default": {"URL": REDIS_URL}}, TASKS={
            "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}):
        job = jobs.enqueue("core.purge_files", label="Hapus berkas kedaluwarsa")
    done = run_worker("rq", POSKO_REDIS_URL=REDIS_URL)
    assert done.returncode == 0, done.stderr[-3000:]
    job.refresh_from_db()
    old.refresh_from_db()
    assert job.status == "done" and old.file_path == ""
    assert WorkerBeat.objects.filter(backend="rq").exists()


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_says_so(world, users):
    """kill -9 the worker while it imports; the next worker fails the orphaned job with a
    message saying nothing was saved, and indeed no row of the file is there."""
    lines = ["kode_kelurahan,nomor_tps,alamat,dpt_laki_laki,dpt_perempuan"] + [
        f"{kel},{n},Jl. Besar {n},200,210" for kel in ("35.73.02.1001", "35.73.02.1002", "35.73.01.1001")
        for n in range(100, 9100)]
    importer = TpsImporter(actor=users["admin"], election=world.election)
    with translation.override("en"), override_settings(POSKO_JOBS="database", TASKS={"default": {
            "BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}):
        job = import_jobs.enqueue_import(importer, "\n".join(lines).encode(), "besar.csv",
                                         user=users["admin"], label="Impor besar")
    before = Tps.objects.count()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "POSKO_JOBS": "database", "PYTHONPATH": str(ROOT), "POSKO_WORKER_TICK_SECONDS": "1",
           "POSKO_WORKER_STALE_SECONDS": "10"}
    worker = subprocess.Popen([sys.executable, "-m", "posko", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while Job.objects.get(pk=job.pk).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert Job.objects.get(pk=job.pk).status == "running"
    assert Tps.objects.count() == before  # nothing of the file, whatever phase it was in
    time.sleep(11)  # the killed worker's heartbeat goes stale
    restarted = run_worker("database", POSKO_WORKER_STALE_SECONDS="10")
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    job.refresh_from_db()
    assert job.status == "failed" and "nothing of it was saved" in job.error
    assert Tps.objects.count() == before
