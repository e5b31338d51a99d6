"""Reports: create (officials; the public through ``services.public``), triage and follow-up
transitions, comments; validated, saved and audited in one transaction. Evidence files are in
``services.evidence``, duplicates and merging in ``services.merging``.

States: baru → diverifikasi | ditolak (with reason) → diteruskan (to an agency or an
outside body) → ditindaklanjuti → selesai; reopen: ditolak → baru, selesai →
ditindaklanjuti. Every move is audited; targets per severity come from
:class:`IncidentSettings`.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import audit, clock, services
from posko.core.services import raise_problems
from posko.incidents import readiness_component
from posko.incidents.access import (
    allowed_states,
    can_comment,
    can_report,
    can_triage,
    is_follower,
)
from posko.incidents.indicators import DERIVED_STATES, _derived_changed
from posko.incidents.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Comment,
    IncidentSettings,
    Report,
    State,
)
from posko.incidents.rules import report_problems, transition_problems
from posko.incidents.services.categories import settings_for
from posko.incidents.services.evidence import store_evidence

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I

# --- helpers ------------------------------------------------------------------------------------

def new_code() -> str:
    """A random tracking code (32⁸ ≈ 10¹² of them). It is not looked up before the insert:
    the unique constraint refuses the rare collision and the write is retried
    (``core.services.retry_on_collision``)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"LP-{raw[:4]}-{raw[4:]}"


def code_taken(report: Report):
    """For ``retry_on_collision``: did the insert fail because the code was taken?"""
    return lambda: bool(report.code) and Report.objects.filter(code=report.code).exists()


def intake_settings(election, moment=None) -> tuple[IncidentSettings, int | None]:
    """The election's settings and, when ``moment`` is given, the id of the election's stage
    on that day (None if none): the intake's hot path, so both come from the per-process
    constants (``core.constants``), without a query. On first use (no settings row yet)
    the row is created with its defaults."""
    conf = settings_for(election)
    if moment is None:
        return conf, None
    day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    stages = sorted((s for s in election.stages_cached() if s.start_date <= day <= s.end_date),
                    key=lambda s: (s.end_date, s.start_date))
    return conf, stages[0].pk if stages else None


def set_targets(report: Report, conf: IncidentSettings | None = None, *, start=None) -> None:
    conf = conf or settings_for(report.election)
    respond, resolve = conf.targets(report.severity)
    start = start or report.created_at or clock.now()
    report.response_due_at = start + respond
    report.resolve_due_at = start + resolve


# --- writes: reports ------------------------------------------------------------------------------

def create_report(report: Report, *, actor, files=(), now=None) -> Report:
    """A report by an official (``actor``), with optional evidence files; one transaction."""
    if not can_report(actor):
        raise PermissionDenied
    now = now or clock.now()
    if report.source == Report.Source.PUBLIC:
        report.source = Report.Source.PETUGAS
    raise_problems(report_problems(report, actor, now))
    return services.retry_on_collision(
        lambda: create_new(report, actor=actor, files=files, now=now), code_taken(report))


def create_new(report: Report, *, actor, files, now, intake=None) -> Report:
    """Save a checked new report (``intake``: the ``intake_settings`` already read)."""
    report.state = State.BARU
    report.code = new_code()
    report.created_at = report.updated_at = now
    needs_stage = report.stage_id is None and report.occurred_at
    if intake is None:
        intake = intake_settings(report.election, report.occurred_at if needs_stage else None)
    conf, stage_id = intake
    if needs_stage:
        report.stage_id = stage_id
    if not report.agency_id and report.category.default_agency_id:
        report.agency_id = report.category.default_agency_id
    set_targets(report, conf, start=now)
    user = actor if getattr(actor, "is_authenticated", False) else None
    report.reported_by = user
    # The keys were resolved by the rules above (place, TPS, category) or set here: checking
    # each again would cost one query per key on the intake's hot path.
    # The code is unique by construction (new_code), so its unique check is skipped too.
    report.full_clean(exclude=["election", "category", "stage", "kabkota", "kecamatan", "kelurahan",
                               "tps", "reported_by", "agency", "assignee", "merged_into", "code"])
    report.save()
    audit.record("create", report, actor=user, after=audit.snapshot(report),
                 message=_("report received"))
    store_evidence(report, files, actor=actor)
    # A new report is "baru": it feeds no derived indicator until it is verified; a serious
    # one at a TPS lowers the TPS's readiness at once.
    readiness_component.report_changed(report)
    return report


@transaction.atomic
def transition(report: Report, state: str, *, actor, expected_version: int | None = None,
               note: str = "", agency=None, forwarded_to: str = "", assignee=None,
               public_note: str | None = None, now=None) -> Report:
    """Move ``report`` to ``state`` (see TRANSITIONS). Rejecting needs a reason,
    forwarding an agency or an outside body, closing a resolution."""
    now = now or clock.now()
    if not (can_triage(actor, report) or is_follower(actor, report)):
        raise PermissionDenied
    current = report.state
    if state not in allowed_states(actor, report):
        raise ValidationError({"state": _(
            "A report that is %(current)s cannot be moved to %(state)s.") % {
            "current": State(current).label,
            "state": State(state).label if state in State.values else state}})
    note = (note or "").strip()
    before = audit.snapshot(report)
    raise_problems(transition_problems(report, state, note=note, agency=agency,
                                       forwarded_to=forwarded_to, assignee=assignee))
    report.state = state
    report.state_note = note
    if state == State.DITOLAK:
        report.rejection_reason = note
    if state == State.SELESAI:
        report.resolution = note
        report.resolved_at = now
    elif state in OPEN_STATES:
        report.resolved_at = None
    if state == State.DITERUSKAN:
        if agency is not None:
            report.agency = agency
        if forwarded_to:
            report.forwarded_to = forwarded_to
    if assignee is not None:
        report.assignee = assignee
    if public_note is not None:
        report.public_note = public_note.strip()[:300]
    if current == State.BARU and report.responded_at is None:
        report.responded_at = now
    if current in CLOSED_STATES and state in OPEN_STATES:
        # Reopened: the resolution clock starts again from now.
        conf = settings_for(report.election)
        report.resolve_due_at = now + conf.targets(report.severity)[1]
        report.escalated_resolution_at = None
        if state == State.BARU:
            report.response_due_at = now + conf.targets(report.severity)[0]
            report.responded_at = None
            report.escalated_response_at = None
    report.updated_at = now
    services.update(report, actor=actor, before=before, expected_version=expected_version,
                    message=_("state: %(from)s → %(to)s") % {"from": current, "to": state})
    if (current in DERIVED_STATES) != (state in DERIVED_STATES):
        _derived_changed(report)
    if (current in OPEN_STATES) != (state in OPEN_STATES):
        readiness_component.report_changed(report)
    return report


@transaction.atomic
def update_triage(report: Report, *, actor, before: dict, expected_version: int | None = None,
                  now=None) -> Report:
    """Save edited details and triage fields (category, place, severity, agency, person).
    A new severity moves the targets (counted from when the report was received)."""
    if not can_triage(actor, report):
        raise PermissionDenied
    if before.get("merged_into"):
        raise ValidationError(_("This report was merged into another one; change that one."))
    raise_problems(report_problems(report, actor))
    if report.assignee_id and report.agency_id and report.assignee.agency_id not in (
            None, report.agency_id):
        raise_problems([("assignee", _("This person does not work for the chosen agency."))])
    if report.severity != before.get("severity"):
        set_targets(report, start=report.created_at)
        if report.response_due_at > (now or clock.now()):
            report.escalated_response_at = None
        if report.resolve_due_at > (now or clock.now()):
            report.escalated_resolution_at = None
    report.updated_at = now or clock.now()
    services.update(report, actor=actor, before=before, expected_version=expected_version)
    if any(before.get(f) != audit.snapshot(report).get(f) for f in (
            "tps", "category", "involves_violence", "intimidation")):
        _derived_changed(report, before)
    if (before.get("tps"), before.get("severity")) != (report.tps_id, report.severity):
        readiness_component.report_changed(report, before)
    return report


@transaction.atomic
def add_comment(report: Report, text: str, *, actor) -> Comment:
    if not can_comment(actor, report):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write a comment first.")]})
    comment = Comment(report=report, author=actor, text=text[:5000])
    comment.save()
    audit.record("create", comment, actor=actor, after={"report": report.pk, "text": comment.text},
                 message=_("comment on %(code)s") % {"code": report.code})
    return comment


