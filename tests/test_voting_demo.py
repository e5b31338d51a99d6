"""The voting-day part of the Kota Malang demo: a finished day at every TPS, in order, on the
right days, some openings late; deterministic, idempotent, and shown by the board."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from posko.demo.data import build_demo
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.demo.voting import build_voting
from posko.elections.models import Tps
from posko.voting.models import ORDER, StatusEvent, TpsDay
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_demo_voting_day(monkeypatch):
    result = build_demo(as_of=VOTING_DAY_EVENING)
    days = TpsDay.objects.filter(election_id=result.election_id)
    assert days.count() == Tps.objects.filter(election_id=result.election_id).count() == 1188
    assert set(days.values_list("state", flat=True)) == {"selesai"}
    deadline = timezone.make_aware(datetime.datetime(2024, 11, 27, 7, 15))
    late = days.filter(opened_at__gt=deadline).count()
    assert 60 <= late <= 150  # about one in twelve
    assert not days.filter(closed_at__lt=timezone.make_aware(datetime.datetime(2024, 11, 27, 13))).exists()
    assert StatusEvent.objects.count() == 6 * 1188
    for day in days.order_by("pk")[:50]:
        events = list(day.events.order_by("happened_at"))
        assert [e.state for e in events] == ORDER
        assert timezone.localtime(events[0].happened_at).date() == datetime.date(2024, 11, 26)
        assert {timezone.localtime(e.happened_at).date() for e in events[1:]} == {
            datetime.date(2024, 11, 27)}
    # the board, the day after
    monkeypatch.setattr(timezone, "now", lambda: timezone.make_aware(
        datetime.datetime(2024, 11, 28, 9)))
    total = client_for(result.users[0].__class__.objects.get(username="admin")).get(
        reverse("voting:board")).context["total"]
    assert (total["tps"], total["done"], total["done_percent"], total["late"]) == (
        1188, 1188, 100.0, late)


def test_second_build_changes_nothing():
    result = build_demo(as_of=VOTING_DAY_EVENING)
    before = list(TpsDay.objects.order_by("tps_id").values_list("tps_id", "opened_at"))
    result.other_changes = 0
    build_voting(result)
    assert result.other_changes == 0
    assert list(TpsDay.objects.order_by("tps_id").values_list("tps_id", "opened_at")) == before


def test_demo_results_are_calibrated_to_the_city_turnout_with_a_few_flagged():
    from django.db.models import Sum

    from posko.voting.models import TpsResult

    result = build_demo(as_of=VOTING_DAY_EVENING)
    current = TpsResult.objects.filter(election_id=result.election_id, is_current=True,
                                       source="pemda")  # witness and KPU entries aside
    assert current.count() == 2 * 1188
    walikota = current.filter(contest__level="walikota")
    voters = sum(r.voters for r in walikota.only("voters_dpt", "voters_dptb", "voters_dpk"))
    dpt = Tps.objects.filter(election_id=result.election_id).aggregate(t=Sum("dpt_total"))["t"]
    assert (voters, dpt) == (428_294, 660_744)  # 64.82 %
    assert current.filter(status="perlu_verifikasi").count() == 2 * (14 - 4)
    assert TpsResult.objects.filter(is_current=False).count() == 2 * 4
    assert TpsResult.objects.filter(version=2).exclude(reason="").count() == 2 * 4
    for row in walikota.filter(status="tercatat")[:100]:
        assert sum(row.votes.values()) == row.valid and row.voters == row.ballots_used
        assert row.voters <= row.tps.dpt_total
    # the tally page shows every TPS in
    total = client_for(result.users[0].__class__.objects.get(username="admin")).get(
        reverse("voting:tally")).context["total"]
    assert (total["reported"], total["tps"], total["to_verify"]) == (1188, 1188, 10)
    assert total["turnout"] == 64.82
