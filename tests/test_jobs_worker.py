"""A real ``posko worker`` process runs queued jobs: on the database queue (PostgreSQL: the
test database is shared with the worker process) and on RQ through Redis. SQLite's test
database lives in memory and cannot be shared, so these run on PostgreSQL only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from posko.core import jobs
from posko.core.models import Job, WorkerBeat

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
