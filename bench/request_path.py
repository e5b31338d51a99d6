"""Posko's API under concurrent load against a bare Django + DRF project, on PostgreSQL.

```
.venv/bin/python bench/request_path.py [--clients 16,64] [--requests 1200] [--rounds 2]
    [--workers 3] [--conn-max-age 0] [--keep]
```

Two gunicorn servers with the same settings as the README's (``--workers`` sync workers,
DEBUG off; both get the same ``conn_max_age`` in their DATABASE_URL: 0 opens a database
connection per request, N > 0 keeps it for N seconds), each on a fresh PostgreSQL database
of its own:

- **bare** (``bench/bare_drf``): Django 5.2 + DRF, one model, token authentication, a
  ModelViewSet — what any API pays. ``POST /items/`` validates and inserts one row;
  ``GET /items/`` lists 50.
- **Posko** with the Kota Malang demo (1,188 TPS): ``POST /api/v1/laporan/``,
  ``POST /api/v1/outreach/turnout/``, a voting-day report
  ``POST /api/v1/voting/tps/<id>/report/`` and a witness's C.Hasil
  ``POST /api/v1/voting/tps/<id>/results/`` (checked, flagged, a new version each time) with
  a fresh ``Idempotency-Key`` each (the key is stored with the write) as a lurah (validate,
  scope, save, audit),
  ``GET /api/v1/elections/`` as the admin, ``GET /api/v1/tps/?kelurahan=`` as the lurah.

A bounded load generator in this process (``--clients`` threads with keep-alive
connections, ``--requests`` requests per run) drives one endpoint at a time; the runs are
interleaved (bare, Posko, bare, Posko…) over ``--rounds`` rounds so that a noisy neighbour
hurts both, and the load average is printed with each. The generator shares the machine's
cores with the servers: the figures are a floor. Printed per run: requests/s, p50, p99,
statuses; and per client count the ratio of Posko's write rate to the bare POST's (target
≥ 0.5 at 16 clients, p99 < 300 ms; at 64 clients no worse than at 16, p99 < 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.incidents import free_port, load  # noqa: E402


def start(wsgi: str, settings_module: str, database_url: str, port: int, workers: int):
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false",
           "SECRET_KEY": common.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "LOG_LEVEL": "WARNING", "PYTHONPATH": str(common.ROOT),
           "DJANGO_SETTINGS_MODULE": settings_module, "POSKO_JOBS": "database"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), wsgi, "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{wsgi}: " + process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)
    raise SystemExit(f"{wsgi} did not start")


def prepare_bare(url: str) -> str:
    common.fresh_postgres(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.bare_drf.settings",
           "PYTHONPATH": str(common.ROOT)}
    script = ("import django; django.setup();"
              "from django.core.management import call_command;"
              "call_command('migrate', verbosity=0);"
              "from django.contrib.auth.models import User;"
              "from rest_framework.authtoken.models import Token;"
              "u = User.objects.create_user('bench', password='x');"
              "print(Token.objects.create(user=u).key)")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=common.ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def prepare_posko(url: str) -> dict:
    common.fresh_postgres(url)
    common.setup_django(url)
    common.migrate()
    from posko.accounts import tokens
    from posko.accounts.models import User
    from posko.demo.data import build_demo
    from posko.elections.models import Contest, Election, Tps

    build_demo()
    lurah = User.objects.get(username="lurah.kauman")
    election = Election.objects.get(is_active=True)
    tps = list(Tps.objects.filter(election=election, kelurahan=lurah.kelurahan)
               .values_list("pk", "dpt_total"))
    contest = Contest.objects.get(election=election, level="walikota").pk
    from django.db import connections

    connections.close_all()
    return {"contest": contest,
            "admin": tokens.create(User.objects.get(username="admin"), name="bench")[1],
            "lurah": tokens.create(lurah, name="bench")[1],
            "kelurahan": lurah.kelurahan_id, "tps": tps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="16,64")
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--conn-max-age", type=int, default=0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    pid = os.getpid()
    bare_url = f"{common.POSTGRES_SERVER}/bench_bare_{pid}"
    posko_url = f"{common.POSTGRES_SERVER}/bench_reqpath_{pid}"
    option = f"?conn_max_age={args.conn_max_age}" if args.conn_max_age else ""
    bare_token = prepare_bare(bare_url)
    with common.timer() as took:
        data = prepare_posko(posko_url)
    print(f"Kota Malang demo on PostgreSQL built in {took():.1f} s; gunicorn --workers "
          f"{args.workers}, conn_max_age={args.conn_max_age}, {args.requests} requests per run",
          flush=True)
    tps = data["tps"]

    endpoints = {
        "bare POST /items/": ("bare", bare_token, lambda i: ("POST", "/items/", json.dumps(
            {"title": f"Barang {i}", "number": i, "note": "uji beban"}))),
        "Posko POST /api/v1/laporan/ (lurah)": ("posko", data["lurah"], lambda i: (
            "POST", "/api/v1/laporan/", json.dumps({
                "category": "politik_uang", "tps": tps[i % len(tps)][0],
                "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "sedang",
                "title": f"Laporan uji {i}", "description": "Amplop dibagikan di dekat TPS."}))),
        "Posko POST /api/v1/outreach/turnout/ (lurah)": ("posko", data["lurah"], lambda i: (
            "POST", "/api/v1/outreach/turnout/", json.dumps({
                "tps": tps[i % len(tps)][0], "voted_dpt": (i * 7) % max(1, tps[i % len(tps)][1])}))),
        "Posko POST voting report + Idempotency-Key (lurah)": ("posko", data["lurah"], lambda i: (
            "POST", f"/api/v1/voting/tps/{tps[i % len(tps)][0]}/report/",
            json.dumps({"kpps_present": 7, "linmas_present": i % 3}),
            {"Idempotency-Key": str(uuid.uuid4())})),
        "Posko POST C.Hasil + Idempotency-Key (lurah)": ("posko", data["lurah"], lambda i: (
            "POST", f"/api/v1/voting/tps/{tps[i % len(tps)][0]}/results/", json.dumps({
                "contest": data["contest"], "source": "saksi", "reason": "uji beban",
                "voters_dpt": 200, "valid": 196, "invalid": 4, "ballots_received": 420,
                "ballots_used": 200, "ballots_unused": 220,
                "votes": {"1": 90, "2": 60, "3": 46}}),
            {"Idempotency-Key": str(uuid.uuid4())})),
        "bare GET /items/": ("bare", bare_token, lambda i: ("GET", "/items/", None)),
        "Posko GET /api/v1/elections/ (admin)": ("posko", data["admin"],
                                                 lambda i: ("GET", "/api/v1/elections/", None)),
        "Posko GET /api/v1/tps/ one kelurahan (lurah)": ("posko", data["lurah"], lambda i: (
            "GET", f"/api/v1/tps/?kelurahan={data['kelurahan']}", None)),
    }
    ports = {"bare": free_port(), "posko": free_port()}
    servers = [start("bench.bare_drf.wsgi", "bench.bare_drf.settings", bare_url + option,
                     ports["bare"], args.workers),
               start("posko.wsgi", "posko.settings", posko_url + option, ports["posko"],
                     args.workers)]
    results: dict[tuple[str, int], list[dict]] = {}
    ok = True
    try:
        for side, token, make in endpoints.values():
            load(ports[side], token, make, 30, 4)  # warm every worker on every path
        for clients in [int(c) for c in args.clients.split(",")]:
            print(f"\n{clients} clients", flush=True)
            for round_no in range(args.rounds):
                for name, (side, token, make) in endpoints.items():
                    result = load(ports[side], token, make, args.requests, clients)
                    results.setdefault((name, clients), []).append(result)
                    bad = {k: v for k, v in result["statuses"].items() if k not in (200, 201)}
                    ok = ok and not bad
                    print(f"  r{round_no + 1} {name:48} {result['rate']:6.0f} req/s  p50 "
                          f"{result['p50'] * 1000:6.0f} ms  p95 {result['p95'] * 1000:6.0f} ms  "
                          f"p99 {result['p99'] * 1000:6.0f} ms  "
                          f"load {os.getloadavg()[0]:4.1f}  {result['statuses']}", flush=True)
        print("\nSummary (best round of each):")
        for clients in [int(c) for c in args.clients.split(",")]:
            best = {name: max(results[(name, clients)], key=lambda r: r["rate"])
                    for name in endpoints}
            bare_post = best["bare POST /items/"]["rate"]
            bare_get = best["bare GET /items/"]["rate"]
            for name, result in best.items():
                base = bare_post if "POST" in name else bare_get
                common.figure(f"{clients:>3} clients {name}",
                              f"{result['rate']:.0f} req/s ({result['rate'] / base:.2f}x bare), "
                              f"p99 {result['p99'] * 1000:.0f} ms")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(bare_url)
            common.drop_postgres(posko_url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
