"""The demo lives on its own clock (issue 15): built for the morning of H-1 by default, it
shows H-1, the current stage and an H-1 board with work, and nothing of voting day; built
for the evening of voting day it shows the finished day; a run for another moment rebuilds
the time-dependent rows consistently; no TPS has turnout or a voting day without having
received its ballots."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from posko.accounts.models import User
from posko.coordination.models import Task
from posko.core import clock
from posko.demo.data import build_demo
from posko.demo.management.commands.demo import Command
from posko.demo.models import DemoBuild
from posko.demo.timeline import DEFAULT_AS_OF, VOTING_DAY_EVENING, WIB, tps_with_ballots
from posko.elections.models import Election, Tps
from posko.incidents.models import Report
from posko.logistics.models import Shipment, SupportRequest, TpsReadiness
from posko.outreach.models import Activity, TpsTurnout
from posko.voting.models import QuickCountDesign, Reconciliation, StatusEvent, TpsDay, TpsResult
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

VOTING_ROWS = (TpsDay, StatusEvent, TpsResult, Reconciliation, TpsTurnout)


def _snapshot(election):
    """What a user would see change with the moment (ids aside)."""
    return {
        "readiness": Counter(TpsReadiness.objects.filter(election=election)
                             .values_list("state", flat=True)),
        "shipments": Counter(Shipment.objects.filter(election=election)
                             .values_list("to_level", "status")),
        "last_received": max(Shipment.objects.filter(election=election)
                             .exclude(received_at=None).values_list("received_at", flat=True)),
        "support": SupportRequest.objects.filter(election=election).count(),
        "tasks": Counter(Task.objects.filter(election=election).values_list("status", flat=True)),
        "reports": sorted(Report.objects.filter(election=election)
                          .values_list("code", "state")),
        "activities": Activity.objects.filter(election=election).count(),
        **{model.__name__: model.objects.count() for model in VOTING_ROWS},
    }


def _no_tps_votes_without_ballots(election, as_of):
    ready = tps_with_ballots(election, as_of)
    for model in (TpsDay, TpsResult, TpsTurnout):
        voted = set(model.objects.filter(election=election).values_list("tps_id", flat=True))
        assert voted <= ready, (model.__name__, len(voted - ready))


def test_default_moment_is_h1_morning_and_a_rebuild_for_another_moment_is_consistent():
    result = build_demo()
    election = Election.objects.get(pk=result.election_id)
    assert result.as_of == DEFAULT_AS_OF == datetime.datetime(2024, 11, 26, 8, 0, tzinfo=WIB)
    assert DemoBuild.objects.get().as_of == DEFAULT_AS_OF
    h1 = _snapshot(election)
    # Nothing of voting day yet; nothing dated after the moment.
    for model in VOTING_ROWS:
        assert not model.objects.exists(), model.__name__
    assert QuickCountDesign.objects.count() == 2  # drawn and locked on H-3
    assert not Shipment.objects.filter(dispatched_at__gt=DEFAULT_AS_OF).exists()
    assert not Shipment.objects.filter(received_at__gt=DEFAULT_AS_OF).exists()
    assert not Report.objects.filter(created_at__gt=DEFAULT_AS_OF).exists()
    assert not Report.objects.filter(resolved_at__gt=DEFAULT_AS_OF).exists()
    assert not Activity.objects.filter(starts_at__gt=DEFAULT_AS_OF).exists()
    assert not Task.objects.filter(completed_at__gt=DEFAULT_AS_OF).exists()
    # Logistics mostly delivered, some TPS still short: the H-1 board has work.
    states = h1["readiness"]
    assert states["lengkap"] > 0.85 * 1188 and states["lengkap"] < 1188
    assert states["kurang"] > 0 and states["belum"] > 0
    assert len(tps_with_ballots(election, DEFAULT_AS_OF)) < 1188

    # The evening of voting day: the finished day, every TPS with its ballots.
    evening = build_demo(as_of=VOTING_DAY_EVENING)
    assert evening.changed and DemoBuild.objects.get().as_of == VOTING_DAY_EVENING
    days = TpsDay.objects.filter(election=election)
    assert days.count() == 1188 and set(days.values_list("state", flat=True)) == {"selesai"}
    assert TpsResult.objects.filter(source="pemda", is_current=True).count() == 2 * 1188
    assert TpsResult.objects.filter(source="kpu").count() == 2 * 1188
    assert TpsTurnout.objects.filter(election=election).count() == 1188
    assert len(tps_with_ballots(election, VOTING_DAY_EVENING)) == 1188
    assert not TpsReadiness.objects.filter(state__in=("belum", "kurang")).exists()
    assert not TpsResult.objects.filter(entered_at__gt=VOTING_DAY_EVENING).exists()
    assert not StatusEvent.objects.filter(happened_at__gt=VOTING_DAY_EVENING).exists()
    assert not Report.objects.filter(created_at__gt=VOTING_DAY_EVENING).exists()
    assert Report.objects.filter(occurred_at__date=datetime.date(2024, 11, 27)).count() > 10
    _no_tps_votes_without_ballots(election, VOTING_DAY_EVENING)
    assert not build_demo(as_of=VOTING_DAY_EVENING).changed  # same moment: nothing

    # Back to H-1 morning: the same state as the first build.
    again = build_demo()
    assert again.changed
    assert _snapshot(election) == h1


def test_a_moment_during_voting_day_has_a_day_in_progress_only_where_ballots_arrived():
    noon = datetime.datetime(2024, 11, 27, 11, 0, tzinfo=WIB)
    result = build_demo(as_of=noon)
    election = Election.objects.get(pk=result.election_id)
    states = Counter(TpsDay.objects.values_list("state", flat=True))
    assert set(states) == {"pemungutan"} and states["pemungutan"] == 1188
    assert not TpsResult.objects.exists() and not TpsTurnout.objects.exists()
    assert not StatusEvent.objects.filter(happened_at__gt=noon).exists()
    assert not TpsDay.objects.filter(opened_at__isnull=True).exists()
    _no_tps_votes_without_ballots(election, noon)


def test_home_board_and_header_at_the_default_moment():
    build_demo()
    clock.simulate(DEFAULT_AS_OF)
    client = client_for(User.objects.get(username="admin"))
    home = client.get(reverse("home"))
    page = home.content.decode()
    assert home.context["h_label"] == "H-1"
    assert [s.name for s in home.context["current_stages"]] == ["Masa tenang"]
    assert "Masa tenang" in page
    assert 'data-testid="simulated-clock"' in page
    assert "Simulasi — waktu: Selasa 26 Nov 2024 08:0" in page
    board = client.get(reverse("logistics:board"))
    assert board.context["not_complete"] > 0 and len(board.context["rows"]) > 0
    assert not board.context["deadline_passed"]  # H-1 18:00 still ahead


def test_command_sets_the_clock_and_builds_for_the_moment(monkeypatch):
    monkeypatch.setattr(Command, "serve", lambda self, addrport: None)
    out = io.StringIO()
    call_command(Command(), "--no-serve", "--as-of", "2024-11-27T20:00", stdout=out)
    assert DemoBuild.objects.get().as_of == VOTING_DAY_EVENING
    assert clock.is_simulated()
    assert abs(clock.now() - VOTING_DAY_EVENING) < datetime.timedelta(minutes=5)
    assert "2024-11-27 20:00" in out.getvalue()
    assert TpsDay.objects.count() == Tps.objects.count() == 1188

    with pytest.raises(CommandError, match="besok"):
        call_command(Command(), "--no-serve", "--as-of", "besok", stdout=io.StringIO())
    assert DemoBuild.objects.get().as_of == VOTING_DAY_EVENING  # nothing changed
