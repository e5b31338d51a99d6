"""The incidents part of the Kota Malang demo: reports over the campaign, quiet period and
voting day, money politics at Bawaslu's mapped TPS, public reports with codes, pledges with
gaps, neutrality cases; deterministic and idempotent."""

from __future__ import annotations

from collections import Counter

import pytest

from posko.demo.common import bawaslu_tps
from posko.demo.data import build_demo
from posko.demo.incidents import PUBLIC_CODES, build_incidents
from posko.demo.timeline import AFTER_ALL
from posko.elections.models import Election
from posko.incidents import indicators, services
from posko.incidents.models import Comment, NeutralityCase, Pledge, ProhibitedAct, Report, State

pytestmark = pytest.mark.django_db


def _state():
    return (list(Report.objects.order_by("code").values_list("code", "state", "tps_id", "created_at")),
            Pledge.objects.count(), NeutralityCase.objects.count(), Comment.objects.count())


def test_demo_situation_and_idempotence():
    result = build_demo(as_of=AFTER_ALL)
    build_incidents(result)  # whether or not build_demo already called it
    election = Election.objects.get(pk=result.election_id)
    reports = Report.objects.filter(election=election)
    assert 25 <= reports.count() <= 40
    states = Counter(reports.values_list("state", flat=True))
    assert set(states) == set(State.values)
    assert set(reports.values_list("severity", flat=True)) == {"rendah", "sedang", "tinggi", "kritis"}
    days = {r.occurred_at.date().month * 100 + r.occurred_at.day for r in reports}
    assert min(days) < 1124 and any(1124 <= d <= 1126 for d in days) and 1127 in days
    money = set(bawaslu_tps(election, "politik_uang"))
    money_reports = reports.filter(category__code="politik_uang")
    assert money_reports.count() >= 5
    assert set(money_reports.values_list("tps_id", flat=True)) <= money
    for code in PUBLIC_CODES.values():
        report = services.public_status(code)
        assert report is not None and report.source == Report.Source.PUBLIC
    assert all(r.stage_id for r in reports)
    pledges = {r["agency"].short_name: r["problem"] for r in services.pledge_overview(election)}
    assert Counter(pledges.values())["unsigned"] == 2 and Counter(pledges.values())["too_few"] == 1
    assert NeutralityCase.objects.count() == 4
    assert {c.status for c in NeutralityCase.objects.all()} >= {"disanksi", "dihentikan"}
    # Every case names its act of the SKB 2022 catalogue (seeded for the demo's election) and
    # the kecamatan of the ASN's office; the sanctions meet the acts' minimums.
    cases = list(NeutralityCase.objects.select_related("prohibited_act"))
    assert ProhibitedAct.objects.filter(election=election).count() == 19
    assert all(c.prohibited_act and c.prohibited_act.election_id == election.pk and c.kecamatan_id
               for c in cases)
    assert {c.prohibited_act.code for c in cases} == {"KE-04", "KE-05", "HD-04"}
    assert not any(c.sanction_is_lighter for c in cases)
    # Reporters of public reports are generated names, never shown unmasked to observers.
    assert services.mask_name("Sri Wahyuningsih") == "S** W" + "*" * 11
    # A verified money-politics report at a TPS feeds the derived indicator.
    values = list(indicators._category_source("politik_uang", "x")(election, None))
    assert values and {v.tps_id for v in values} <= money
    before = _state()
    second = build_demo(as_of=AFTER_ALL)
    build_incidents(second)
    assert _state() == before
