"""The logistics map's data endpoint (`logistics:map_data`) for Kota Malang (1,188 TPS, the
demo) and for a province-wide desk (Jawa Timur: 60,751 TPS with coordinates), on a fresh
PostgreSQL database (or SQLite with --sqlite).

Measured with the Django test client signed in (admin, and a lurah for the city): p50/p95
over 20 requests of the full JSON, and of a conditional request answered 304 (ETag), with
the query count. Baseline in the same run: a bare `values_list` of the same columns of
TpsReadiness joined to TPS (what the endpoint must read at least). Targets: city pages
p95 < 300 ms.

    .venv/bin/python bench/logistics_map.py [--sqlite] [--tps 60751]
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def _measure(client, url, n=20, **headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm-up
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    times.sort()
    return response, statistics.median(times), times[int(len(times) * 0.95) - 1], len(queries)


def _baseline(election):
    from posko.logistics.models import TpsReadiness

    times = []
    for _ in range(20):
        start = time.perf_counter()
        list(TpsReadiness.objects.filter(election=election, tps__latitude__isnull=False).values_list(
            "tps_id", "tps__latitude", "tps__longitude", "state", "percent"))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _report(label, client, election, url):
    response, p50, p95, queries = _measure(client, url)
    etag = response.get("ETag", "")
    _, c50, c95, cq = _measure(client, url, HTTP_IF_NONE_MATCH=etag) if etag else (None, 0, 0, 0)
    base = _baseline(election)
    data = response.json()
    common.figure(f"{label}: points", f"{data.get('count', len(data.get('points', [])))}  "
                                      f"({len(response.content) / 1024:.0f} KB)")
    common.figure(f"{label}: full JSON p50 / p95", f"{p50:.1f} / {p95:.1f} ms, {queries} queries")
    if etag:
        common.figure(f"{label}: unchanged (304) p50 / p95", f"{c50:.1f} / {c95:.1f} ms, {cq} queries")
    common.figure(f"{label}: baseline values_list p50", f"{base:.1f} ms -> ratio {p50 / base:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--tps", type=int, default=60_751)
    args = parser.parse_args()
    url = common.sqlite_url() if args.sqlite else common.default_postgres_url("logistics_map")
    if not args.sqlite:
        common.fresh_postgres(url)
    try:
        common.setup_django(url)
        common.migrate()
        from django.conf import settings
        from django.test import Client

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        from django.urls import reverse

        from posko.accounts.models import User
        from posko.demo.data import build_demo
        from posko.elections.models import Election, Tps
        from posko.logistics.services import readiness, requirements
        from posko.regions.importer import import_wilayah
        from posko.regions.models import Kelurahan, Pemda

        print(f"Map data endpoint on {'SQLite' if args.sqlite else 'PostgreSQL'}")
        with common.timer() as built:
            build_demo()
        common.figure("Kota Malang demo built (s)", f"{built():.1f}")
        election = Election.active()
        map_url = reverse("logistics:map_data")
        admin, lurah = Client(), Client()
        admin.force_login(User.objects.get(username="admin"))
        lurah.force_login(User.objects.get(username="lurah.kauman"))
        _report("Kota Malang, admin", admin, election, map_url)
        _report("Kota Malang, lurah", lurah, election, map_url)

        # A governor's desk: the whole province, TPS with coordinates.
        import_wilayah(only="35")
        pemda = Pemda.objects.get(pk=1)
        pemda.kabkota, pemda.provinsi_id = None, "35"
        pemda.name = "Pemerintah Provinsi Jawa Timur"
        pemda.save()
        Pemda.clear_cache()
        existing = Tps.objects.filter(election=election).count()
        codes = list(Kelurahan.objects.filter(code__startswith="35.").exclude(
            code__startswith="35.73.").values_list("code", flat=True))
        rng = random.Random(35)
        numbers: dict[str, int] = {}
        rows = []
        from posko.elections.models import place_codes

        now = datetime.datetime.now(datetime.UTC)
        for i in range(args.tps - existing):
            code = codes[i % len(codes)]
            numbers[code] = numbers.get(code, 0) + 1
            kec, kab = place_codes(code)
            rows.append(Tps(election=election, kelurahan_id=code, kecamatan_id=kec, kabkota_id=kab,
                            number=numbers[code], dpt_men=200, dpt_women=210,
                            latitude=round(-7.0 - rng.random() * 1.5, 6),
                            longitude=round(111.0 + rng.random() * 3, 6),
                            created_at=now, updated_at=now))
        with common.timer() as seeded:
            Tps.objects.bulk_create(rows, batch_size=5000)
            requirements.recompute(election)
            readiness.refresh(election)
        common.figure(f"province seeded: {args.tps:,} TPS, requirements, readiness (s)",
                      f"{seeded():.1f}")
        admin.force_login(User.objects.get(username="admin"))
        _report("Jawa Timur, admin", admin, election, map_url)
    finally:
        if not args.sqlite:
            common.drop_postgres(url)


if __name__ == "__main__":
    main()
