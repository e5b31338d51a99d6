"""The quick-count estimate at national scale (PostgreSQL).

Population: the synthetic national registry of ``national_dataset.py`` (435,296 TPS over
7,285 kecamatan), as if one contest covered the country; a sample of 7,500 TPS like INE's
2024 conteo rápido, stratified by kecamatan with at least 1 per stratum, drawn through
``services.quickcount.draw_sample`` with a fixed seed; 74 % of the sample arrived (INE
announced from 74 %), so many kecamatan have 0 or 1 arrivals and are collapsed.

Figures (p50/p95 over ``--runs`` repetitions, after one warm-up):
- *national estimate*: ``quickcount.frame.quick_count`` — the sample, N_h (TPS per
  kecamatan over 435,296 rows), the counted C.Hasil of the sample, collapse and the
  combined ratio estimator with its variance for 3 pairs and the turnout;
- *baseline*: reading the sample rows alone (``frame.sample_rows``), in the same run;
- *city page*: the quick-count page (Django test client, logged in) of a mayor's contest of
  Kota Malang (its TPS in the same registry, a 300-TPS sample), against the same baseline for
  that design;
- the national draw once (reads all 435,296 TPS, draws, writes 7,500 rows and the hash).
Targets (issue 14): national < 2 s, a city < 300 ms (p95).

    .venv/bin/python bench/quick_count.py [--database-url URL] [--runs 20] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``posko`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.national_dataset import build_national, prepare_national_database  # noqa: E402

SAMPLE = 7_500
ARRIVED = 0.74
SHARES = (0.41, 0.35, 0.24)


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        with common.timer() as elapsed:
            fn()
        times.append(elapsed())
    return quantiles(times)


def ms(pair) -> str:
    return f"p50 {pair[0] * 1000:7.1f} ms  p95 {pair[1] * 1000:7.1f} ms"


def _results(design, contest, share: float, rng: random.Random) -> int:
    """Counted C.Hasil for ``share`` of the sampled TPS (three pairs around SHARES)."""
    from posko.voting.models import QuickCountTps, ResultStatus, Source, TpsResult

    rows = []
    entered = datetime.datetime(2024, 11, 27, 16, tzinfo=datetime.UTC)
    sample = list(QuickCountTps.objects.filter(design=design).values_list(
        "tps_id", "tps__kabkota_id", "tps__kecamatan_id", "tps__kelurahan_id", "tps__dpt_total"))
    for tps_id, kab, kec, kel, dpt in sample:
        if rng.random() > share:
            continue
        voters = int(dpt * rng.uniform(0.55, 0.8))
        invalid = int(voters * 0.02)
        valid = voters - invalid
        weights = [max(0.01, s + rng.gauss(0, 0.08)) for s in SHARES]
        votes = [int(valid * w / sum(weights)) for w in weights]
        votes[0] += valid - sum(votes)
        rows.append(TpsResult(
            election_id=design.election_id, tps_id=tps_id, contest=contest, kabkota_id=kab,
            kecamatan_id=kec, kelurahan_id=kel, source=Source.PEMDA, voters_dpt=voters,
            valid=valid, invalid=invalid, votes={str(i + 1): v for i, v in enumerate(votes)},
            status=ResultStatus.TERCATAT, is_counted=True, entered_at=entered))
    TpsResult.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.default_postgres_url("quick_count"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    url = args.database_url
    print(f"Quick count at national scale on {url}")
    election_id = prepare_national_database(url)
    from django.db import connection, connections

    result = build_national(connection, election_id)
    common.figure("TPS (COPY, s)", f"{result.rows:,} ({result.copy_seconds:.2f})")
    from django.test import Client
    from django.urls import reverse

    from posko.accounts.models import Role, User
    from posko.elections.models import CandidatePair, Contest, Election, Tps
    from posko.voting.models import QuickCountDesign
    from posko.voting.quickcount import frame as qc_frame
    from posko.voting.services import quickcount as services
    from posko.voting.services.status import settings_for

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE elections_tps")
    election = Election.objects.get(pk=election_id)
    admin = User.objects.create_user(username="admin", password="x" * 12, role=Role.ADMIN)
    before = datetime.datetime(2024, 11, 20, 3, tzinfo=datetime.UTC)
    after = datetime.datetime(2024, 11, 27, 14, tzinfo=datetime.UTC)
    conf = settings_for(election)
    national = Tps.objects.filter(election=election)
    contests = {}
    for key, kabkota in (("national", None), ("city", "35.73")):
        contest = Contest.objects.create(election=election, name=f"Bench {key}",
                                         level="walikota" if kabkota else "gubernur",
                                         provinsi_id="35", kabkota_id=kabkota)
        for n in (1, 2, 3):
            CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"C{n}",
                                         deputy_name=f"W{n}")
        contests[key] = contest
    # The national design: made directly (its contest's own population is one province).
    design = QuickCountDesign.objects.create(
        election=election, contest=contests["national"], strata="kecamatan", sample_size=SAMPLE,
        min_per_stratum=1, seed=20241127, show_after_percent=50)
    with common.timer() as elapsed:
        design = services.draw_sample(design, actor=admin, election=election, now=before,
                                      population_qs=national)
    common.figure("national draw: 435,296 TPS → sample (s)", f"{elapsed():.2f}")
    services.lock_sample(design, actor=admin, election=election, now=before)
    city = services.save_design(contests["city"], {
        "strata": "kecamatan", "target_moe": None, "sample_size": 300, "min_per_stratum": 2,
        "seed": 7, "show_after_percent": 50}, actor=admin, election=election, now=before)
    city = services.draw_sample(city, actor=admin, election=election, now=before)
    services.lock_sample(city, actor=admin, election=election, now=before)
    rng = random.Random(1)
    arrived = _results(design, contests["national"], ARRIVED, rng)
    city_arrived = _results(city, contests["city"], 1.0, rng)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE voting_tpsresult, voting_quickcounttps")
    numbers = [1, 2, 3]

    def estimate():
        return qc_frame.quick_count(design, contests["national"], election, conf, numbers, after,
                                    population_qs=national)

    state = estimate()
    common.figure("sample / arrived / strata", f"{state.planned:,} / {state.arrived:,} "
                  f"({state.arrived_percent} %) / {len(state.strata):,}")
    common.figure("collapsed groups", f"{len(state.result.collapsed):,}")
    for number, ratio in state.result.pairs.items():
        common.figure(f"pair {number}", f"{ratio.percent:.2f} % ± {ratio.margin:.2f}")
    common.figure("turnout", f"{state.result.turnout.percent:.2f} % "
                  f"± {state.result.turnout.margin:.2f}")
    national_times = timed(estimate, args.runs)
    national_base = timed(lambda: qc_frame.sample_rows(design), args.runs)
    sizes_times = timed(lambda: qc_frame.sizes(national, "kecamatan"), args.runs)
    common.figure("national estimate", ms(national_times))
    common.figure("  of which N_h over 435,296 TPS", ms(sizes_times))
    common.figure("baseline: the 7,500 sample rows alone", ms(national_base))
    common.figure("  ratio p95 estimate / baseline", common.ratio(national_times[1],
                                                                   national_base[1]))
    common.figure("  target p95 < 2 s", "ok" if national_times[1] < 2 else "MISSED")

    import django.utils.timezone as tz

    tz.now = lambda: after  # the page reads the one clock: the evening of voting day
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    page_url = reverse("voting:quick_count", args=[contests["city"].pk])
    first = client.get(page_url)
    shown = first.status_code == 200 and first.content.count(b'data-testid="qc-pair"') == 3
    common.figure("city sample / arrived", f"{city.sample.count()} / {city_arrived} "
                  f"(HTTP {first.status_code}, estimate shown: {shown})")
    city_times = timed(lambda: client.get(page_url), args.runs)
    city_base = timed(lambda: qc_frame.sample_rows(city), args.runs)
    common.figure("city page (Kota Malang)", ms(city_times))
    common.figure("baseline: its 300 sample rows alone", ms(city_base))
    common.figure("  ratio p95 page / baseline", common.ratio(city_times[1], city_base[1]))
    common.figure("  target p95 < 300 ms", "ok" if city_times[1] < 0.3 else "MISSED")
    ok = (state.arrived == arrived and shown and national_times[1] < 2
          and city_times[1] < 0.3)
    print("  checks:", "ok" if ok else "FAILED")
    connections.close_all()
    if not args.keep:
        common.drop_postgres(url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
