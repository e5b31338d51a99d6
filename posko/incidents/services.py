"""Reports: rules, permissions and writes (validated, saved and audited in one transaction).

Who may do what:

* **Report** (create): every active operator except observers (pemantau): admins anywhere
  in the Pemda, a camat inside their kecamatan, a lurah inside their kelurahan, an agency
  operator anywhere. The public reports through :func:`submit_public` (no account).
* **Triage** (verify, reject, forward, set severity, assign, merge): desk admins anywhere,
  kecamatan operators inside their kecamatan.
* **Follow up** (diteruskan → ditindaklanjuti → selesai): triagers and the operators of
  the assigned agency.
* **Comment** and add evidence: anyone who may see the report, except observers.
* **See**: the region scope (``Report.objects.visible_to``); outside it: 404.

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
from django.utils.translation import gettext_lazy

from posko.accounts.models import Agency, Role, User
from posko.core import audit, derived, notify, services, tasks
from posko.core.uploads import JPEG, check_evidence_upload, jpeg_gps, strip_jpeg_metadata
from posko.elections.models import Stage, Tps, place_codes
from posko.incidents.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Category,
    Comment,
    Evidence,
    IncidentSettings,
    NeutralityCase,
    Pledge,
    Report,
    Severity,
    State,
)
from posko.regions.models import Kelurahan, Pemda

VIDEO_MAX_BYTES = 30 * 1024 * 1024  # a short phone video (about a minute)
MAX_FILES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I

DEFAULT_CATEGORIES = [
    # code, name, indicator, is_security, is_neutrality_asn, usual agency (short names tried)
    ("logistik", "Logistik", "", False, False, ("KPU",)),
    ("keamanan", "Keamanan & ketertiban", "", True, False, ("Polres", "Polresta", "Satpol PP")),
    ("politik_uang", "Politik uang", "politik_uang", False, False, ("Bawaslu",)),
    ("netralitas_asn", "Netralitas ASN", "asn_tidak_netral", False, True, ("Bawaslu", "BKPSDM")),
    ("netralitas_penyelenggara", "Netralitas penyelenggara", "penyelenggara_tidak_netral", False,
     False, ("Bawaslu",)),
    ("sara", "SARA & ujaran kebencian", "sara_ujaran_kebencian", False, False,
     ("Bawaslu", "Polres", "Polresta")),
    ("apk_kampanye", "APK & kampanye", "", False, False, ("Satpol PP", "Bawaslu")),
    ("bencana", "Bencana", "", False, False, ("BPBD",)),
    ("kesehatan_petugas", "Kesehatan petugas", "", False, False, ("Dinkes",)),
    ("listrik_internet", "Listrik & internet", "", False, False, ("PLN", "Diskominfo")),
    ("lainnya", "Lainnya", "", False, False, ()),
]

# Transitions: state -> states reachable by a triager. Followers of the assigned agency
# may make the follow-up moves only.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.BARU: (State.DIVERIFIKASI, State.DITOLAK),
    State.DIVERIFIKASI: (State.DITERUSKAN, State.DITINDAKLANJUTI, State.SELESAI, State.DITOLAK),
    State.DITERUSKAN: (State.DITINDAKLANJUTI, State.SELESAI),
    State.DITINDAKLANJUTI: (State.DITERUSKAN, State.SELESAI),
    State.DITOLAK: (State.BARU,),
    State.SELESAI: (State.DITINDAKLANJUTI,),
}
FOLLOW_UP_MOVES: dict[str, tuple[str, ...]] = {
    State.DITERUSKAN: (State.DITINDAKLANJUTI, State.SELESAI),
    State.DITINDAKLANJUTI: (State.SELESAI,),
}

# The derived indicator codes this module feeds (posko.core.derived), by how they match.
INDICATOR_LABEL = gettext_lazy("Reports")
FLAG_INDICATORS = {"riwayat_kekerasan": "involves_violence",
                   "intimidasi_penyelenggara": "intimidation"}
CATEGORY_INDICATORS = ("politik_uang", "sara_ujaran_kebencian", "penyelenggara_tidak_netral",
                       "asn_tidak_netral")
DERIVED_STATES = (State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI, State.SELESAI)


# --- categories and settings -------------------------------------------------------------------

def ensure_categories() -> int:
    """Install the default categories that are missing (by code); returns how many."""
    existing = set(Category.objects.values_list("code", flat=True))
    created = 0
    for order, (code, name, indicator, security, asn, agencies) in enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        agency = None
        for short in agencies:
            agency = Agency.objects.filter(Q(short_name__iexact=short) | Q(name__iexact=short)).first()
            if agency:
                break
        Category.objects.create(code=code, name=name, indicator=indicator, is_security=security,
                                is_neutrality_asn=asn, default_agency=agency, order=order * 10)
        created += 1
    return created


def active_categories():
    if not Category.objects.exists():
        ensure_categories()
    return Category.objects.filter(is_active=True)


def settings_for(election) -> IncidentSettings:
    return IncidentSettings.for_election(election)


# --- permissions ------------------------------------------------------------------------------

def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_report(user) -> bool:
    return _active(user) and user.effective_role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN,
                                                      Role.AGENCY)


def can_triage(user, report: Report | None = None) -> bool:
    if not _active(user):
        return False
    role = user.effective_role
    if role == Role.ADMIN:
        return True
    if role == Role.KECAMATAN and user.kecamatan_id:
        return report is None or report.kecamatan_id == user.kecamatan_id
    return False


def is_follower(user, report: Report) -> bool:
    return (_active(user) and user.effective_role == Role.AGENCY and bool(user.agency_id)
            and user.agency_id == report.agency_id)


def can_comment(user, report: Report) -> bool:
    return _active(user) and user.effective_role != Role.PEMANTAU


def allowed_states(user, report: Report) -> list[str]:
    if report.merged_into_id:
        return []
    if can_triage(user, report):
        return list(TRANSITIONS.get(report.state, ()))
    if is_follower(user, report):
        return list(FOLLOW_UP_MOVES.get(report.state, ()))
    return []


# --- rules (each returns [(field, message)]) -----------------------------------------------------

def derive_place(report: Report) -> list[tuple[str, str]]:
    problems = []
    if report.tps_id:
        tps = report.tps
        if report.kelurahan_id and report.kelurahan_id != tps.kelurahan_id:
            problems.append(("tps", _("This TPS is not in the chosen kelurahan.")))
        else:
            report.kelurahan_id = tps.kelurahan_id
    if report.kelurahan_id:
        kecamatan = place_codes(report.kelurahan_id)[0]
        if report.kecamatan_id and report.kecamatan_id != kecamatan:
            problems.append(("kelurahan", _("This kelurahan is not in the chosen kecamatan.")))
        else:
            report.kecamatan_id = kecamatan
    if not report.kecamatan_id:
        problems.append(("kelurahan", _("Say where it happened: a TPS, a kelurahan or a "
                                        "kecamatan.")))
    else:
        report.kabkota_id = report.kecamatan_id.rsplit(".", 1)[0]
    return problems


def check_inside_pemda(report: Report) -> list[tuple[str, str]]:
    pemda = Pemda.current()
    if report.kecamatan_id and (pemda is None or not report.kecamatan_id.startswith(f"{pemda.code}.")):
        return [("kelurahan", _("This place is outside the Pemda: reports can only be made "
                                "about places inside it."))]
    return []


def check_tps_election(report: Report) -> list[tuple[str, str]]:
    if report.tps_id and report.tps.election_id != report.election_id:
        return [("tps", _("This TPS belongs to another election."))]
    return []


def check_point(report: Report) -> list[tuple[str, str]]:
    lat, lon = report.latitude, report.longitude
    if (lat is None) != (lon is None):
        return [("latitude", _("Give both latitude and longitude, or neither."))]
    if lat is not None and not (Decimal(-11) <= Decimal(lat) <= Decimal(6)
                                and Decimal(95) <= Decimal(lon) <= Decimal(141)):
        return [("latitude", _("This point is not in Indonesia."))]
    return []


def check_actor_region(report: Report, actor) -> list[tuple[str, str]]:
    role = getattr(actor, "effective_role", None)
    if role == Role.KELURAHAN and report.kelurahan_id != actor.kelurahan_id:
        return [("kelurahan", _("You can report only about your own kelurahan or one of its "
                                "TPS."))]
    if role == Role.KECAMATAN and report.kecamatan_id != actor.kecamatan_id:
        return [("kelurahan", _("You can report only about places inside your own kecamatan."))]
    return []


def check_text(report: Report) -> list[tuple[str, str]]:
    problems = []
    if not (report.title or "").strip():
        problems.append(("title", _("Give the report a short title.")))
    if len((report.description or "").strip()) < 10:
        problems.append(("description", _("Describe what happened (at least 10 characters).")))
    return problems


def check_time(report: Report, now=None) -> list[tuple[str, str]]:
    now = now or timezone.now()
    if report.occurred_at and report.occurred_at > now + datetime.timedelta(minutes=10):
        return [("occurred_at", _("The time it happened cannot be in the future."))]
    return []


def check_category(report: Report) -> list[tuple[str, str]]:
    if not report.category_id:
        return [("category", _("Choose a category."))]
    if not report.category.is_active:
        return [("category", _("This category is no longer used."))]
    return []


def report_problems(report: Report, actor=None, now=None) -> list[tuple[str, str]]:
    problems = derive_place(report)
    if not problems:
        problems += check_inside_pemda(report)
        if actor is not None and not problems:
            problems += check_actor_region(report, actor)
    problems += check_tps_election(report)
    problems += check_point(report)
    problems += check_text(report)
    problems += check_time(report, now)
    problems += check_category(report)
    return problems


def _raise(problems) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors)


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


def _indicator_codes(snapshot: dict, category_indicators: dict) -> set[str]:
    """The derived indicator codes a report with these values can feed."""
    codes = set()
    indicator = category_indicators.get(snapshot.get("category"))
    if indicator:
        codes.add(indicator)
    for code, flag in FLAG_INDICATORS.items():
        if snapshot.get(flag):
            codes.add(code)
    return codes


def _derived_changed(report: Report, before: dict | None = None) -> None:
    """Tell the vulnerability module that this report's TPS may carry other values (only
    the indicator codes the report can feed, before and after the change)."""
    tps_ids = {report.tps_id} if report.tps_id else set()
    if before and before.get("tps"):
        tps_ids.add(int(before["tps"]))
    if not tps_ids:
        return
    indicators = dict(Category.objects.exclude(indicator="").values_list("pk", "indicator"))
    codes = _indicator_codes(audit.snapshot(report), indicators)
    if before:
        codes |= _indicator_codes(before, indicators)
    if not codes:
        return
    election = report.election
    transaction.on_commit(lambda: [derived.changed(f"incidents.{code}", election, sorted(tps_ids))
                                   for code in sorted(codes)])


# --- writes: reports ------------------------------------------------------------------------------

@transaction.atomic
def create_report(report: Report, *, actor, files=(), now=None) -> Report:
    """A report by an official (``actor``), with optional evidence files."""
    if not can_report(actor):
        raise PermissionDenied
    now = now or timezone.now()
    if report.source == Report.Source.PUBLIC:
        report.source = Report.Source.PETUGAS
    _raise(report_problems(report, actor, now))
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
    _raise(report_problems(report, now=now))
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
    _raise(problems)
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
    _raise(report_problems(report, actor))
    if report.assignee_id and report.agency_id and report.assignee.agency_id not in (
            None, report.agency_id):
        _raise([("assignee", _("This person does not work for the chosen agency."))])
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


# --- coordination task -------------------------------------------------------------------------------

def task_source(report: Report) -> str:
    return f"incidents.report:{report.pk}"


PRIORITY = {Severity.RENDAH: "low", Severity.SEDANG: "normal", Severity.TINGGI: "high",
            Severity.KRITIS: "urgent"}


def spawn_task(report: Report, *, actor):
    """Create a coordination task for the report (the coordination module's provider)."""
    if not can_triage(actor, report):
        raise PermissionDenied
    if not tasks.available():
        raise ValidationError(_("The coordination module is not installed."))
    request = tasks.TaskRequest(
        election=report.election, title=f"{report.code}: {report.title}"[:200],
        source=task_source(report),
        description=f"{report.category.name} · {report.place_label}\n\n{report.description}"[:4000],
        agency=report.agency, due_at=report.resolve_due_at, kecamatan=report.kecamatan,
        kelurahan=report.kelurahan, tps=report.tps, priority=PRIORITY.get(report.severity, "normal"))
    ref = tasks.create_task(request, actor=actor)
    audit.record("update", report, actor=actor,
                 message=_("coordination task created: %(title)s") % {"title": ref.title})
    return ref


# --- escalation ------------------------------------------------------------------------------------

def escalation_recipients(report: Report) -> list[User]:
    users = list(User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN) | Q(is_superuser=True)))
    if report.agency_id:
        users += list(User.objects.filter(is_active=True, agency_id=report.agency_id))
    seen, unique = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return unique


def escalate(now=None) -> dict:
    """Escalate every open report past its response or resolution target that was not
    escalated yet: stamp it, audit it, notify the desk admins and the assigned agency's
    users. Idempotent: a second run finds nothing new."""
    now = now or timezone.now()
    counts = {"response": 0, "resolution": 0, "notifications": 0}
    base = Report.objects.filter(merged_into__isnull=True).select_related(
        "category", "kecamatan", "agency")
    due = (
        ("response", base.filter(state=State.BARU, response_due_at__lt=now,
                                 escalated_response_at__isnull=True),
         "escalated_response_at"),
        ("resolution", base.filter(state__in=OPEN_STATES, resolve_due_at__lt=now,
                                   escalated_resolution_at__isnull=True),
         "escalated_resolution_at"),
    )
    for kind, queryset, field in due:
        for report in queryset.iterator(chunk_size=500):
            with transaction.atomic():
                # Claim it: another run at the same time updates nothing and skips it.
                claimed = Report.objects.filter(pk=report.pk, **{f"{field}__isnull": True}).update(
                    **{field: now})
                if not claimed:
                    continue
                counts[kind] += 1
                if kind == "response":
                    title = _("Report %(code)s has had no response within its target "
                              "(%(severity)s)") % {"code": report.code,
                                                   "severity": report.get_severity_display()}
                else:
                    title = _("Report %(code)s is not resolved within its target "
                              "(%(severity)s)") % {"code": report.code,
                                                   "severity": report.get_severity_display()}
                audit.record("update", report, actor=None,
                             before={field: None}, after={field: now.isoformat()},
                             message=f"escalation: {kind}")
                body = f"{report.title}\n{report.category.name} · Kec. {report.kecamatan.name}"
                for user in escalation_recipients(report):
                    if notify.notify(user, "escalation", title,
                                     key=f"incidents.escalation:{report.pk}:{kind}:{user.pk}",
                                     url=report.get_absolute_url(), body=body):
                        counts["notifications"] += 1
    return counts


# --- derived indicator sources ---------------------------------------------------------------------

def _derived_rows(election, tps_ids, condition: Q, label: str):
    from posko.core.derived import DerivedValue

    qs = Report.objects.filter(election=election, tps__isnull=False, state__in=DERIVED_STATES,
                               merged_into__isnull=True).filter(condition)
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    found: dict[int, list] = {}
    for tps_id, pk, code, occurred in qs.order_by("tps_id", "occurred_at").values_list(
            "tps_id", "pk", "code", "occurred_at"):
        found.setdefault(tps_id, []).append((pk, code, occurred))
    from django.urls import reverse

    rows = []
    for tps_id, items in found.items():
        pk, code, occurred = items[-1]
        day = timezone.localtime(occurred).strftime("%d-%m-%Y")
        evidence = (_("%(label)s: report %(code)s (%(day)s)") % {
            "label": label, "code": code, "day": day} if len(items) == 1 else
            _("%(label)s: %(n)s reports, latest %(code)s (%(day)s)") % {
                "label": label, "n": len(items), "code": code, "day": day})
        rows.append(DerivedValue(tps_id=tps_id, value=1, evidence=evidence,
                                 url=reverse("incidents:report_detail", args=[pk])))
    return rows


def _flag_source(flag: str, label):
    def source(election, tps_ids=None):
        return _derived_rows(election, tps_ids, Q(**{flag: True}), str(label))
    return source


def _category_source(indicator: str, label):
    def source(election, tps_ids=None):
        return _derived_rows(election, tps_ids, Q(category__indicator=indicator), str(label))
    return source


DERIVED_LABELS = {
    "riwayat_kekerasan": gettext_lazy("Violence"),
    "intimidasi_penyelenggara": gettext_lazy("Intimidation of officials"),
    "politik_uang": gettext_lazy("Money politics"),
    "sara_ujaran_kebencian": gettext_lazy("SARA / hate speech"),
    "penyelenggara_tidak_netral": gettext_lazy("Officials not neutral"),
    "asn_tidak_netral": gettext_lazy("ASN not neutral"),
}


def register_derived_sources() -> None:
    for code, flag in FLAG_INDICATORS.items():
        derived.register_source(code, f"incidents.{code}", _flag_source(flag, DERIVED_LABELS[code]),
                                label=INDICATOR_LABEL)
    for code in CATEGORY_INDICATORS:
        derived.register_source(code, f"incidents.{code}",
                                _category_source(code, DERIVED_LABELS[code]), label=INDICATOR_LABEL)


# --- pledges ----------------------------------------------------------------------------------------

def pledge_problems(pledge: Pledge) -> list[tuple[str, str]]:
    problems = []
    if pledge.asn_total is None or pledge.asn_total < 0:
        problems.append(("asn_total", _("Give the number of ASN in the agency.")))
    elif pledge.asn_covered is not None and pledge.asn_covered > pledge.asn_total:
        problems.append(("asn_covered", _(
            "The pledge cannot cover more ASN (%(covered)s) than the agency has (%(total)s).") % {
            "covered": pledge.asn_covered, "total": pledge.asn_total}))
    if pledge.signed_on and not (pledge.signatory or "").strip():
        problems.append(("signatory", _("Say who signed the pledge.")))
    if pledge.asn_covered and not pledge.signed_on:
        problems.append(("signed_on", _("Give the date the pledge was signed.")))
    if pledge.signed_on and pledge.signed_on > timezone.localdate():
        problems.append(("signed_on", _("The signing date cannot be in the future.")))
    return problems


@transaction.atomic
def save_pledge(pledge: Pledge, *, actor, before: dict | None = None, document=None,
                expected_version: int | None = None) -> Pledge:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    _raise(pledge_problems(pledge))
    checked = None
    if document:
        from posko.core.uploads import DOCUMENT_KINDS, check_upload

        try:
            checked = check_upload(document, DOCUMENT_KINDS)
        except ValidationError as exc:
            raise ValidationError({"document": exc.messages}) from exc
    if pledge.pk is None and Pledge.objects.filter(election=pledge.election,
                                                  agency=pledge.agency).exists():
        raise ValidationError({"agency": [_("This agency already has a pledge for this election; "
                                            "edit that one.")]})
    if checked:
        pledge.document.save(f"{checked.token}{checked.kind.extension}", checked.file, save=False)
    if pledge.pk is None:
        return services.create(pledge, actor=actor)
    return services.update(pledge, actor=actor, before=before, expected_version=expected_version)


def pledge_overview(election, agencies=None) -> list[dict]:
    """Every Pemda agency with its pledge (or none), and whether it covers too few."""
    conf = settings_for(election)
    pledges = {p.agency_id: p for p in Pledge.objects.filter(election=election)}
    agencies = agencies if agencies is not None else Agency.objects.filter(
        kind=Agency.Kind.PERANGKAT_DAERAH)
    rows = []
    for agency in agencies:
        pledge = pledges.get(agency.pk)
        if pledge is None or not pledge.is_signed:
            problem = "unsigned"
        elif (pledge.coverage_percent or 0) < conf.pledge_min_percent:
            problem = "too_few"
        else:
            problem = ""
        rows.append({"agency": agency, "pledge": pledge, "problem": problem})
    rows.sort(key=lambda r: ({"unsigned": 0, "too_few": 1, "": 2}[r["problem"]], r["agency"].name))
    return rows


# --- neutrality cases --------------------------------------------------------------------------------

MORAL = (NeutralityCase.Sanction.MORAL_TERTUTUP, NeutralityCase.Sanction.MORAL_TERBUKA)
DISCIPLINE = (NeutralityCase.Sanction.DISIPLIN_SEDANG, NeutralityCase.Sanction.DISIPLIN_BERAT)


def case_problems(case: NeutralityCase) -> list[tuple[str, str]]:
    problems = []
    S, B = NeutralityCase.Sanction, NeutralityCase.BreachType
    if not (case.asn_name or "").strip():
        problems.append(("asn_name", _("Give the name of the ASN.")))
    if case.sanction in DISCIPLINE and case.breach_type == B.KODE_ETIK:
        problems.append(("sanction", _(
            "A code-of-ethics breach brings a moral sanction, not a disciplinary penalty "
            "(SKB of 22 Sep 2022).")))
    if case.sanction in MORAL and case.breach_type == B.DISIPLIN:
        problems.append(("sanction", _(
            "A disciplinary breach brings a medium or heavy disciplinary penalty, not a moral "
            "sanction (SKB of 22 Sep 2022).")))
    if case.sanction and case.sanction != S.TIDAK_TERBUKTI and not case.sanction_date:
        problems.append(("sanction_date", _("Give the date the sanction was imposed.")))
    if case.sanction_date and not case.sanction:
        problems.append(("sanction", _("Choose the sanction imposed on that date.")))
    if case.recommendation_date and not (case.bawaslu_recommendation or "").strip():
        problems.append(("bawaslu_recommendation", _("Write Bawaslu's recommendation.")))
    if (case.referred_bkn_on and case.recommendation_date
            and case.referred_bkn_on < case.recommendation_date):
        problems.append(("referred_bkn_on", _("The referral cannot be before the recommendation.")))
    if case.sanction_date and case.sanction_date < case.occurred_on:
        problems.append(("sanction_date", _("The sanction cannot be before the act.")))
    if case.occurred_on and case.occurred_on > timezone.localdate():
        problems.append(("occurred_on", _("The date cannot be in the future.")))
    return problems


def case_status(case: NeutralityCase) -> str:
    S, St = NeutralityCase.Sanction, NeutralityCase.Status
    if case.sanction == S.TIDAK_TERBUKTI:
        return St.DIHENTIKAN
    if case.sanction:
        return St.DISANKSI
    if case.referred_bkn_on or case.referred_ppk_on:
        return St.DIRUJUK
    if case.recommendation_date or (case.bawaslu_recommendation or "").strip():
        return St.DIREKOMENDASIKAN
    if (case.bawaslu_finding or "").strip():
        return St.DIKAJI
    return St.DILAPORKAN


@transaction.atomic
def save_case(case: NeutralityCase, *, actor, before: dict | None = None,
              expected_version: int | None = None) -> NeutralityCase:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    _raise(case_problems(case))
    case.status = case_status(case)
    if case.pk is None:
        return services.create(case, actor=actor)
    return services.update(case, actor=actor, before=before, expected_version=expected_version)


def case_from_report(report: Report) -> NeutralityCase:
    """A new (unsaved) case prefilled from a report of category netralitas ASN."""
    return NeutralityCase(election=report.election, report=report, agency=report.agency,
                          act=report.description,
                          occurred_on=timezone.localtime(report.occurred_at).date(),
                          breach_type=NeutralityCase.BreachType.KODE_ETIK)


def mask_name(name: str) -> str:
    """"Budi Santoso" → "B*** S*****" (UU PDP: shown only to who may see personal data)."""
    return " ".join(part[0] + "*" * (len(part) - 1) if part else "" for part in (name or "").split())


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
