"""A TPS's voting-day reports: state, officers present, problems (opened as incident
reports when the incidents module is installed)."""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils.translation import gettext as _

from posko.core import audit, clock, constants, idempotency, incident_reports
from posko.core.services import raise_problems
from posko.voting.access import may_report
from posko.voting.models import Problem, State, StatusEvent, TpsDay, VotingSettings
from posko.voting.rules import report_problems


def settings_for(election) -> VotingSettings:
    """The election's voting-day settings (a per-process constant; created on first use)."""
    return constants.get(("voting.settings", election.pk),
                         lambda: VotingSettings.for_election(election))


def day_of(tps) -> TpsDay:
    """The TPS's voting day as stored, or a blank one (not saved) before its first report."""
    day = TpsDay.objects.filter(tps=tps).first()
    return day or TpsDay.for_tps(tps)


def _read_with_tps(tps) -> TpsDay | None:
    """The day the API read together with the TPS (``select_related("day")``), if it
    exists; None otherwise (then it is read locked)."""
    day = tps._state.fields_cache.get("day")
    return day if day is not None and day.pk else None


def _apply(day, *, state, problem, kpps, linmas, happened_at, now) -> None:
    if state:
        day.state, day.state_at = state, happened_at
        if state == State.DIBUKA or (state != State.SIAP and day.opened_at is None):
            day.opened_at = day.opened_at or happened_at
        if state == State.DITUTUP:
            day.closed_at = happened_at
    if kpps is not None:
        day.kpps_present = kpps
    if linmas is not None:
        day.linmas_present = linmas
    if problem:
        day.open_problems += 1
    day.last_report_at = now


def _saved(day) -> bool:
    """Insert a new day, update a locked one, or update a day read without a lock only if
    its version is still the one read (optimistic locking: one statement instead of a
    ``SELECT … FOR UPDATE`` and an ``UPDATE``). False: it changed meanwhile."""
    if not day.pk:
        day.save()
        return True
    seen = day.version
    day.version += 1
    if getattr(day, "_posko_locked", False):
        day.save()
        return True
    fields = {f.attname: getattr(day, f.attname) for f in TpsDay._meta.concrete_fields
              if not f.primary_key}
    return TpsDay.objects.filter(pk=day.pk, version=seen).update(**fields) == 1


def record_report(tps, *, actor, election, state: str = "", problem: str = "", note: str = "",
                  kpps_present: int | None = None, linmas_present: int | None = None,
                  happened_at=None, now=None) -> StatusEvent:
    """Record one report from ``tps`` (see rules.py); all or nothing."""
    if not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    happened_at = happened_at or now
    note = (note or "").strip()
    conf = settings_for(election)
    report = dict(state=state, problem=problem, note=note, kpps=kpps_present,
                  linmas=linmas_present, happened_at=happened_at, now=now)
    with idempotency.atomic():  # no savepoint inside a field submission
        day = _read_with_tps(tps)  # optimistic: saved only if nobody changed it meanwhile
        while True:
            if day is None:  # locked: the first report, or the day changed under us
                day = TpsDay.objects.select_for_update().filter(tps=tps).first() \
                    or TpsDay.for_tps(tps)
                day._posko_locked = True
            before = _plan(day, tps, election=election, conf=conf, **report)
            if _saved(day):
                break
            day = None  # another report won the race: read it again, locked, and recheck
        event = _event(day, actor, **report)
        if problem:
            event.save()  # the incident report links back to it
            ref = incident_reports.open_report(incident_reports.ProblemReport(
                election=election, tps=tps, kind=problem,
                title=_("%(tps)s: %(problem)s problem") % {
                    "tps": tps, "problem": Problem(problem).label},
                description=note, occurred_at=happened_at), actor=actor)
            if ref is not None:
                event.incident_url = ref.url
                event.save(update_fields=["incident_url"])
        if not problem:  # the field API sends it with its answer (one statement)
            idempotency.save_with_answer(event)
        idempotency.save_with_answer(_audit(day, event, before, actor))
    return event


def _plan(day, tps, *, election, conf, state, problem, note, kpps, linmas, happened_at, now):
    """Check the report against ``day`` and apply it there (in memory); its "before"."""
    day.tps = tps
    raise_problems(report_problems(day, state=state, problem=problem, note=note, kpps=kpps,
                                   linmas=linmas, happened_at=happened_at, election=election,
                                   conf=conf, now=now))
    before = audit.snapshot(day) if day.pk else None
    _apply(day, state=state, problem=problem, kpps=kpps, linmas=linmas, happened_at=happened_at,
           now=now)
    return before


def _event(day, actor, *, state, problem, note, kpps, linmas, happened_at, now) -> StatusEvent:
    return StatusEvent(day=day, state=state, problem=problem, note=note, kpps_present=kpps,
                       linmas_present=linmas, happened_at=happened_at, recorded_at=now,
                       recorded_by=actor)


def _audit(day, event, before, actor):
    return audit.build("create" if before is None else "update", day, actor=actor,
                       before=before, after=audit.snapshot(day), message=str(event))


def report_once(tps, *, actor, election, state: str = "", problem: str = "", note: str = "",
                kpps_present: int | None = None, linmas_present: int | None = None,
                happened_at=None, now=None):
    """The field API's one-statement path (``core.submit_once``) for the common report: a
    TPS whose day was read with it, no problem (a problem opens an incident report, which
    needs its own writes). Returns ``(day, [event, audit entry], guard)`` — the day changed
    in memory and the UPDATE that saves it only if its version is still the one read — or
    None when :func:`record_report` must take it (the first report, a problem, SQLite).
    Raises as ``record_report`` does for a refused report."""
    day = _read_with_tps(tps)
    if problem or day is None or connection.vendor != "postgresql":
        return None
    # A copy: if the guard finds the day moved on, record_report starts from the day as read
    # (its optimistic UPDATE then fails too and it re-reads under a lock).
    read, day = day, copy.copy(day)
    if not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    report = dict(state=state, problem=problem, note=(note or "").strip(), kpps=kpps_present,
                  linmas=linmas_present, happened_at=happened_at or now, now=now)
    before = _plan(day, tps, election=election, conf=settings_for(election), **report)
    tps._state.fields_cache["day"] = read  # day.tps = tps made the copy the TPS's day
    seen = day.version
    day.version += 1
    event = _event(day, actor, **report)
    return day, [event, _audit(day, event, before, actor)], idempotency.update_sql(day, version=seen)
