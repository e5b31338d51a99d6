"""What a voting-day report from a TPS must satisfy: one function per rule, each returning
``[(field, message)]`` with the numbers in the message."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from posko.voting.models import ORDER, VOTING_DAY_STATES, State

#: A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = datetime.timedelta(minutes=5)
MAX_OFFICERS = 50


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def state_problems(day, state: str) -> list[tuple[str, str]]:
    """Forward only: a TPS that is closed cannot open again."""
    if not state:
        return []
    if state not in ORDER:
        return [("state", _("Unknown state “%(state)s”.") % {"state": state})]
    if day.state and ORDER.index(state) <= ORDER.index(day.state):
        return [("state", _(
            "%(tps)s is already “%(current)s”; a report can only move it forward, not to "
            "“%(state)s”.") % {"tps": day.tps, "current": State(day.state).label,
                               "state": State(state).label})]
    return []


def time_problems(day, state: str, happened_at, election, conf, now) -> list[tuple[str, str]]:
    """Not in the future; voting-day states on the voting day; closing not before the
    closing time; never before the TPS's last change of state."""
    problems = []
    if happened_at > now + CLOCK_SLACK:
        problems.append(("happened_at", _(
            "The time %(time)s is in the future.") % {
            "time": _local(happened_at).strftime("%d-%m-%Y %H.%M")}))
        return problems
    local = _local(happened_at)
    if state in VOTING_DAY_STATES and local.date() != election.voting_date:
        problems.append(("happened_at", _(
            "“%(state)s” can only be reported for voting day (%(day)s), not %(date)s.") % {
            "state": State(state).label, "day": election.voting_date.strftime("%d-%m-%Y"),
            "date": local.strftime("%d-%m-%Y")}))
    elif state == State.SIAP and not (
            datetime.timedelta(0) <= election.voting_date - local.date() <= datetime.timedelta(1)):
        problems.append(("happened_at", _(
            "Set-up is reported on the day before voting day or on voting day (%(day)s).") % {
            "day": election.voting_date.strftime("%d-%m-%Y")}))
    if state == State.DITUTUP and local.time() < conf.closing_time:
        problems.append(("happened_at", _(
            "A TPS closes at %(closing)s, not at %(time)s: voters may come until then.") % {
            "closing": conf.closing_time.strftime("%H.%M"), "time": local.strftime("%H.%M")}))
    if state and day.state_at and happened_at < day.state_at:
        problems.append(("happened_at", _(
            "%(time)s is before the TPS's last report of its state (%(last)s).") % {
            "time": local.strftime("%H.%M"), "last": _local(day.state_at).strftime("%H.%M")}))
    return problems


def content_problems(state: str, problem: str, note: str, kpps, linmas) -> list[tuple[str, str]]:
    problems = []
    if not (state or problem or kpps is not None or linmas is not None):
        problems.append(("state", _(
            "Report a state, a problem or the officers present.")))
    if problem and len(note.strip()) < 10:
        problems.append(("note", _(
            "Describe the problem (at least 10 characters): what happened and what is needed.")))
    for field, value, label in (("kpps_present", kpps, "KPPS"), ("linmas_present", linmas, "Linmas")):
        if value is not None and not 0 <= value <= MAX_OFFICERS:
            problems.append((field, _("%(label)s present must be between 0 and %(max)s.") % {
                "label": label, "max": MAX_OFFICERS}))
    return problems


def report_problems(day, *, state, problem, note, kpps, linmas, happened_at, election, conf,
                    now) -> list[tuple[str, str]]:
    return (content_problems(state, problem, note, kpps, linmas) + state_problems(day, state)
            + time_problems(day, state, happened_at, election, conf, now))
