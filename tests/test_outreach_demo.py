"""The outreach part of the Kota Malang demo: plausible coverage with a few under-covered
kelurahan, target 83 %, generated history and voting-day turnout near 70 % that never
exceeds DPT + DPTb + DPK; deterministic and idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import F, Sum

from posko.accounts.models import User
from posko.demo.data import build_demo
from posko.demo.outreach import UNDER_COVERED, build_outreach
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.elections.models import Election, Tps
from posko.outreach import coverage, participation
from posko.outreach.models import Activity, HistoricalTurnout, OutreachSettings, TpsTurnout

pytestmark = pytest.mark.django_db


def test_demo_outreach():
    result = build_demo(as_of=VOTING_DAY_EVENING)
    election = Election.objects.get(pk=result.election_id)
    admin = User.objects.get(username="admin")
    assert OutreachSettings.objects.get(election=election).target_percent == Decimal("83.00")
    held = Activity.objects.filter(election=election, status="held")
    assert held.filter(kind="media", kelurahan__isnull=True).count() == 7
    assert held.values("kelurahan_id").distinct().count() == 58  # 57 kelurahan + no place
    assert set(Activity.objects.values_list("organiser_kind", flat=True)) == {
        "kelurahan", "kecamatan", "agency", "partner"}
    rows = coverage.kelurahan_coverage(election, admin)
    assert len(rows) == 57
    assert {r.code for r in rows[:len(UNDER_COVERED)]} == set(UNDER_COVERED)  # least covered first
    warnings, info = participation.early_warning(election, admin)
    assert {w.row.code for w in warnings} == set(UNDER_COVERED)
    assert info["label"] == "Pemilu 2024"
    assert HistoricalTurnout.objects.filter(label="Pilkada 2018").count() == 57
    # turnout per TPS for the whole city, never above DPT + DPTb + DPK, overall ~70 %
    assert TpsTurnout.objects.filter(election=election).count() == Tps.objects.filter(
        election=election).count() == 1188
    assert not TpsTurnout.objects.filter(
        voted_dpt__gt=F("tps__dpt_total")).exists()
    assert not TpsTurnout.objects.filter(voted_dptb__gt=F("registered_dptb")).exists()
    total = participation.turnout_rollup(participation.turnout_by_kelurahan(election, admin),
                                         election, "total")[0]
    assert Decimal("65") < total.turnout < Decimal("75") and total.below_target
    counts = (Activity.objects.count(), HistoricalTurnout.objects.count(),
              TpsTurnout.objects.count(), Activity.target_groups.through.objects.count(),
              TpsTurnout.objects.aggregate(s=Sum("voted_dpt"))["s"])
    # idempotent: a second run changes nothing
    before = result.other_changes
    build_outreach(result)
    assert result.other_changes == before
    assert counts == (Activity.objects.count(), HistoricalTurnout.objects.count(),
                      TpsTurnout.objects.count(), Activity.target_groups.through.objects.count(),
                      TpsTurnout.objects.aggregate(s=Sum("voted_dpt"))["s"])
