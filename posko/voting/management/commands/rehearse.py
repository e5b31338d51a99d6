"""``posko rehearse``: a gladi of voting day through the real field API (see
posko/voting/rehearsal.py and docs/modules/voting.md, "Gladi").

```
posko rehearse [--election ID] [--speed 30] [--clients 16] [--seed 2024] [--limit N]
               [--url http://127.0.0.1:8000] [--workers 3] [--reset --yes]
               [--misread 0.02] [--witness 0.3] [--problems 0.03] [--retry 0.05] [--offline 0.1]
```

Without ``--url`` a local gunicorn (``--workers`` sync workers, as the README configures
it) is started on a free port with this process's settings and stopped at the end. With
``--url`` the server must run on the same database (the command creates the rehearsal
users and checks the stored rows itself). An election that already has a voting day is
not touched unless ``--reset --yes`` clears it first. Exit code 0 only when every
submission sent was acknowledged and stored exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from posko.core import clock, fanout
from posko.elections.models import Election
from posko.voting import rehearsal

#: How long the report waits for the C.Hasil inbox to be processed by a worker.
INBOX_WAIT_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    """gunicorn on this process's settings and database, on a free local port."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
        "DJANGO_SETTINGS_MODULE", "posko.settings"),
        "ALLOWED_HOSTS": ",".join(dict.fromkeys([*settings.ALLOWED_HOSTS, "127.0.0.1"]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "posko.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "180", "--log-level", "warning"],
        cwd=Path(settings.BASE_DIR).parent, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                raise CommandError("The server did not start: "
                                   + process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    stop_server(process)
    raise CommandError("The server did not start within 60 s.")


def start_worker() -> subprocess.Popen:
    """``posko worker`` on this process's settings and database (the jobs queue)."""
    return subprocess.Popen([sys.executable, "-m", "posko", "worker"],
                            cwd=Path(settings.BASE_DIR).parent, env=dict(os.environ),
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def stop_server(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError
    return number


class Command(BaseCommand):
    help = ("Rehearse voting day (gladi): simulated devices send the day's reports and C.Hasil "
            "through the real field API; checks that every submission is stored once.")

    def add_arguments(self, parser):
        parser.add_argument("--election", type=int, help="election id (default: the active one)")
        parser.add_argument("--speed", type=float, default=30.0,
                            help="times real time (30 = 30x); 0 = as fast as possible")
        parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--limit", type=int, help="only the first N TPS")
        parser.add_argument("--url", help="a running server on the same database")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--reset", action="store_true",
                            help="clear the election's voting day first (needs --yes)")
        parser.add_argument("--yes", action="store_true", help="confirm --reset")
        for name, default in (("late", 0.085), ("problems", 0.03), ("misread", 0.02),
                              ("witness", 0.3), ("disagree", 0.15), ("retry", 0.05),
                              ("double", 0.01), ("offline", 0.1)):
            parser.add_argument(f"--{name}", type=share, default=default,
                                help=f"share between 0 and 1 (default {default})")

    def handle(self, *args, **opts):
        options = self.options(opts)
        election = self.election(opts["election"])
        if election.voting_date >= clock.today():
            raise CommandError(
                f"{election} votes on {election.voting_date:%d-%m-%Y}: the rehearsal replays that "
                "day, and the API refuses reports from the future. Rehearse an election whose "
                "voting day has passed (the demo's).")
        have = rehearsal.existing(election)
        if any(have.values()):
            if not opts["reset"]:
                raise CommandError(
                    f"{election} already has a voting day ({have['TPS days']} TPS days, "
                    f"{have['C.Hasil entries']} C.Hasil entries). Add --reset --yes to delete it "
                    "before the rehearsal (the demo's can be rebuilt with `posko demo`).")
            if not opts["yes"]:
                raise CommandError("--reset deletes the voting day of the election: confirm with "
                                   "--yes.")
            counts = rehearsal.reset(election)
            self.stdout.write("Cleared: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        tps = rehearsal.tps_for(election, options.limit)
        if not tps:
            raise CommandError(f"{election} has no TPS.")
        tokens = rehearsal.device_tokens(t.kelurahan_id for t in tps)
        devices = rehearsal.plan(election, tps, tokens, options)
        total = sum(len(d.queue) for d in devices)
        since = clock.now()
        server = worker = None
        url = opts["url"]
        connections.close_all()
        try:
            if not url:
                server, url = start_server(opts["workers"])
                if not fanout.inline() and settings.POSKO_JOBS == "database":
                    worker = start_worker()  # processes the C.Hasil inbox (202 answers)
            self.stdout.write(
                f"Rehearsal of {election}: {len(tps)} TPS, {len(devices)} devices, {total} "
                f"submissions, speed {options.speed:g}x, {options.clients} clients, "
                f"seed {options.seed}, server {url}")
            stats = rehearsal.run(url, devices, options, progress=self.progress(total))
            # Before the devices are retired: what they sent is theirs until it is processed.
            self.drained = self.wait_for_inbox(election)
        finally:
            if server is not None:
                stop_server(server)
            rehearsal.retire_devices()
        try:
            return self.report(election, since, stats)
        finally:
            if worker is not None:
                stop_server(worker)

    def progress(self, total: int):
        """A line every 30 s: the simulated time reached and how much is sent."""
        last = [time.monotonic()]

        def show(stats, at: float) -> None:
            if time.monotonic() - last[0] < 30:
                return
            last[0] = time.monotonic()
            sent = sum(stats.sent.values())
            self.stdout.write(f"  {int(at) // 60:02d}.{int(at) % 60:02d}  sent {sent}/{total}, "
                              f"acknowledged {stats.acknowledged}, replays {stats.replays}")

        return show

    def options(self, opts) -> rehearsal.Options:
        if opts["speed"] < 0:
            raise CommandError("--speed must be 0 (as fast as possible) or more.")
        if not 1 <= opts["clients"] <= 256:
            raise CommandError("--clients must be between 1 and 256.")
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError("--limit must be 1 or more.")
        if not 1 <= opts["workers"] <= 64:
            raise CommandError("--workers must be between 1 and 64.")
        names = ("speed", "clients", "seed", "limit", "late", "problems", "misread", "witness",
                 "disagree", "retry", "double", "offline")
        return rehearsal.Options(**{name: opts[name] for name in names})

    def election(self, pk) -> Election:
        active = Election.objects.filter(is_active=True).first()
        if pk is None:
            if active is None:
                raise CommandError("There is no active election; give --election.")
            return active
        election = Election.objects.filter(pk=pk).first()
        if election is None:
            raise CommandError(f"There is no election {pk}.")
        if election != active:
            raise CommandError(f"{election} is not the active election: the field API writes to "
                               "the active one. Make it active first.")
        return election

    def wait_for_inbox(self, election) -> tuple[float, int]:
        """Acknowledged with 202 (``POSKO_FANOUT=job``): a worker processes the C.Hasil
        inbox; (seconds waited, rows still waiting after ``INBOX_WAIT_SECONDS``)."""
        started, deadline = time.monotonic(), time.monotonic() + INBOX_WAIT_SECONDS
        while (inbox := rehearsal.waiting(election)) and time.monotonic() < deadline:
            time.sleep(0.5)
        return time.monotonic() - started, inbox

    def report(self, election, since, stats) -> None:
        drained, inbox = self.drained
        rows = rehearsal.stored(election, since)
        wanted = rehearsal.expected(stats.sent)
        sent = sum(stats.sent.values())
        latencies = stats.latencies
        lines = [
            f"submissions sent          {sent:>8}  ({', '.join(f'{k} {v}' for k, v in sorted(stats.sent.items()))})",
            f"acknowledged (201/202)    {stats.acknowledged:>8}",
            f"replays (same key again)  {stats.replays:>8}",
            f"409 while in progress     {stats.conflicts:>8}",
            f"network errors, retried   {stats.network_errors:>8}",
            f"refused                   {len(stats.refused):>8}",
            f"HTTP requests             {stats.requests:>8}",
            f"elapsed                   {stats.elapsed:>8.1f} s (most behind schedule "
            f"{stats.lag:.1f} s)",
            f"throughput                {sent / stats.elapsed if stats.elapsed else 0:>8.1f} "
            f"submissions/s, {stats.requests / stats.elapsed if stats.elapsed else 0:.1f} "
            "requests/s",
            "latency p50/p95/p99       " + " / ".join(
                f"{rehearsal.percentile(latencies, p) * 1000:.0f}" for p in (50, 95, 99)) + " ms",
            f"inbox drained after the last answer in {drained:.1f} s"
            + (f"; {inbox} C.Hasil still waiting (is `posko worker` running?)" if inbox else ""),
            "stored rows (expected)",
        ]
        lines += [f"  {kind:<24}{rows[kind]:>8}  ({wanted[kind]})" for kind in wanted]
        left = rehearsal.misreads_left(election, since)
        lines.append(f"misreads left uncorrected {left:>8}")
        self.stdout.write("\n".join(lines))
        for label, tps, status, body in stats.refused[:10]:
            self.stderr.write(f"refused {label} TPS {tps}: {status} {body}")
        lost = rows != wanted or stats.acknowledged != sent or stats.refused or left
        if lost:
            raise CommandError("Not every submission was stored exactly once (see above).",
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(f"OK: sent {sent} = stored {sent}, nothing lost."))
