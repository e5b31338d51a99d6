"""Reports: create (officials and the public), triage and follow-up transitions, comments, evidence, duplicates and merging; validated, saved and audited in one transaction.

States: baru → diverifikasi | ditolak (with reason) → diteruskan (to an agency or an
outside body) → ditindaklanjuti → selesai; reopen: ditolak → baru, selesai →
ditindaklanjuti. Every move is audited; targets per severity come from
:class:`IncidentSettings`.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import audit, services
from posko.core.services import raise_problems
from posko.core.uploads import JPEG, check_evidence_upload, jpeg_gps, strip_jpeg_metadata
from posko.elections.models import Stage, Tps
from posko.incidents.access import (  # noqa: F401 - re-exported
    FOLLOW_UP_MOVES,
    TRANSITIONS,
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
    Evidence,
    IncidentSettings,
    Report,
    Severity,
    State,
)
from posko.incidents.rules import report_problems
from posko.incidents.services.categories import settings_for
from posko.regions.models import Kelurahan, Pemda

VIDEO_MAX_BYTES = 30 * 1024 * 1024  # a short phone video (about a minute)
MAX_FILES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I

# --- helpers ------------------------------------------------------------------------------------

def new_code() -> str:
    while True:
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        code = f"LP-{raw[:4]}-{raw[4:]}"
        if not Report.objects.filter(code=code).exists():
            return code


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    raw = raw.removeprefix("LP")
    if len(raw) != 8:
        return ""
    return f"LP-{raw[:4]}-{raw[4:]}"


def client_hash(ip: str | None) -> str:
    """A keyed hash of the client's address: enough to count submissions, not to find
    the person."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}|incidents|{ip}".encode()).hexdigest()


def stage_for(election, moment) -> Stage | None:
    day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return (Stage.objects.filter(election=election, start_date__lte=day, end_date__gte=day)
            .order_by("end_date", "start_date").first())


def set_targets(report: Report, conf: IncidentSettings | None = None, *, start=None) -> None:
    conf = conf or settings_for(report.election)
    respond, resolve = conf.targets(report.severity)
    start = start or report.created_at or timezone.now()
    report.response_due_at = start + respond
    report.resolve_due_at = start + resolve


def _store_evidence(report: Report, uploads, *, actor) -> list[Evidence]:
    """Check every upload first (nothing stored when one is bad), then store them."""
    checked, errors = [], []
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": [_("At most %(n)s files per report.") % {"n": MAX_FILES}]})
    for upload in uploads:
        try:
            checked.append(check_evidence_upload(upload, video_max_bytes=VIDEO_MAX_BYTES))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    stored = []
    try:
        for item in checked:
            item.file.seek(0)
            data = item.file.read()
            lat = lon = None
            if item.kind is JPEG:
                point = jpeg_gps(data)
                if point:
                    lat, lon = (Decimal(str(v)).quantize(Decimal("0.000001")) for v in point)
                data = strip_jpeg_metadata(data)
            evidence = Evidence(report=report, kind=item.kind.name, original_name=item.original_name,
                                size=len(data), latitude=lat, longitude=lon,
                                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None)
            evidence.file.save(f"{item.token}{item.kind.extension}", ContentFile(data), save=False)
            stored.append(evidence)
            evidence.save()
            audit.record("create", evidence, actor=actor,
                         after={"report": report.pk, "file": evidence.original_name,
                                "kind": evidence.kind, "size": evidence.size},
                         message=_("evidence added"))
    except Exception:
        for evidence in stored:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return stored


# --- writes: reports ------------------------------------------------------------------------------

@transaction.atomic
def create_report(report: Report, *, actor, files=(), now=None) -> Report:
    """A report by an official (``actor``), with optional evidence files."""
    if not can_report(actor):
        raise PermissionDenied
    now = now or timezone.now()
    if report.source == Report.Source.PUBLIC:
        report.source = Report.Source.PETUGAS
    raise_problems(report_problems(report, actor, now))
    return _create(report, actor=actor, files=files, now=now)


def _create(report: Report, *, actor, files, now) -> Report:
    report.state = State.BARU
    report.code = new_code()
    report.created_at = report.updated_at = now
    if report.stage_id is None and report.occurred_at:
        report.stage = stage_for(report.election, report.occurred_at)
    if not report.agency_id and report.category.default_agency_id:
        report.agency_id = report.category.default_agency_id
    set_targets(report, start=now)
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
    _store_evidence(report, files, actor=actor)
    # A new report is "baru": it feeds no derived indicator until it is verified.
    return report


def public_rate_limited(election, hash_: str, now=None) -> bool:
    if not hash_:
        return False
    now = now or timezone.now()
    conf = settings_for(election)
    since = now - datetime.timedelta(minutes=conf.public_window_minutes)
    return Report.objects.filter(client_hash=hash_, created_at__gte=since).count() >= conf.public_limit


class RateLimited(ValidationError):
    pass


@transaction.atomic
def submit_public(report: Report, *, ip: str | None, files=(), now=None) -> Report:
    """A report from a member of the public (no account). Refused when the same client
    sent ``public_limit`` reports within the window."""
    now = now or timezone.now()
    hash_ = client_hash(ip)
    if public_rate_limited(report.election, hash_, now):
        conf = settings_for(report.election)
        raise RateLimited(_(
            "Too many reports were sent from your connection in the last %(minutes)s minutes. "
            "Nothing was saved. Please try again later, or call the Desk Pilkada.") % {
            "minutes": conf.public_window_minutes})
    report.source = Report.Source.PUBLIC
    report.client_hash = hash_
    report.reporter_name = (report.reporter_name or "").strip()[:150]
    report.reporter_contact = (report.reporter_contact or "").strip()[:150]
    report.severity = Severity.SEDANG
    report.involves_violence = report.intimidation = False
    raise_problems(report_problems(report, now=now))
    return _create(report, actor=None, files=files, now=now)


def public_status(code: str) -> Report | None:
    """The report with this tracking code (the merged-into report when merged), or None."""
    code = normalise_code(code)
    if not code:
        return None
    report = Report.objects.select_related("category", "kecamatan", "kelurahan").filter(
        code=code).first()
    if report is not None and report.merged_into_id:
        return report.merged_into
    return report


@transaction.atomic
def transition(report: Report, state: str, *, actor, expected_version: int | None = None,
               note: str = "", agency=None, forwarded_to: str = "", assignee=None,
               public_note: str | None = None, now=None) -> Report:
    """Move ``report`` to ``state`` (see TRANSITIONS). Rejecting needs a reason,
    forwarding an agency or an outside body, closing a resolution."""
    now = now or timezone.now()
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
    problems = []
    if state == State.DITOLAK and not note:
        problems.append(("note", _("Say why the report is rejected.")))
    if state == State.SELESAI and not note:
        problems.append(("note", _("Say how the report was resolved.")))
    if state == State.DITERUSKAN and not (agency or forwarded_to or report.agency_id):
        problems.append(("agency", _("Choose the agency or the outside body the report is "
                                     "forwarded to.")))
    if assignee is not None and agency is not None and assignee.agency_id not in (None, agency.pk):
        problems.append(("assignee", _("This person does not work for the chosen agency.")))
    raise_problems(problems)
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
        if report.response_due_at > (now or timezone.now()):
            report.escalated_response_at = None
        if report.resolve_due_at > (now or timezone.now()):
            report.escalated_resolution_at = None
    report.updated_at = now or timezone.now()
    services.update(report, actor=actor, before=before, expected_version=expected_version)
    if any(before.get(f) != audit.snapshot(report).get(f) for f in (
            "tps", "category", "involves_violence", "intimidation")):
        _derived_changed(report, before)
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


@transaction.atomic
def add_evidence(report: Report, files, *, actor) -> list[Evidence]:
    if not can_comment(actor, report):
        raise PermissionDenied
    if not [f for f in files if f]:
        raise ValidationError({"files": [_("Choose a file first.")]})
    return _store_evidence(report, files, actor=actor)


def duplicates(report: Report, queryset=None):
    """Other reports at the same TPS (or, without a TPS, the same kelurahan) and of the same
    category within the election's duplicate window: candidates to merge."""
    conf = settings_for(report.election)
    window = datetime.timedelta(hours=conf.duplicate_window_hours)
    qs = queryset if queryset is not None else Report.objects.all()
    qs = qs.filter(election_id=report.election_id, category_id=report.category_id,
                   merged_into__isnull=True,
                   occurred_at__gte=report.occurred_at - window,
                   occurred_at__lte=report.occurred_at + window).exclude(pk=report.pk).exclude(
        state=State.DITOLAK)
    if report.tps_id:
        qs = qs.filter(tps_id=report.tps_id)
    elif report.kelurahan_id:
        qs = qs.filter(kelurahan_id=report.kelurahan_id)
    else:
        qs = qs.filter(kecamatan_id=report.kecamatan_id, kelurahan__isnull=True)
    return qs.order_by("created_at")


@transaction.atomic
def merge(duplicate: Report, into: Report, *, actor, now=None) -> Report:
    """Merge ``duplicate`` into ``into``: the duplicate is closed with a pointer to the
    report it was merged into; its evidence, comments and reporter stay and are shown on
    the surviving report; its tracking code shows the surviving report's state."""
    now = now or timezone.now()
    if not (can_triage(actor, duplicate) and can_triage(actor, into)):
        raise PermissionDenied
    if duplicate.pk == into.pk:
        raise ValidationError(_("A report cannot be merged into itself."))
    if into.merged_into_id:
        raise ValidationError(_("The chosen report was itself merged into %(code)s; merge into "
                                "that one.") % {"code": into.merged_into.code})
    if duplicate.merged_into_id:
        raise ValidationError(_("This report was already merged."))
    if duplicate.election_id != into.election_id:
        raise ValidationError(_("Both reports must belong to the same election."))
    before = audit.snapshot(duplicate)
    # Reports merged earlier into the duplicate now point at the survivor.
    for child in Report.objects.filter(merged_into=duplicate):
        child_before = audit.snapshot(child)
        child.merged_into = into
        services.update(child, actor=actor, before=child_before,
                        message=_("merged into %(code)s") % {"code": into.code})
    duplicate.merged_into = into
    duplicate.state = State.SELESAI
    duplicate.resolved_at = now
    duplicate.resolution = _("Merged into %(code)s.") % {"code": into.code}
    duplicate.updated_at = now
    services.update(duplicate, actor=actor, before=before,
                    message=_("merged into %(code)s") % {"code": into.code})
    if SEVERITY_ORDER.index(duplicate.severity) > SEVERITY_ORDER.index(into.severity):
        into_before = audit.snapshot(into)
        into.severity = duplicate.severity
        set_targets(into, start=into.created_at)
        services.update(into, actor=actor, before=into_before,
                        message=_("severity raised by merging %(code)s") % {"code": duplicate.code})
    audit.record("update", into, actor=actor,
                 message=_("%(code)s merged into this report") % {"code": duplicate.code})
    _derived_changed(duplicate)
    return into


SEVERITY_ORDER = [Severity.RENDAH, Severity.SEDANG, Severity.TINGGI, Severity.KRITIS]


def family(report: Report):
    """The report and every report merged into it (for evidence and reporters)."""
    return Report.objects.filter(Q(pk=report.pk) | Q(merged_into=report))


# --- statistics ------------------------------------------------------------------------------------

def kelurahan_choices():
    pemda = Pemda.current()
    if pemda is None:
        return Kelurahan.objects.none()
    return Kelurahan.objects.filter(code__startswith=f"{pemda.code}.").select_related(
        "kecamatan").order_by("kecamatan__name", "name")


def find_tps(election, kelurahan_id: str, number) -> Tps | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return Tps.objects.filter(election=election, kelurahan_id=kelurahan_id, number=number).first()
