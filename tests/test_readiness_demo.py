"""The demo's readiness history (issue 17): at its clock (H-1 08.00) the index is stored
and a week of snapshots lets the forecast made at H-3 be compared with H-1."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import translation

from posko.accounts.models import User
from posko.demo.data import build_demo
from posko.elections.models import Election
from posko.readiness.models import Snapshot, TpsIndex
from posko.readiness.services import rollups
from tests.conftest import client_for


def test_demo_has_the_index_and_the_history_of_the_forecast(db):
    build_demo()
    election = Election.objects.get(is_active=True)
    assert TpsIndex.objects.filter(election=election).count() == 1188
    days = set(Snapshot.objects.filter(election=election).values_list("day", flat=True))
    assert datetime.date(2024, 11, 23) in days and datetime.date(2024, 11, 26) in days
    # logistics grows day by day from the receipts (never backwards)
    by_day = {}
    for day, comps in Snapshot.objects.filter(election=election).values_list("day", "components"):
        if "logistics" in comps:
            by_day.setdefault(day, []).append(comps["logistics"][0])
    means = [sum(v) / len(v) for _d, v in sorted(by_day.items())]
    assert means == sorted(means) and means[0] < means[-1]
    compare = rollups.comparison(TpsIndex.objects.filter(election=election), election)
    assert compare is not None and compare.total == 1188
    client = client_for(User.objects.get(username="admin"))
    with translation.override("en"):
        page = client.get(reverse("readiness:forecast"))
    assert page.status_code == 200 and b'data-testid="compare"' in page.content
