"""Coordination pages and reminders at 50,000 tasks, on SQLite and on PostgreSQL (a fresh
database each, in its own process).

Kota Malang (5 kecamatan, 57 kelurahan), an active election, the 14 demo agencies, one
lurah per kelurahan, one camat per kecamatan, two operators per agency. Tasks are written
with ``bulk_create`` (70 % placed in a kelurahan, 20 % in a kecamatan, 10 % Pemda-wide;
mixed statuses, priorities and due dates from 10 days ago to 20 days ahead; assigned to
the place's lurah/camat, or to an agency operator, or to nobody), meetings with three
decisions each (the first 1,000 decisions made into tasks).

Measured with the Django test client, signed in as the admin and as a lurah, first at
500 tasks / 20 meetings and then at 50,000 tasks / 2,000 meetings: the task list, my
tasks, the board, the daily report (HTML, PDF, XLSX), the notification centre and the
API task and meeting lists — p50/p95 over ``--requests`` requests and the queries per
page (``CaptureQueriesContext``), which must not grow with the rows (the stated target:
the script exits non-zero if a page's query count grows). A page whose URL name does not
exist yet is skipped with a note. Baseline in the same run: a raw ``SELECT count(*)`` of
the election's tasks plus a bare ``values_list`` fetch of one page of 50.

Then ``send_reminders`` over the 50,000 tasks: the first run (creates the due-soon and
overdue notifications, e-mails through a dummy backend), the second run (idempotent:
nothing new) and ``--digest``; baseline: fetching the same candidates with their
assignees and a raw ``executemany`` INSERT of as many rows into a plain table.

    .venv/bin/python bench/coordination.py [--tasks 50000] [--small 500] [--meetings 2000]
        [--requests 20] [--engine sqlite|postgres|both] [--database-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import math
import random
import statistics
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SEED = 35_73_2024
TITLES = ("Pastikan logistik TPS tiba", "Koordinasi pengamanan TPS", "Cek kesiapan Linmas",
          "Penertiban alat peraga kampanye", "Laporan situasi harian", "Posko kesehatan siaga",
          "Rekap kesiapan TPS", "Sosialisasi pemilih pemula", "Pendataan TPS rawan banjir",
          "Pengecekan jalur distribusi logistik")
PAGES = (
    # (label, URL name, query string)
    ("task list", "coordination:task_list", ""),
    ("my tasks", "coordination:my_tasks", ""),
    ("task board", "coordination:task_board", ""),
    ("daily report HTML", "coordination:report", ""),
    ("daily report PDF", "coordination:report", "?format=pdf"),
    ("daily report XLSX", "coordination:report", "?format=xlsx"),
    ("notification centre", "coordination:notifications", ""),
    ("API tasks (50/page)", "api:task-list", ""),
    ("API meetings (50/page)", "api:meeting-list", ""),
)


# --- seeding -----------------------------------------------------------------------------------

def seed_world(now):
    from django.contrib.auth.hashers import make_password

    from posko.accounts.models import Agency, Role, User
    from posko.demo.data import AGENCIES
    from posko.elections.models import Election, Stage
    from posko.regions.importer import import_wilayah
    from posko.regions.models import Kecamatan, Kelurahan, Pemda

    import_wilayah(only="35.73")
    Pemda.objects.create(kabkota_id="35.73", name="Pemerintah Kota Malang")
    today = now.date()
    election = Election.objects.create(name="Pilkada Serentak (bench)", is_active=True,
                                       voting_date=today + datetime.timedelta(days=20))
    agencies = Agency.objects.bulk_create([Agency(name=n, short_name=s, kind=k) for n, s, k in AGENCIES])
    day = datetime.timedelta(days=1)
    Stage.objects.bulk_create([
        Stage(election=election, name=f"Tahapan {i + 1}", start_date=today + (i * 5 - 30) * day,
              end_date=today + (i * 5 - 24) * day, owner=agencies[9]) for i in range(10)])
    kecamatan = list(Kecamatan.objects.order_by("code"))
    kelurahan = list(Kelurahan.objects.order_by("code"))
    unusable = make_password(None)
    users = [User(username="admin", role=Role.ADMIN, email="admin@example.go.id", password=unusable)]
    users += [User(username=f"lurah.{k.code}", role=Role.KELURAHAN, kelurahan=k,
                   kecamatan_id=k.kecamatan_id, email=f"lurah.{k.code}@example.go.id",
                   password=unusable) for k in kelurahan]
    users += [User(username=f"camat.{k.code}", role=Role.KECAMATAN, kecamatan=k,
                   email=f"camat.{k.code}@example.go.id", password=unusable) for k in kecamatan]
    users += [User(username=f"op{i}.{a.short_name}", role=Role.AGENCY, agency=a,
                   email=f"op{i}.{a.pk}@example.go.id", password=unusable)
              for a in agencies for i in (1, 2)]
    users.append(User(username="pemantau", role=Role.PEMANTAU, password=unusable))
    User.objects.bulk_create(users)
    return election


class Seeder:
    """Adds tasks and meetings in bulk, deterministically, continuing where it stopped."""

    def __init__(self, election, now):
        from posko.accounts.models import Agency, Role, User
        from posko.regions.models import Kecamatan, Kelurahan

        self.election, self.now = election, now
        self.rng = random.Random(SEED)
        self.agencies = list(Agency.objects.order_by("pk"))
        self.kecamatan = list(Kecamatan.objects.order_by("code").values_list("code", flat=True))
        self.kelurahan = list(Kelurahan.objects.order_by("code").values_list("code", flat=True))
        self.lurah = dict(User.objects.filter(role=Role.KELURAHAN).values_list("kelurahan_id", "pk"))
        self.camat = dict(User.objects.filter(role=Role.KECAMATAN).values_list("kecamatan_id", "pk"))
        self.operators: dict[int, list[int]] = {}
        for pk, agency in User.objects.filter(role=Role.AGENCY).values_list("pk", "agency_id"):
            self.operators.setdefault(agency, []).append(pk)
        self.tasks = 0
        self.meetings = 0
        self.decisions_to_tasks = 0

    def add_tasks(self, count: int) -> None:
        from posko.coordination.models import Task

        rng, now, hour = self.rng, self.now, datetime.timedelta(hours=1)
        statuses = [Task.Status.BELUM_MULAI] * 35 + [Task.Status.BERJALAN] * 25 + [
            Task.Status.SELESAI] * 30 + [Task.Status.TERHAMBAT] * 10
        rows, assign = [], []
        for i in range(self.tasks, self.tasks + count):
            r = rng.random()
            kel = kec = None
            if r < 0.7:
                kel = self.kelurahan[i % len(self.kelurahan)]
                kec = kel.rsplit(".", 1)[0]
            elif r < 0.9:
                kec = self.kecamatan[i % len(self.kecamatan)]
            agency = self.agencies[rng.randrange(len(self.agencies))]
            status = statuses[rng.randrange(100)]
            due = now + hour * rng.uniform(-240, 480)
            created = min(now - hour * rng.uniform(24, 720), due - hour)
            completed = (now - hour * rng.uniform(0, 120)) if status == Task.Status.SELESAI else None
            rows.append(Task(
                election=self.election, title=f"{TITLES[i % len(TITLES)]} #{i + 1}",
                description="Dibuat oleh bench/coordination.py", agency=agency, kecamatan_id=kec,
                kelurahan_id=kel, due_at=due, priority=rng.randint(1, 4), status=status,
                blocked_reason="Menunggu anggaran" if status == Task.Status.TERHAMBAT else "",
                created_at=created, completed_at=completed))
            if kel:
                assign.append([self.lurah[kel]])
            elif kec:
                assign.append([self.camat[kec]])
            elif rng.random() < 0.5:
                assign.append([self.operators[agency.pk][0]])
            else:
                assign.append([])  # nobody: reminders go to the agency's operators
        Task.objects.bulk_create(rows, batch_size=2000)
        through = Task.assignees.through
        through.objects.bulk_create([through(task_id=task.pk, user_id=user)
                                     for task, users in zip(rows, assign, strict=True) for user in users],
                                    batch_size=5000)
        self.tasks += count

    def add_meetings(self, count: int) -> None:
        from posko.coordination.models import Decision, Meeting, Task

        rng, now = self.rng, self.now
        meetings = [Meeting(election=self.election, title=f"Rapat koordinasi Desk Pilkada #{self.meetings + i + 1}",
                            starts_at=now - datetime.timedelta(hours=rng.uniform(0, 24 * 200)) if i else now,
                            place="Ruang Sidang Balai Kota Malang", chair="Sekretaris Daerah",
                            agenda="Kesiapan tahapan", minutes="Notulen rapat " * 20)
                    for i in range(count)]
        Meeting.objects.bulk_create(meetings, batch_size=2000)
        through = Meeting.agencies.through
        through.objects.bulk_create([through(meeting_id=m.pk, agency_id=a.pk) for m in meetings
                                     for a in rng.sample(self.agencies, 3)], batch_size=5000)
        free = list(Task.objects.filter(decision__isnull=True).order_by("pk")
                    .values_list("pk", flat=True)[:max(0, 1000 - self.decisions_to_tasks)])
        decisions = []
        for m in meetings:
            for order in range(3):
                task_id = free.pop() if free and order == 0 else None
                self.decisions_to_tasks += task_id is not None
                decisions.append(Decision(meeting=m, text=f"Keputusan {order + 1} rapat {m.pk}",
                                          agency=self.agencies[rng.randrange(len(self.agencies))],
                                          due_at=now + datetime.timedelta(days=order), task_id=task_id,
                                          order=order))
        Decision.objects.bulk_create(decisions, batch_size=2000)
        self.meetings += count


# --- measuring ----------------------------------------------------------------------------------

def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def measure_pages(users: dict, requests: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    results = {}
    for label, name, query in PAGES:
        try:
            url = reverse(name) + query
        except NoReverseMatch:
            results[label] = {"missing": name}
            continue
        for who, user in users.items():
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            first = client.get(url)  # warm-up (and the status check)
            if first.status_code != 200:
                results[(label, who)] = {"status": first.status_code, "url": url}
                continue
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries = len(captured)  # now: the next request clears the log
            times = []
            for _ in range(requests):
                with common.timer() as elapsed:
                    response = client.get(url)
                    if hasattr(response, "streaming_content"):
                        b"".join(response.streaming_content)
                times.append(elapsed())
            results[(label, who)] = {"queries": queries, "p50_p95": quantiles(times),
                                     "bytes": len(first.content) if not first.streaming else 0}
    return results


def measure_baseline(election_id: int, requests: int) -> tuple[float, float]:
    from django.db import connection

    from posko.coordination.models import Task

    times = []
    for _ in range(requests + 1):
        with common.timer() as elapsed:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {Task._meta.db_table} WHERE election_id = %s",
                               [election_id])
                cursor.fetchone()
            list(Task.objects.filter(election_id=election_id).order_by("due_at", "pk").values_list(
                "id", "title", "status", "due_at", "agency_id", "kelurahan_id")[:50])
        times.append(elapsed())
    return quantiles(times[1:])


class QueryCounter:
    """Counts statements cheaply (``connection.execute_wrapper``), for long runs."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run_reminders(now, *, digest=False):
    from django.db import connection

    from posko.coordination.reminders import send_reminders
    from posko.elections.models import Election

    counter = QueryCounter()
    with connection.execute_wrapper(counter), common.timer() as elapsed:
        result = send_reminders(Election.active(), now, digest=digest)
    return elapsed(), result, counter.count


def reminders_baseline(election_id: int, now, rows: int) -> float:
    """Fetch the candidates with their assignee ids, insert ``rows`` plain rows."""
    from django.db import connection, transaction

    from posko.coordination.models import Task

    horizon = now + datetime.timedelta(hours=24)
    through = Task.assignees.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_notification_plain (user_id bigint, kind varchar(10), "
                       "title varchar(250), body text, url varchar(200), task_id bigint, "
                       "key varchar(120), created_at timestamp)")
    with common.timer() as elapsed:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.id, t.title, t.due_at, a.user_id FROM {Task._meta.db_table} t "
                f"LEFT JOIN {through} a ON a.task_id = t.id WHERE t.election_id = %s "
                "AND t.status <> 'selesai' AND t.due_at < %s", [election_id, horizon])
            candidates = cursor.fetchall()
            params = [(c[3] or 1, "overdue", f"Overdue: {c[1]}", "Was due", f"/koordinasi/tugas/{c[0]}/",
                       c[0], f"overdue:{c[0]}:{c[3]}:{i}", now)
                      for i, c in enumerate(itertools.islice(itertools.cycle(candidates), rows))]
            cursor.executemany("INSERT INTO bench_notification_plain VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                               params)
    return elapsed()


def child(database_url: str, args) -> int:
    common.setup_django(database_url)
    common.migrate()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from posko.accounts.models import Role, User
    from posko.coordination.models import Decision, Meeting, Notification, Task

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    now = timezone.now()
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    election = seed_world(now)
    seeder = Seeder(election, now)
    lurah = User.objects.filter(role=Role.KELURAHAN).order_by("username").first()
    people = {"admin": User.objects.get(username="admin"), "lurah": lurah}
    print(f"\n{engine}: Kota Malang, {len(seeder.kelurahan)} kelurahan; {args.small:,} then "
          f"{args.tasks:,} tasks; {args.requests} requests per page and user", flush=True)

    small_meetings = max(1, args.meetings // 100)
    seeder.add_tasks(args.small)
    seeder.add_meetings(small_meetings)
    run_reminders(now)  # so the notification centres have something to show
    small = measure_pages(people, args.requests)
    small_base = measure_baseline(election.pk, args.requests)
    small_idle_queries = run_reminders(now)[2]

    with common.timer() as seeding:
        seeder.add_tasks(args.tasks - args.small)
        seeder.add_meetings(args.meetings - small_meetings)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    common.figure(f"seed {args.tasks - args.small:,} tasks + {args.meetings - small_meetings:,} "
                  "meetings (s)", f"{seeding():.2f}")
    checks = {
        "tasks": Task.objects.count() == args.tasks,
        "meetings": Meeting.objects.count() == args.meetings,
        "decisions": Decision.objects.count() == 3 * args.meetings,
    }
    common.figure("rows", f"{Task.objects.count():,} tasks ({Task.assignees.through.objects.count():,} "
                          f"assignments), {Meeting.objects.count():,} meetings, "
                          f"{Decision.objects.count():,} decisions")

    # send_reminders over the full set (the first 500 tasks were reminded above).
    before = Notification.objects.count()
    t1, r1, q1 = run_reminders(now)
    t2, r2, q2 = run_reminders(now)
    t3, r3, q3 = run_reminders(now, digest=True)
    created = Notification.objects.count() - before
    base = reminders_baseline(election.pk, now, r1.due_soon + r1.overdue)
    print("  send_reminders", flush=True)
    common.figure("  first run (s)", f"{t1:.2f}  {r1.tasks:,} tasks due < 24 h or overdue; "
                                     f"{r1.due_soon:,} due-soon + {r1.overdue:,} overdue created, "
                                     f"{r1.emails:,} e-mailed; {q1:,} queries")
    common.figure("  second run, nothing new (s)", f"{t2:.2f}  {r2.due_soon + r2.overdue} created, "
                                                   f"{r2.already_sent:,} already sent; {q2} queries "
                                                   f"(at {args.small:,} tasks: {small_idle_queries}; "
                                                   "+1 per 2,000 tasks)")
    common.figure("  --digest (s)", f"{t3:.2f}  {r3.tasks:,} open tasks, {r3.digests:,} digests; "
                                    f"{q3} queries")
    common.figure("  baseline: fetch candidates + raw INSERT (s)",
                  f"{base:.2f}  ({r1.due_soon + r1.overdue:,} rows)")
    common.figure("  ratio first run / baseline", common.ratio(t1, base))
    checks["reminders idempotent"] = r2.due_soon + r2.overdue == 0 and created == (
        r1.due_soon + r1.overdue + r3.digests)

    large = measure_pages(people, args.requests)
    large_base = measure_baseline(election.pk, args.requests)
    grows = report_pages(args, small, large, small_base, large_base)
    checks["page queries constant"] = not grows
    failed = [name for name, ok in checks.items() if not ok]
    common.figure("checks", "ok" if not failed else "FAILED: " + ", ".join(failed))
    return 1 if failed else 0


def _ms(pair) -> str:
    return f"{pair[0] * 1000:7.1f} /{pair[1] * 1000:7.1f}"


def report_pages(args, small, large, small_base, large_base) -> list[str]:
    print(f"  pages: p50 / p95 ms, queries — at {args.small:,} tasks | at {args.tasks:,} tasks "
          "| ratio p50 to baseline", flush=True)
    print(f"  {'baseline: count(*) + 50 rows':<34} {_ms(small_base)}    | {_ms(large_base)}", flush=True)
    grows = []
    for label, name, _query in PAGES:
        if label in large:
            print(f"  {label:<34} skipped: no URL named {name} yet", flush=True)
            continue
        for who in ("admin", "lurah"):
            a, b = small.get((label, who), {}), large.get((label, who), {})
            if "status" in a or "status" in b:
                status = b.get("status") or a.get("status")
                print(f"  {label + ' (' + who + ')':<34} skipped: HTTP {status}", flush=True)
                continue
            flag = ""
            if b["queries"] > a["queries"]:
                flag = "  QUERIES GROW"
                grows.append(f"{label} ({who})")
            print(f"  {label + ' (' + who + ')':<34} {_ms(a['p50_p95'])} {a['queries']:3d}q | "
                  f"{_ms(b['p50_p95'])} {b['queries']:3d}q | "
                  f"{common.ratio(b['p50_p95'][0], large_base[0])}{flag}", flush=True)
    return grows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--meetings", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and recreated)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.exit(child(args.child, args))
    print(f"Coordination benchmark: {args.small:,} and {args.tasks:,} tasks, {args.meetings:,} meetings. "
          "Target: the queries per page do not grow with the rows.", flush=True)
    targets = []
    if args.engine in ("sqlite", "both"):
        targets.append(("SQLite", common.sqlite_url()))
    pg_url = args.database_url or common.default_postgres_url("coordination")
    if args.engine in ("postgres", "both"):
        common.fresh_postgres(pg_url)
        targets.append(("PostgreSQL", pg_url))
    status = 0
    try:
        for label, url in targets:
            command = [sys.executable, __file__, "--child", url, "--tasks", str(args.tasks),
                       "--small", str(args.small), "--meetings", str(args.meetings),
                       "--requests", str(args.requests)]
            code = subprocess.run(command).returncode
            if code:
                print(f"{label}: the run exited with {code}", flush=True)
                status = 1
    finally:
        if args.engine in ("postgres", "both") and not args.keep:
            common.drop_postgres(pg_url)
    sys.exit(status)


if __name__ == "__main__":
    main()
