"""Request overhead before and after a refactor: the same list page and API list, p50/p95
and queries per request, on two checkouts measured in the same run.

```
.venv/bin/python bench/request_overhead.py [--baseline REV] [--requests N] [--database-url URL]
```

The baseline is a git revision (default: ``1f7d3d5``, main before issue 12 moved the
election onto the request and the shell into registries), checked out into a temporary
worktree. Each checkout runs in its own interpreter, on its own fresh database (SQLite by
default; ``--database-url postgres://…`` for PostgreSQL, one database per checkout),
seeded with the same Kota-Malang-sized data (5 kecamatan, 57 kelurahan, 1,188 TPS), and
answers the same requests through Django's test client (the whole middleware stack,
templates and serializers, no network). Printed per endpoint: p50 and p95 in ms and queries
per request for both checkouts, and the ratio after/before of p50.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = [
    ("TPS list page, admin, first page", "admin", "/tps/"),
    ("TPS list page, lurah (own kelurahan)", "lurah", "/tps/"),
    ("API TPS list, lurah", "lurah", "/api/v1/tps/"),
    ("API TPS list, admin, one kecamatan", "admin", "/api/v1/tps/?kecamatan={kecamatan}"),
    ("Beranda, lurah", "lurah", "/"),
]


def child(tree: str, database_url: str, requests: int) -> None:
    """Runs inside the checkout ``tree``: seed, warm up, measure, print JSON."""
    sys.path.insert(0, tree)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "posko.settings", "DEBUG": "true",
                       "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789abcdef",
                       "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
                       "POSKO_DATA_DIR": tempfile.mkdtemp(prefix="posko-bench-req-")})
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0, interactive=False)
    import datetime

    from posko.accounts.models import Role, User
    from posko.elections.models import Election, Tps
    from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi

    jatim = Provinsi.objects.create(code="35", name="Jawa Timur")
    malang = KabKota.objects.create(code="35.73", provinsi=jatim, name="Kota Malang")
    Pemda.objects.create(kabkota=malang, name="Pemerintah Kota Malang")
    election = Election.objects.create(name="Pilkada 2024", voting_date=datetime.date(2024, 11, 27),
                                       is_active=True)
    kelurahan = []
    for k in range(5):
        kec = Kecamatan.objects.create(code=f"35.73.0{k + 1}", kabkota=malang, name=f"Kecamatan {k + 1}")
        for n in range(57 // 5 + (1 if k < 57 % 5 else 0)):
            kelurahan.append(Kelurahan.objects.create(code=f"{kec.code}.{1001 + n}", kecamatan=kec,
                                                      name=f"Kelurahan {k + 1}-{n + 1}"))
    rows = []
    for i in range(1188):
        kel = kelurahan[i % len(kelurahan)]
        rows.append(Tps(election=election, kelurahan=kel, kecamatan_id=kel.kecamatan_id,
                        kabkota_id="35.73", number=i // len(kelurahan) + 1, dpt_men=250,
                        dpt_women=260, dpt_total=510, address=f"Jl. Bench {i}"))
    Tps.objects.bulk_create(rows)
    users = {"admin": User.objects.create_user("admin", password="x", role=Role.ADMIN),
             "lurah": User.objects.create_user("lurah", password="x", role=Role.KELURAHAN,
                                               kelurahan=kelurahan[0])}
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    result = {}
    for label, who, path in ENDPOINTS:
        url = path.format(kecamatan=kelurahan[0].kecamatan_id)
        client = clients[who]
        for _ in range(10):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        result[label] = {"p50": statistics.median(times),
                         "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
                         "queries": len(queries)}
    print(json.dumps(result))


def run_tree(tree: Path, database_url: str, requests: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(tree), database_url, str(requests)],
                          cwd=tree, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"{tree}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def database_for(base_url: str | None, tag: str, directory: str) -> str:
    if not base_url:
        return f"sqlite:///{directory}/{tag}.sqlite3"
    sys.path.insert(0, str(ROOT))
    from bench.common import fresh_postgres

    url = base_url.rsplit("/", 1)[0] + f"/posko_bench_req_{tag}_{os.getpid()}"
    fresh_postgres(url)
    return url


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="1f7d3d5")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="posko-bench-baseline-")
    tree = Path(work) / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), args.baseline], cwd=ROOT,
                   check=True)
    try:
        before = run_tree(tree, database_for(args.database_url, "before", work), args.requests)
        after = run_tree(ROOT, database_for(args.database_url, "after", work), args.requests)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Request overhead, {engine}, {args.requests} requests per endpoint, baseline {args.baseline}")
    print(f"{'endpoint':40} {'before p50/p95 ms':>18} {'q':>3} {'after p50/p95 ms':>18} {'q':>3}"
          f" {'after/before p50':>16}")
    for label, _who, _path in ENDPOINTS:
        b, a = before[label], after[label]
        print(f"{label:40} {b['p50']:8.1f}/{b['p95']:<8.1f} {b['queries']:>3} "
              f"{a['p50']:8.1f}/{a['p95']:<8.1f} {a['queries']:>3} {a['p50'] / b['p50']:>15.2f}x")


if __name__ == "__main__":
    main()
