"""Supervision reports on PostgreSQL: API intake throughput and the live list and map with
100,000 reports. One PostgreSQL database of its own (``bench_incidents_<pid>``), dropped at
the end unless ``--keep``.

1. **Intake through the API.** The Kota Malang demo (``build_demo``: 1,188 TPS) is built;
   then ``gunicorn posko.wsgi`` (``--workers`` sync workers, DEBUG off) serves it on a free
   local port. A bounded load generator in this process (``--clients`` threads with
   keep-alive HTTP connections, ``--reports`` requests in all, token authentication as the
   desk admin) POSTs JSON reports to ``/api/v1/laporan/`` (each validated, saved and
   audited by ``services.create_report``: code, SLA targets, stage, audit row). Figures:
   reports/s, p50 and p99 latency. Baseline in the same run, with the same generator and
   server: ``GET /api/v1/elections/`` (authentication + one small query), requests/s and
   p50/p99. The generator and the server share the machine's cores, so the figures are a
   floor for a separate application server.
2. **Live list and map with 100,000 reports.** 100,000 reports are inserted set-based over
   the city's TPS (categories, severities and states spread, 60 % open), then the pages are
   requested in-process with the Django test client: the list (first page, unfiltered,
   filtered by kecamatan, "past target" only, the HTMX partial refresh), the situation
   counts and the map's JSON, as the admin, a camat and a lurah; p50 / p95 over
   ``--requests`` requests. Baseline: ``SELECT count(*)`` over the report table.

Nothing asserts on time; the script exits non-zero only when a data check fails.

    .venv/bin/python bench/incidents.py [--reports 2000] [--clients 8] [--workers 2]
        [--requests 20] [--rows 100000] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def percentile(values, pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false",
           "SECRET_KEY": common.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(common.ROOT)}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "posko.wsgi", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("gunicorn did not start: "
                                 + process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def _drive(port: int, token: str, make_request, clients: int, next_item, feed=None) -> dict:
    """``clients`` threads with a keep-alive connection each send ``make_request(i)`` for
    every ``(i, since)`` that ``next_item()`` gives (None: done), each latency counted from
    ``since`` (None: from the send). ``feed()``, when given, runs in this thread (it fills
    the work) while the clients run."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        mine, codes = [], {}
        while (item := next_item()) is not None:
            i, since = item
            request = make_request(i)
            method, path, body = request[:3]
            extra = request[3] if len(request) > 3 else {}
            sent = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={**headers, **extra})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - (sent if since is None else since))
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    if feed is not None:
        feed()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "rate": len(latencies) / elapsed,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99), "statuses": statuses, "latencies": latencies}


def load(port: int, token: str, make_request, total: int, clients: int) -> dict:
    """``total`` requests from ``clients`` threads (keep-alive): latencies and statuses.
    ``make_request(i)`` gives (method, path, body) or (method, path, body, extra headers)."""
    work: queue.Queue = queue.Queue()
    for i in range(total):
        work.put((i, None))

    def next_item():
        try:
            return work.get_nowait()
        except queue.Empty:
            return None

    return _drive(port, token, make_request, clients, next_item)


def load_open(port: int, token: str, make_request, rate: float, total: int,
              clients: int = 64) -> dict:
    """``total`` requests **arriving** at a fixed ``rate`` per second (an open loop, as phones
    send: a slow answer does not slow the next arrival), served by up to ``clients``
    keep-alive connections. Each latency runs from the request's scheduled arrival, so time
    spent waiting for a free connection counts (no coordinated omission)."""
    work: queue.Queue = queue.Queue()

    def feed():
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            work.put((i, due))
        for _ in range(clients):
            work.put(None)

    return _drive(port, token, make_request, clients, work.get, feed)


def intake(database_url: str, args) -> bool:
    from posko.accounts import tokens
    from posko.accounts.models import User
    from posko.elections.models import Election, Tps
    from posko.incidents.models import Report
    from posko.incidents.services import ensure_categories

    ensure_categories()
    election = Election.active()
    admin = User.objects.get(username="admin")
    token = tokens.create(admin, name="bench")[1]
    tps_ids = list(Tps.objects.filter(election=election).values_list("pk", flat=True))
    categories = ["politik_uang", "keamanan", "logistik", "apk_kampanye", "kesehatan_petugas"]
    before = Report.objects.count()

    def report(i):
        body = json.dumps({
            "category": categories[i % len(categories)], "tps": tps_ids[i % len(tps_ids)],
            "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "sedang",
            "title": f"Laporan uji {i}", "description": "Laporan beban: amplop dibagikan di dekat TPS."})
        return "POST", "/api/v1/laporan/", body

    def baseline(i):
        return "GET", "/api/v1/elections/", None

    port = free_port()
    server = start_server(database_url, port, args.workers)
    try:
        load(port, token, baseline, 50, args.clients)  # warm the workers
        base = load(port, token, baseline, args.reports, args.clients)
        result = load(port, token, report, args.reports, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = Report.objects.count() - before
    print(f"\nAPI intake: {args.reports:,} POST /api/v1/laporan/ from {args.clients} threads, "
          f"gunicorn {args.workers} sync workers, PostgreSQL", flush=True)
    common.figure("baseline GET /api/v1/elections/",
                  f"{base['rate']:.0f} req/s, p50 {base['p50'] * 1000:.1f} ms, "
                  f"p99 {base['p99'] * 1000:.1f} ms  statuses {base['statuses']}")
    common.figure("report intake", f"{result['rate']:.0f} reports/s, p50 {result['p50'] * 1000:.1f} ms, "
                  f"p99 {result['p99'] * 1000:.1f} ms  statuses {result['statuses']}")
    common.figure("intake p50 vs baseline p50", common.ratio(result["p50"], base["p50"]))
    common.figure("intake rate vs baseline rate", common.ratio(result["rate"], base["rate"]))
    ok = created == args.reports and result["statuses"] == {201: args.reports}
    common.figure("reports created (check)", f"{created:,} {'ok' if ok else 'MISMATCH'}")
    return ok


def insert_reports(rows: int) -> int:
    """``rows`` reports over the election's TPS, set-based (one INSERT ... SELECT)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from posko.elections.models import Election
    from posko.incidents.models import Category

    election = Election.active()
    categories = list(Category.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO incidents_report (election_id, code, category_id, stage_id, occurred_at, "
            "kabkota_id, kecamatan_id, kelurahan_id, tps_id, latitude, longitude, location_note, title, "
            "description, involves_violence, intimidation, severity, state, source, "
            "reporter_name, reporter_contact, client_hash, forwarded_to, state_note, "
            "rejection_reason, resolution, public_note, created_at, updated_at, "
            "response_due_at, resolve_due_at, version) "
            "WITH t AS (SELECT id, election_id, kabkota_id, kecamatan_id, kelurahan_id, "
            "row_number() OVER (ORDER BY id) - 1 AS rn FROM elections_tps WHERE election_id = %s), "
            "n AS (SELECT count(*) AS c FROM t) "
            "SELECT t.election_id, 'LP-B' || lpad(g::text, 7, '0'), "
            "(%s::int[])[1 + (g %% %s)], NULL, %s - (g %% 5000) * interval '1 minute', "
            "t.kabkota_id, t.kecamatan_id, t.kelurahan_id, t.id, NULL, NULL, '', 'Laporan ' || g, "
            "'Deskripsi laporan beban nomor ' || g, g %% 17 = 0, g %% 23 = 0, "
            "(ARRAY['rendah','sedang','tinggi','kritis'])[1 + (g %% 4)], "
            "(ARRAY['baru','diverifikasi','diteruskan','ditindaklanjuti','ditindaklanjuti',"
            "'diverifikasi','selesai','selesai','ditolak','selesai'])[1 + (g %% 10)], "
            "'petugas', '', '', '', '', '', '', '', '', "
            "%s - (g %% 5000) * interval '1 minute', %s, "
            "%s - (g %% 5000) * interval '1 minute' + interval '4 hours', "
            "%s - (g %% 5000) * interval '1 minute' + interval '3 days', 1 "
            "FROM generate_series(1, %s) g CROSS JOIN n JOIN t ON t.rn = g %% n.c",
            [election.pk, categories, len(categories), now, now, now, now, now, rows])
        inserted = cursor.rowcount
        cursor.execute("ANALYZE incidents_report")
    return inserted


def pages(args) -> bool:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from posko.accounts.models import Role, User
    from posko.incidents.models import Report

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    with common.timer() as took:
        inserted = insert_reports(args.rows)
    total = Report.objects.count()
    print(f"\nLive list and map: {inserted:,} reports inserted in {took():.1f} s "
          f"({total:,} in the table); Django test client, in-process, PostgreSQL", flush=True)
    samples = []
    with connection.cursor() as cursor:
        for _ in range(args.requests):
            start = time.perf_counter()
            cursor.execute("SELECT count(*) FROM incidents_report")
            cursor.fetchone()
            samples.append(time.perf_counter() - start)
    base = percentile(samples, 95)
    common.figure("baseline SELECT count(*) p95", f"{base * 1000:.1f} ms")
    admin = User.objects.get(username="admin")
    camat = User.objects.filter(role=Role.KECAMATAN).first()
    lurah = User.objects.filter(role=Role.KELURAHAN).first()
    kecamatan = camat.kecamatan_id
    checks = [
        ("list, admin", admin, reverse("incidents:report_list"), {}),
        ("list, admin, kecamatan filter", admin, reverse("incidents:report_list"),
         {"kecamatan": kecamatan}),
        ("list, admin, past target", admin, reverse("incidents:report_list"), {"overdue": "on"}),
        ("list, admin, HTMX refresh", admin, reverse("incidents:report_list"),
         {"partial": "1", "HX": True}),
        ("list, camat", camat, reverse("incidents:report_list"), {}),
        ("list, lurah", lurah, reverse("incidents:report_list"), {}),
        ("situation counts, admin", admin, reverse("incidents:situation"), {}),
        ("map data (open reports), admin", admin, reverse("incidents:map_data"), {}),
        ("map data (open reports), camat", camat, reverse("incidents:map_data"), {}),
        ("map data (open reports), lurah", lurah, reverse("incidents:map_data"), {}),
    ]
    ok = True
    for label, user, url, params in checks:
        client = Client()
        client.force_login(user)
        headers = {}
        if params.pop("HX", False):
            headers["HTTP_HX_REQUEST"] = "true"
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url, params, **headers)
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                ok = False
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params, **headers)
        size = len(response.content)
        extra = ""
        if "map" in label:
            extra = f", {len(json.loads(response.content)['points']):,} points"
        common.figure(label, f"p50 {statistics.median(times) * 1000:.0f} ms, p95 "
                      f"{percentile(times, 95) * 1000:.0f} ms ({common.ratio(percentile(times, 95), base)}"
                      f" of baseline), {len(queries)} queries, {size / 1024:.0f} KiB{extra}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    url = f"{common.POSTGRES_SERVER}/bench_incidents_{os.getpid()}"
    common.fresh_postgres(url)
    try:
        common.setup_django(url)
        with common.timer() as took:
            common.migrate()
            from posko.demo.data import build_demo

            build_demo()
        print(f"Kota Malang demo on PostgreSQL built in {took():.1f} s", flush=True)
        ok = intake(url, args)
        ok = pages(args) and ok
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
