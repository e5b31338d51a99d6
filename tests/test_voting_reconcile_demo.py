"""The demo's three sources: KPU's record at every TPS and contest, a witness at about one
TPS in ten, a few dozen disagreements, a handful decided with a reason, a reconciliation for
every TPS × contest; deterministic and idempotent."""

from __future__ import annotations

import pytest

from posko.demo.data import build_demo
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.demo.voting import build_voting
from posko.voting.models import Reconciliation, TpsResult

pytestmark = pytest.mark.django_db


def test_demo_three_sources():
    result = build_demo(as_of=VOTING_DAY_EVENING)
    results = TpsResult.objects.filter(election_id=result.election_id)
    pairs = results.filter(source="pemda", is_current=True).count()
    assert pairs == 2 * 1188
    assert results.filter(source="kpu").count() == pairs
    assert not results.filter(source="kpu", ballots_received__isnull=False).exists()
    witness = results.filter(source="saksi").count()
    assert 0.07 * pairs <= witness <= 0.13 * pairs
    recs = Reconciliation.objects.filter(election_id=result.election_id)
    assert recs.count() == pairs
    disagree = recs.filter(agreement="disagree").count()
    assert 24 <= disagree <= 80  # a few dozen
    verified = recs.filter(agreement="verified")
    assert verified.count() == 12 and all(r.reason for r in verified)
    assert recs.filter(status="unofficial_complete").count() > pairs * 0.9
    assert not results.filter(source="kpu", is_counted=True).exists()  # the Pemda's counted
    assert results.filter(is_counted=True).count() == pairs
    result.other_changes = 0
    build_voting(result)
    assert result.other_changes == 0
    assert results.filter(source="kpu").count() == pairs
