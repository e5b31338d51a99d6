"""Lists, roll-ups and API lists of vulnerability, workers, incidents and outreach: the number
of queries a page costs does not grow with its rows (no N+1), and stays under a bound.

Each case renders the page with a few rows, adds more rows in every kelurahan, renders it
again and compares. Admin sees every row; the lurah's page is scoped."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.elections.models import Tps
from posko.vulnerability.models import MitigationAction
from posko.vulnerability.services import mitigation as vulnerability_services
from tests.incidents_fixtures import make_report
from tests.outreach_fixtures import PAST, add_activity
from tests.vulnerability_fixtures import set_values
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    # The lurah's kelurahan list goes straight to their own grid (302).
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(captured)


def _more_tps(world, start):
    """Extra TPS in kelurahan A, A2 and B (numbers from ``start``)."""
    made = []
    for kel in (world.kel_a, world.kel_a2, world.kel_b):
        for number in range(start, start + 2):
            made.append(Tps.objects.create(election=world.election, kelurahan=kel, number=number,
                                           dpt_men=150, dpt_women=160, address=f"Jl. {number}"))
    return made


def _assert_flat(personas, urls, grow, *, bound):
    """Render each url as admin and as lurah A, grow the data, render again: same count."""
    before = {(who, url): _queries(personas[who].client, url)
              for url in urls for who in ("admin", "kelurahan_a")}
    grow()
    problems = []
    for (who, url), first in before.items():
        second = _queries(personas[who].client, url)
        if second > first or second > bound:
            problems.append(f"{who} {url}: {first} -> {second} queries (bound {bound})")
    assert not problems, "\n".join(problems)


VULNERABILITY_URLS = ["vulnerability:overview", "vulnerability:kelurahan_list", "vulnerability:map_data",
                      "vulnerability:action_list", "vulnerability:uncovered",
                      "api:vulnerability-assessment-list", "api:vulnerability-rollup-list",
                      "api:vulnerability-action-list"]


def test_vulnerability_lists_and_rollups(world, users, personas):
    admin = users["admin"]
    set_values(world.election, admin, [(world.tps_a, "politik_uang", 1),
                                       (world.tps_b, "rawan_bencana", 1)])
    for tps in (world.tps_a, world.tps_b):
        vulnerability_services.create_action(MitigationAction(
            election=world.election, tps=tps, kelurahan_id=tps.kelurahan_id, title="Aksi awal",
            due_date=datetime.date(2024, 11, 24)), actor=admin)

    def grow():
        extra = _more_tps(world, 10)
        set_values(world.election, admin, [(tps, code, 1) for tps in extra
                                           for code in ("politik_uang", "rawan_bencana",
                                                        "pemilih_tms")])
        for tps in extra[:4]:
            vulnerability_services.create_action(MitigationAction(
                election=world.election, tps=tps, kelurahan_id=tps.kelurahan_id,
                title=f"Aksi {tps.pk}", due_date=datetime.date(2024, 11, 25)), actor=admin)

    urls = [reverse(name) for name in VULNERABILITY_URLS]
    urls.append(reverse("vulnerability:grid", args=[world.kel_a.code]))
    _assert_flat(personas, urls, grow, bound=35)


WORKERS_URLS = ["workers:worker_list", "workers:staffing", "workers:screening_followup",
                "workers:coverage", "workers:incident_list", "workers:duty_list",
                "api:worker-list", "api:worker-screening-list", "api:worker-incident-list",
                "api:worker-claim-list", "api:worker-coverage"]


def test_workers_lists_and_coverage(world, users, personas):
    admin = users["admin"]
    make_worker(admin, world.tps_a)
    make_worker(admin, world.tps_b)

    def grow():
        for n, tps in enumerate(_more_tps(world, 20) + [world.tps_a, world.tps_a2]):
            make_worker(admin, tps, name=f"Petugas {n}")

    _assert_flat(personas, [reverse(name) for name in WORKERS_URLS], grow, bound=35)


INCIDENTS_URLS = ["incidents:report_list", "incidents:situation", "incidents:map_data",
                  "incidents:period_report", "incidents:pledge_list", "incidents:case_list",
                  "api:incident-report-list", "api:incident-pledge-list", "api:incident-case-list"]


def test_incidents_lists_and_situation(world, users, personas):
    admin = users["admin"]
    make_report(world, admin, tps=world.tps_a)
    make_report(world, admin, tps=world.tps_b, code="keamanan")

    def grow():
        for n, tps in enumerate(_more_tps(world, 30) + [world.tps_a, world.tps_a2]):
            make_report(world, admin, tps=tps, code=("politik_uang", "keamanan")[n % 2],
                        title=f"Laporan {n}")

    _assert_flat(personas, [reverse(name) for name in INCIDENTS_URLS], grow, bound=35)


OUTREACH_URLS = ["outreach:activity_list", "outreach:calendar", "outreach:coverage",
                 "outreach:turnout", "outreach:targets", "outreach:early_warning",
                 "api:outreach-activity-list", "api:outreach-coverage-list",
                 "api:outreach-target-list", "api:outreach-turnout-list",
                 "api:outreach-turnout-kelurahan"]


def test_outreach_lists_and_coverage(world, users, personas):
    admin = users["admin"]
    add_activity(world, admin)
    add_activity(world, admin, kel=world.kel_b)

    def grow():
        for n, kel in enumerate([world.kel_a, world.kel_a2, world.kel_b] * 3):
            add_activity(world, admin, kel=kel, title=f"Sosialisasi {n}",
                         starts_at=PAST + datetime.timedelta(days=n + 1),
                         groups=("pemilih-pemula", "disabilitas")[: 1 + n % 2])
        _more_tps(world, 40)

    urls = [reverse(name) for name in OUTREACH_URLS]
    urls.append(reverse("outreach:coverage_kelurahan", args=[world.kel_a.code]))
    _assert_flat(personas, urls, grow, bound=35)
