"""``posko worker``: run background jobs and the schedule until stopped.

With ``POSKO_JOBS=database`` (the default) this process takes jobs from the database queue;
with ``POSKO_JOBS=rq`` it is an RQ worker on ``POSKO_REDIS_URL`` (start as many as needed,
on as many machines). Either way a thread writes the heartbeat every few seconds, fails
jobs of workers that are gone and queues the periodic jobs that are due (once per cluster).
``--batch`` runs what is queued, then stops (tests, cron-less one-off runs)."""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from posko.core import jobs, schedule


class Command(BaseCommand):
    help = "Run background jobs and periodic work until stopped (Ctrl+C)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="Run the periodic work that is due and the queued jobs, then stop.")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between two looks at an empty database queue.")

    def handle(self, *args, batch=False, interval=1.0, **options):
        backend = settings.POSKO_JOBS
        worker = jobs.worker_id()
        jobs.set_worker_id(worker)
        started = timezone.now()
        self.stdout.write(f"posko worker {worker}: queue {backend}")
        schedule.tick(worker, backend, started)
        if not batch:
            stop = threading.Event()
            thread = threading.Thread(target=self._housekeeping, args=(stop, worker, backend, started),
                                      daemon=True, name="posko-schedule")
            thread.start()
        if backend == "database":
            runner = Worker(queue_names=["*"], excluded_queue_names=[], interval=interval,
                            batch=batch, backend_name="default", startup_delay=False,
                            max_tasks=None, worker_id=worker.replace(":", "-")[:64])
            runner.configure_signals()
            runner.run()
        elif backend == "rq":
            call_command("rqworker", "default", with_scheduler=True, burst=batch, name=worker,
                         job_class="django_tasks_rq.backend.Job")
        else:
            raise CommandError("POSKO_JOBS=immediate runs jobs in the request: there is no worker to start.")

    def _housekeeping(self, stop, worker, backend, started):
        while not stop.wait(settings.POSKO_WORKER_TICK_SECONDS):
            try:
                schedule.tick(worker, backend, started)
            except Exception as exc:  # a database hiccup must not end the heartbeat
                self.stderr.write(f"posko worker: schedule: {exc}")
            finally:
                close_old_connections()
