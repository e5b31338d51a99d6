"""Periodic jobs without cron, and the workers' heartbeat.

A module registers ``register_periodic(key, every, job_key, label)`` in ``AppConfig.ready()``
(escalation every minute, reminders every hour…). Every ``posko worker`` runs
:func:`tick` every few seconds: it writes its heartbeat, fails the jobs of workers that are
gone, and queues each periodic job that is due. A schedule is claimed with one conditional
UPDATE (``next_run_at <= now`` → ``now + every``), so with several workers, on one machine
or many, each run happens once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from posko.core import jobs
from posko.core.models import Schedule, WorkerBeat


@dataclass(frozen=True)
class Periodic:
    key: str
    every: timedelta
    job_key: str
    label: object
    when: object = None  # a callable: False skips this run without queuing a job


_periodic: dict[str, Periodic] = {}


def register_periodic(key: str, every: timedelta, job_key: str, label, *, when=None) -> None:
    """``when``: an optional check (e.g. "anything waiting?"); a due run whose check is
    False is skipped without a job (the jobs page is not filled with empty runs)."""
    _periodic[key] = Periodic(key, every, job_key, label, when)


def periodic() -> list[Periodic]:
    return sorted(_periodic.values(), key=lambda p: p.key)


def beat(worker: str, backend: str, started_at) -> None:
    now = timezone.now()
    WorkerBeat.objects.update_or_create(worker=worker[:100], defaults={
        "backend": backend[:20], "started_at": started_at, "last_seen": now})


def alive_workers(within: timedelta | None = None) -> set[str]:
    within = within or timedelta(seconds=settings.POSKO_WORKER_STALE_SECONDS)
    return set(WorkerBeat.objects.filter(last_seen__gte=timezone.now() - within)
               .values_list("worker", flat=True))


def last_seen():
    return WorkerBeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()


def run_due(worker: str, now=None) -> list[str]:
    """Queue every periodic job that is due and claimed by this worker; their keys."""
    now = now or timezone.now()
    queued = []
    for item in periodic():
        Schedule.objects.get_or_create(key=item.key, defaults={"next_run_at": now})
        claimed = Schedule.objects.filter(key=item.key, next_run_at__lte=now).update(
            next_run_at=now + item.every, last_run_at=now, last_worker=worker[:100])
        if claimed and jobs.registered(item.job_key) and (item.when is None or item.when()):
            jobs.enqueue(item.job_key, label=str(item.label))
            queued.append(item.key)
    return queued


def tick(worker: str, backend: str, started_at) -> list[str]:
    """One round of a worker's housekeeping: heartbeat, orphaned jobs, due schedules."""
    beat(worker, backend, started_at)
    stale = timedelta(seconds=settings.POSKO_WORKER_STALE_SECONDS)
    jobs.fail_orphans(alive_workers(stale), older_than=stale)
    return run_due(worker)
