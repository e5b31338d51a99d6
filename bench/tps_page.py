"""The TPS page (`elections:tps_detail`, issue 17) for Kota Malang (the demo built for the
evening of voting day: every module's rows, results included), on a fresh PostgreSQL
database (or SQLite with --sqlite).

Measured with the Django test client signed in as the admin: p50/p95 over ``--tps`` TPS
(200, a fixed sample) of the full page, every module's panel drawn, and the query count
(max over the sample: it must not grow with the data). Baseline in the same run: the bare
registry-only page (the same view with the panel registry emptied). Target: p95 < 300 ms.

    .venv/bin/python bench/tps_page.py [--sqlite] [--tps 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def _time(client, urls) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, most = [], 0
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        most = max(most, len(queries))
    return sorted(times), most


def _p(times, q):
    return times[max(0, int(len(times) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--tps", type=int, default=200)
    args = parser.parse_args()
    url = common.sqlite_url() if args.sqlite else common.default_postgres_url("tps_page")
    if not args.sqlite:
        common.fresh_postgres(url)
    try:
        common.setup_django(url)
        common.migrate()
        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        from posko.accounts.models import User
        from posko.core import clock, tps_panels
        from posko.demo.data import build_demo
        from posko.demo.timeline import VOTING_DAY_EVENING
        from posko.elections.models import Election, Tps

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        print(f"TPS page on {'SQLite' if args.sqlite else 'PostgreSQL'}")
        with common.timer() as built:
            build_demo(as_of=VOTING_DAY_EVENING)
        clock.simulate(VOTING_DAY_EVENING)
        common.figure("Kota Malang demo built (s)", f"{built():.1f}")
        election = Election.active()
        ids = sorted(Tps.objects.filter(election=election).values_list("pk", flat=True))
        sample = random.Random(17).sample(ids, min(args.tps, len(ids)))
        urls = [reverse("elections:tps_detail", args=[pk]) for pk in sample]
        client = Client()
        client.force_login(User.objects.get(username="admin"))
        client.get(urls[0])  # warm-up (caches, templates)
        common.figure("TPS in the city / sampled", f"{len(ids)} / {len(urls)}")
        common.figure("panels registered", ", ".join(e.key for e in tps_panels.registered()))
        full, full_queries = _time(client, urls)
        kept = dict(tps_panels._panels)
        tps_panels._panels.clear()
        try:
            client.get(urls[0])
            bare, bare_queries = _time(client, urls)
        finally:
            tps_panels._panels.update(kept)
        # Where the time goes: each panel's builder alone, median over the sample.
        from django.test import RequestFactory

        request = RequestFactory().get("/")
        request.user = User.objects.get(username="admin")
        tps_rows = list(Tps.objects.filter(pk__in=sample).select_related(
            "election", "kelurahan", "kecamatan"))
        for entry in tps_panels.registered():
            spent = []
            for tps in tps_rows:
                start = time.perf_counter()
                entry.builder(tps, request)
                spent.append((time.perf_counter() - start) * 1000)
            common.figure(f"  panel {entry.key}: builder p50 / p95",
                          f"{statistics.median(spent):.1f} / {_p(sorted(spent), 0.95):.1f} ms")
        common.figure("full page p50 / p95", f"{statistics.median(full):.1f} / "
                                             f"{_p(full, 0.95):.1f} ms, max {full_queries} queries")
        common.figure("bare registry page p50 / p95", f"{statistics.median(bare):.1f} / "
                                                      f"{_p(bare, 0.95):.1f} ms, max {bare_queries} "
                                                      "queries")
        common.figure("full / bare p50", common.ratio(statistics.median(full),
                                                      statistics.median(bare)))
        common.figure("target p95 < 300 ms", "met" if _p(full, 0.95) < 300 else "MISSED")
    finally:
        if not args.sqlite:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(url)


if __name__ == "__main__":
    main()
