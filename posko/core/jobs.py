"""Background jobs: long work leaves the request.

The work runs through Django's task API (the ``django-tasks`` backport of Django 6.0's
``django.tasks``; moving to Django 6 changes the import below, not the code). Which queue
carries it is a setting (``POSKO_JOBS``): the database (default, ``posko worker`` runs it,
no other service), RQ on Redis (workers on several machines), or immediately in the
request (tests).

A module registers what it can run in ``AppConfig.ready()``::

    jobs.register_job("workers.import", run_import, retries=0)

and asks for it with ids, never objects::

    job = jobs.enqueue("workers.import", label=..., user=request.user, params={"upload": path})

``enqueue`` writes a :class:`~posko.core.models.Job` row (what the user sees: status,
progress, result file, error) and hands ``run_job(job.id)`` to the queue when the
transaction commits. ``run_job`` claims the row (a job runs once even if delivered twice),
calls ``fn(ctx, **params)`` with a :class:`JobContext` for progress and files, and records
the outcome. A job that may fail for a passing reason (e-mail) is registered with
``retries`` and is tried again after ``backoff × 2^(attempt-1)`` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from psycopg.types.json import Jsonb

from posko.core import resumable
from posko.core.idempotency import purge_old_keys
from posko.core.models import Job

logger = logging.getLogger("posko.jobs")
PROGRESS_EVERY = 0.5  # seconds between two progress writes of one job


class JobError(Exception):
    """A failure whose message is for the user (shown on the job's page as it is)."""


class RetryLater(Exception):
    """A passing failure (a mail server away): the job is tried again if it has retries left."""


@dataclass(frozen=True)
class JobSpec:
    key: str
    func: object
    retries: int = 0
    backoff: int = 30  # seconds before the first retry; doubled each time
    file_hours: int = 24  # how long a result file can be downloaded


_specs: dict[str, JobSpec] = {}


def register_job(key: str, func, *, retries: int = 0, backoff: int = 30, file_hours: int = 24) -> None:
    _specs[key] = JobSpec(key, func, retries, backoff, file_hours)


def registered(key: str) -> bool:
    return key in _specs


_worker_id: str | None = None


def set_worker_id(value: str) -> None:
    """Set by ``posko worker``; an RQ work-horse (a forked child) inherits it."""
    global _worker_id
    _worker_id = value


def worker_id() -> str:
    return _worker_id or f"{socket.gethostname()}:{os.getpid()}"


def jobs_dir() -> Path:
    path = Path(settings.DATA_DIR) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def enqueue(key: str, *, label: str, user=None, params: dict | None = None) -> Job:
    """Record the job and queue it when the current transaction commits."""
    if key not in _specs:
        raise KeyError(f"no job registered as {key!r}")
    job = Job.objects.create(kind=key, label=label[:200], params=params or {},
                             language=translation.get_language() or "",
                             requested_by=user if getattr(user, "is_authenticated", False) else None)
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int, delay: int | None = None) -> None:
    runner = run_job
    if delay and run_job.get_backend().supports_defer:
        runner = run_job.using(run_after=timezone.now() + timedelta(seconds=delay))
    runner.enqueue(job_id)


def retry(job: Job) -> bool:
    """Queue a failed job again (the jobs page's button). False if it is not failed."""
    updated = Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
        status=Job.Status.QUEUED, error="", phase="", finished_at=None)
    if updated:
        transaction.on_commit(lambda: _queue(job.pk))
    return bool(updated)


class JobContext:
    """What a job function gets: the job, progress reporting and its result file."""

    def __init__(self, job: Job):
        self.job = job
        self._last = 0.0

    def progress(self, phase: str = "", *, done: int | None = None, total: int | None = None,
                 force: bool = False, **counts) -> None:
        """Report how far the job is (at most every half second unless ``force``). Inside a
        write transaction on SQLite (one writer at a time) nothing can be written: the page
        keeps the last figures until the job ends."""
        fields = {"phase": phase[:60]} if phase else {}
        if done is not None:
            fields["done_count"] = done
        if total is not None:
            fields["total_count"] = total
        if counts:
            fields["progress"] = {**self.job.progress, **counts}
        for name, value in fields.items():  # kept, and written with the outcome at the end
            setattr(self.job, name, value)
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY:
            return
        if connection.in_atomic_block and connection.vendor == "sqlite":
            return
        self._last = now
        if fields:
            if connection.in_atomic_block:  # PostgreSQL: write on a connection of its own
                _write_progress_outside(self.job.pk, fields)
            else:
                Job.objects.filter(pk=self.job.pk).update(**fields)

    def save_file(self, name: str, content: bytes, content_type: str) -> None:
        folder = jobs_dir() / str(self.job.pk)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "result"
        path.write_bytes(content)
        self.job.file_path = str(path)
        self.job.file_name = name[:200]
        self.job.content_type = content_type[:100]


def _write_progress_outside(job_id: int, fields: dict) -> None:
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db.get("USER") or None,
                         password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                         port=db.get("PORT") or None, autocommit=True) as conn:
        sets = ", ".join(f"{name} = %s" for name in fields)
        values = [Jsonb(v) if isinstance(v, dict) else v for v in fields.values()]
        conn.execute(f"UPDATE {Job._meta.db_table} SET {sets} WHERE id = %s", [*values, job_id])


@task()
def run_job(job_id: int) -> str:
    """The one task the queue carries: run the registered function of job ``job_id``."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1,
        worker=worker_id()[:100])
    if not claimed:  # already run, running elsewhere, or gone: nothing to do (idempotent)
        return "skipped"
    job = Job.objects.get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        return _run(job)


def _run(job: Job) -> str:
    spec = _specs.get(job.kind)
    if spec is None:
        _finish(job, Job.Status.FAILED, error=_("This kind of job is not available on this server."))
        return "failed"
    ctx = JobContext(job)
    try:
        message = spec.func(ctx, **job.params) or ""
    except RetryLater as exc:
        if job.attempts <= spec.retries:
            delay = spec.backoff * 2 ** (job.attempts - 1)
            Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, error=str(exc)[:2000])
            _queue(job.pk, delay)
            return "retry"
        _finish(ctx.job, Job.Status.FAILED, error=str(exc))
        return "failed"
    except JobError as exc:
        _finish(ctx.job, Job.Status.FAILED, error=str(exc))
        return "failed"
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(job, Job.Status.FAILED, error=_(
            "The job stopped because of an error on the server; nothing was saved. The error "
            "is in the server's log (job %(id)s).") % {"id": job.pk})
        return "failed"
    expires = timezone.now() + timedelta(hours=spec.file_hours) if ctx.job.file_path else None
    _finish(ctx.job, Job.Status.DONE, message=str(message), expires=expires)
    return "done"


def _finish(job: Job, status: str, *, message: str = "", error: str = "", expires=None) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=status, message=message[:5000], error=error[:5000], finished_at=timezone.now(),
        expires_at=expires, file_path=job.file_path, file_name=job.file_name,
        content_type=job.content_type, phase="", done_count=job.done_count,
        total_count=job.total_count, progress=job.progress, result=job.result)


def fail_orphans(alive_workers: set[str], *, older_than: timedelta) -> int:
    """Jobs left 'running' by a worker that is gone (killed, machine lost) end as failed;
    their work ran in one transaction, so nothing of it was kept. The message is in each
    job's language."""
    limit = timezone.now() - older_than
    orphans = Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=limit).exclude(
        worker__in=alive_workers)
    failed = 0
    for language in set(orphans.values_list("language", flat=True)):
        with translation.override(language or settings.LANGUAGE_CODE):
            failed += orphans.filter(language=language).update(
                status=Job.Status.FAILED, finished_at=timezone.now(), error=_(
                    "The worker running this job stopped before it finished. Its work is all or "
                    "nothing, so nothing of it was saved: run it again."))
    return failed


def purge_expired_files(now=None) -> int:
    """Delete result files past their expiry (run by the schedule)."""
    now = now or timezone.now()
    count = 0
    for job in Job.objects.filter(expires_at__lt=now).exclude(file_path=""):
        Path(job.file_path).unlink(missing_ok=True)
        Job.objects.filter(pk=job.pk).update(file_path="")
        count += 1
    return count


def purge_old_jobs(now=None) -> int:
    """Delete finished jobs older than ``POSKO_JOB_KEEP_DAYS`` whose file is gone, and the
    database queue's own finished rows of the same age (the fan-out after every write makes
    many small jobs)."""
    limit = (now or timezone.now()) - timedelta(days=settings.POSKO_JOB_KEEP_DAYS)
    deleted, _rows = Job.objects.filter(
        status__in=(Job.Status.DONE, Job.Status.FAILED), finished_at__lt=limit, file_path="").delete()
    if apps.is_installed("django_tasks_db"):
        DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
        DBTaskResult.objects.finished().filter(finished_at__lt=limit).delete()
    return deleted


def purge_job(ctx: JobContext) -> str:
    """The hourly job that deletes expired result files and old finished jobs."""
    return _("%(count)s expired files deleted.") % {"count": purge_expired_files()} + " " + _(
        "%(count)s old jobs deleted.") % {"count": purge_old_jobs()} + " " + _(
        "%(count)s old idempotency keys deleted.") % {"count": purge_old_keys()} + " " + _(
        "%(count)s expired resumable uploads deleted.") % {"count": resumable.purge_expired()}
