"""The public portal (issue 17) under a bounded local load: req/s and p50/p99 of its pages
with the server cache on, against the same pages with the cache off, in the same run.

One PostgreSQL database of its own (``posko_bench_portal_<pid>``), dropped at the end
unless ``--keep``. The Kota Malang demo is built as of voting-day evening (1,188 TPS, every
C.Hasil in, outreach agenda, reports) and its portal switched on with every section. Two
``gunicorn posko.wsgi`` servers (``--workers`` sync workers each, DEBUG off) serve it on
free local ports: one as deployed (``POSKO_PORTAL_CACHE`` on, Django's default local-memory
cache per worker), one with ``POSKO_PORTAL_CACHE=false`` (every request builds the page).
The load generator of ``bench/incidents.py`` (``--clients`` keep-alive threads,
``--requests`` requests per page) asks each page of each server anonymously: the
election's home, one kelurahan page, one TPS page, ``tps.csv`` (the open data) and the same
home with a matching ``If-None-Match`` (304). The generator and the servers share the
machine's cores, so the figures are a floor. Nothing asserts on time; the script exits
non-zero when a response is not the expected status.

    .venv/bin/python bench/public_portal.py [--requests 400] [--clients 16] [--workers 2]
        [--database-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.incidents import free_port, load, start_server  # noqa: E402


def prepare() -> dict:
    from posko.core import public
    from posko.demo.data import build_demo
    from posko.demo.timeline import VOTING_DAY_EVENING
    from posko.elections.models import Tps
    from posko.portal.models import PortalSettings

    with common.timer() as elapsed:
        result = build_demo(as_of=VOTING_DAY_EVENING)
    common.figure("demo (1,188 TPS, voting-day evening)", f"{elapsed():.1f} s")
    PortalSettings.objects.update_or_create(election_id=result.election_id, defaults={
        "is_public": True, "sections": [s.key for s in public.sections()],
        "sections_chosen": True})
    tps = Tps.objects.filter(election_id=result.election_id).order_by("pk")[500]
    pk = result.election_id
    return {"home": f"/publik/{pk}/", "kelurahan": f"/publik/{pk}/kelurahan/{tps.kelurahan_id}/",
            "tps": f"/publik/{pk}/tps/{tps.kelurahan_id}/{tps.number}/",
            "tps.csv": f"/publik/{pk}/data/tps.csv"}


def etag_of(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("ETag") or ""


def measure(port: int, path: str, requests: int, clients: int, headers=None) -> dict:
    load(port, "", lambda i: ("GET", path, None, headers or {}), min(requests, 20), clients)
    return load(port, "", lambda i: ("GET", path, None, headers or {}), requests, clients)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=common.default_postgres_url("portal"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url
    common.fresh_postgres(url)
    common.setup_django(url)
    print(f"public portal on {url}", flush=True)
    common.figure("migrate", f"{common.migrate():.1f} s")
    servers, ok = [], True
    try:
        pages = prepare()
        from django.db import connections

        connections.close_all()
        ports = {}
        for label, flag in (("cached", "true"), ("uncached", "false")):
            os.environ["POSKO_PORTAL_CACHE"] = flag
            ports[label] = free_port()
            servers.append(start_server(url, ports[label], args.workers))
        os.environ.pop("POSKO_PORTAL_CACHE", None)
        print(f"{args.requests} requests per page, {args.clients} clients, "
              f"{args.workers} workers per server", flush=True)
        for name, path in pages.items():
            figures = {}
            for label, port in ports.items():
                figures[label] = measure(port, path, args.requests, args.clients)
                if set(figures[label]["statuses"]) != {200}:
                    ok = False
                    print(f"  !! {name} {label}: statuses {figures[label]['statuses']}")
            cached, uncached = figures["cached"], figures["uncached"]
            common.figure(f"{name} cached", f"{cached['rate']:.0f} req/s, p50 "
                          f"{cached['p50'] * 1000:.1f} ms, p99 {cached['p99'] * 1000:.1f} ms")
            common.figure(f"{name} uncached", f"{uncached['rate']:.0f} req/s, p50 "
                          f"{uncached['p50'] * 1000:.1f} ms, p99 {uncached['p99'] * 1000:.1f} ms")
            common.figure(f"{name} cached / uncached req/s",
                          common.ratio(cached["rate"], uncached["rate"]))
        tag = etag_of(ports["cached"], pages["home"])
        revalidate = measure(ports["cached"], pages["home"], args.requests, args.clients,
                             {"If-None-Match": tag})
        if set(revalidate["statuses"]) != {304}:
            ok = False
            print(f"  !! home If-None-Match: statuses {revalidate['statuses']}")
        common.figure("home If-None-Match (304)", f"{revalidate['rate']:.0f} req/s, p99 "
                      f"{revalidate['p99'] * 1000:.1f} ms")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
