"""Rules and writes of the outreach module. Views, the API, the imports and the demo call
only these; every write validates, saves and audits in one transaction.

Who may do what
---------------
* **Record an activity**: Desk Pilkada admins anywhere in the Pemda; a camat in their
  kecamatan; a lurah in their kelurahan (a kelurahan outside the user's scope is a 404,
  never a hint that it exists); an agency operator for activities their agency organises,
  anywhere in the Pemda.
* **Change, mark held, cancel, delete**: the same people for the activities inside their
  region (agency operators: their agency's activities).
* **Turnout per TPS**: admins, camat and lurah for the TPS of their region.
* **Targets, settings, target groups**: Desk Pilkada admins.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.core import audit, services
from posko.core.uploads import DOCUMENT_KINDS, PHOTO_KINDS, check_upload
from posko.elections.models import place_codes
from posko.outreach.models import (
    Activity,
    Attachment,
    OutreachSettings,
    TargetGroup,
    TpsTurnout,
    TurnoutTarget,
)
from posko.regions.models import Kecamatan, Kelurahan, Pemda

Kind = Activity.Kind
Status = Activity.Status
Organiser = Activity.OrganiserKind

#: How far a phone's clock may run ahead before "held" counts as "in the future".
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)
MAX_FILES = 10
_RT_RW = re.compile(r"\d{1,3}")

DEFAULT_GROUPS = (
    ("pemilih-pemula", "Pemilih pemula", 10),
    ("perempuan", "Perempuan", 20),
    ("disabilitas", "Penyandang disabilitas", 30),
    ("lansia", "Lansia", 40),
    ("perantau", "Pekerja/mahasiswa perantau", 50),
    ("masyarakat-umum", "Masyarakat umum", 60),
)


def ensure_default_groups(**kwargs) -> int:
    """Create the default target groups that are missing (post_migrate and the demo)."""
    existing = set(TargetGroup.objects.values_list("code", flat=True))
    missing = [TargetGroup(code=c, name=n, order=o) for c, n, o in DEFAULT_GROUPS if c not in existing]
    TargetGroup.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# --- permissions ----------------------------------------------------------------------

def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_record(user) -> bool:
    if not _active(user):
        return False
    role = user.effective_role
    return role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN) or (
        role == Role.AGENCY and bool(user.agency_id))


def may_edit(user, activity: Activity) -> bool:
    """Inside the user's region (agency operators: their agency's activities)."""
    if not can_record(user):
        return False
    role = user.effective_role
    if role == Role.ADMIN:
        return True
    if role == Role.KECAMATAN:
        return bool(activity.kecamatan_id) and activity.kecamatan_id == user.kecamatan_id
    if role == Role.KELURAHAN:
        return bool(activity.kelurahan_id) and activity.kelurahan_id == user.kelurahan_id
    return activity.organiser_kind == Organiser.AGENCY and activity.agency_id == user.agency_id


def may_enter_turnout(user, tps) -> bool:
    if not (_active(user) and user.can_edit_registry):
        return False
    if user.is_desk_admin:
        return True
    if user.effective_role == Role.KECAMATAN:
        return tps.kecamatan_id == user.kecamatan_id
    return tps.kelurahan_id == user.kelurahan_id


# --- activity rules -------------------------------------------------------------------

def organiser_key(activity: Activity) -> str:
    kind = activity.organiser_kind
    if kind == Organiser.AGENCY:
        return f"agency:{activity.agency_id or ''}"
    if kind == Organiser.PARTNER:
        return "partner:" + " ".join((activity.partner_name or "").lower().split())[:150]
    if kind == Organiser.KECAMATAN:
        return f"kecamatan:{activity.kecamatan_id or ''}"
    return f"kelurahan:{activity.kelurahan_id or ''}"


def _place(activity: Activity) -> None:
    """kecamatan and kab/kota follow the kelurahan; without a place, the Pemda's kab/kota."""
    if activity.kelurahan_id:
        activity.kecamatan_id, activity.kabkota_id = place_codes(activity.kelurahan_id)
    elif activity.kecamatan_id:
        activity.kabkota_id = activity.kecamatan_id.rsplit(".", 1)[0]
    else:
        pemda = Pemda.current()
        activity.kabkota_id = pemda.kabkota_id if pemda and pemda.kabkota_id else None


def check_place_in_scope(user, kecamatan_id: str | None, kelurahan_id: str | None) -> None:
    """A kecamatan or kelurahan outside the user's scope (or the Pemda) is a 404."""
    if kelurahan_id and not Kelurahan.objects.visible_to(user).filter(code=kelurahan_id).exists():
        raise Http404(_("There is no such kelurahan in your area."))
    if kecamatan_id and not Kecamatan.objects.visible_to(user).filter(code=kecamatan_id).exists():
        raise Http404(_("There is no such kecamatan in your area."))


def _number_problem(value, label: str) -> str:
    if value is None:
        return ""
    if value < 0:
        return _("%(label)s cannot be negative.") % {"label": label}
    return ""


def activity_problems(activity: Activity, groups, *, actor=None, confirm_large=False,
                      now=None) -> dict[str, list[str]]:
    """Every rule of an activity: ``{field: [message]}`` (empty when it may be saved)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    kind = activity.kind
    if kind not in Kind.values:
        add("kind", _("Choose the kind of activity."))
    if not (activity.title or "").strip():
        add("title", _("Give the activity a short title."))
    if activity.starts_at is None:
        add("starts_at", _("Enter the date and time."))
    # place
    if kind != Kind.MEDIA and not activity.kelurahan_id:
        add("kelurahan", _("Choose the kelurahan where the activity takes place (only media and "
                           "online activities may have no place)."))
    if activity.kelurahan_id and activity.kecamatan_id and \
            not activity.kelurahan_id.startswith(activity.kecamatan_id + "."):
        add("kelurahan", _("This kelurahan is not in the chosen kecamatan."))
    for name, label in (("rw", "RW"), ("rt", "RT")):
        value = getattr(activity, name) or ""
        if value and not _RT_RW.fullmatch(value):
            add(name, _("%(label)s is a number of up to 3 digits.") % {"label": label})
    if (activity.latitude is None) != (activity.longitude is None):
        add("longitude", _("Enter both latitude and longitude, or neither."))
    if activity.latitude is not None and not (-11 <= activity.latitude <= 6):
        add("latitude", _("The latitude is outside Indonesia (-11 to 6)."))
    if activity.longitude is not None and not (94 <= activity.longitude <= 142):
        add("longitude", _("The longitude is outside Indonesia (94 to 142)."))
    # organiser
    org = activity.organiser_kind
    if org not in Organiser.values:
        add("organiser_kind", _("Choose who organises the activity."))
    elif org == Organiser.AGENCY and not activity.agency_id:
        add("agency", _("Choose the organising agency."))
    elif org == Organiser.PARTNER and not (activity.partner_name or "").strip():
        add("partner_name", _("Name the partner (e.g. KPU Kota Malang)."))
    elif org == Organiser.KECAMATAN and not activity.kecamatan_id:
        add("kecamatan", _("A kecamatan office organises in a kecamatan: choose it."))
    elif org == Organiser.KELURAHAN and not activity.kelurahan_id:
        add("kelurahan", _("A kelurahan office organises in a kelurahan: choose it."))
    if actor is not None and getattr(actor, "effective_role", None) == Role.AGENCY and not (
            org == Organiser.AGENCY and activity.agency_id == actor.agency_id):
        add("organiser_kind", _("As an agency operator you record your own agency's activities."))
    # status and figures
    status = activity.status
    attendance_label = _("Attendance")
    for field, label in (("expected_attendance", _("Expected attendance")),
                         ("attendance", attendance_label),
                         ("attendance_men", _("Men")), ("attendance_women", _("Women"))):
        message = _number_problem(getattr(activity, field), label)
        if message:
            add(field, message)
    if status == Status.HELD:
        if activity.starts_at is not None and activity.starts_at > now + CLOCK_TOLERANCE:
            add("starts_at", _("An activity in the future cannot be marked held: check the date "
                               "and time, or keep it planned."))
        if activity.attendance is None:
            add("attendance", _("Enter how many people attended."))
    elif status == Status.PLANNED:
        if activity.attendance is not None or activity.attendance_men is not None or \
                activity.attendance_women is not None:
            add("attendance", _("A planned activity has no attendance yet: mark it held to "
                                "enter the actual figures."))
    elif status == Status.CANCELLED:
        if not (activity.cancel_reason or "").strip():
            add("cancel_reason", _("Give the reason for cancelling."))
    men, women, total = activity.attendance_men, activity.attendance_women, activity.attendance
    if total is not None and total >= 0 and (men or 0) >= 0 and (women or 0) >= 0 and \
            (men or 0) + (women or 0) > total:
        add("attendance_women", _("Men and women together (%(sum)s) are more than the "
                                  "attendance (%(total)s).") % {"sum": (men or 0) + (women or 0),
                                                                "total": total})
    if not errors.get("attendance") and kind in Kind.values:
        settings = OutreachSettings.for_election(activity.election)
        cap = settings.cap_for(kind)
        for field in ("attendance", "expected_attendance"):
            value = getattr(activity, field)
            if value is not None and value > cap and not confirm_large:
                add(field, _("%(n)s people is more than usual for %(kind)s (%(cap)s). Check the "
                             "number; if it is right, tick “The number is right” and save "
                             "again.") % {"n": f"{value:,}".replace(",", "."),
                                          "kind": Kind(kind).label.lower(),
                                          "cap": f"{cap:,}".replace(",", ".")})
    if groups is not None and not list(groups):
        add("target_groups", _("Choose at least one target group."))
    # duplicates: same organiser, place and time (cancelled ones do not count)
    if not errors and activity.starts_at is not None:
        same = Activity.objects.filter(
            election_id=activity.election_id, organiser_key=organiser_key(activity),
            kelurahan_id=activity.kelurahan_id, kecamatan_id=activity.kecamatan_id,
            starts_at__gte=activity.starts_at.replace(second=0, microsecond=0),
            starts_at__lt=activity.starts_at.replace(second=0, microsecond=0)
            + datetime.timedelta(minutes=1),
        ).exclude(status=Status.CANCELLED)
        if activity.pk:
            same = same.exclude(pk=activity.pk)
        other = same.first()
        if other is not None:
            add("starts_at", _("This activity is already recorded: “%(title)s” (same organiser, "
                               "place and time, #%(pk)s).") % {"title": other.title, "pk": other.pk})
    return errors


def _check_files(photos, sheets) -> tuple[list, dict]:
    checked, errors = [], {}
    photos, sheets = list(photos or []), list(sheets or [])
    if len(photos) + len(sheets) > MAX_FILES:
        errors["photos"] = [_("At most %(n)s files at once.") % {"n": MAX_FILES}]
        return [], errors
    for field, files, kinds, kind in (("photos", photos, PHOTO_KINDS, Attachment.Kind.PHOTO),
                                      ("sheets", sheets, DOCUMENT_KINDS,
                                       Attachment.Kind.ATTENDANCE_SHEET)):
        for upload in files:
            try:
                checked.append((kind, check_upload(upload, kinds)))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
    return checked, errors


def _store_files(activity, checked, actor) -> list[str]:
    stored = []
    user = actor if getattr(actor, "is_authenticated", False) else None
    try:
        for kind, item in checked:
            attachment = Attachment(activity=activity, kind=kind, original_name=item.original_name,
                                    content_type=item.kind.content_type, size=item.size,
                                    uploaded_by=user)
            attachment.file.save(f"{item.token}{item.kind.extension}", item.file, save=False)
            stored.append(attachment.file.name)
            attachment.save()
            audit.record("create", attachment, actor=actor,
                         after={"activity": activity.pk, "kind": kind,
                                "name": item.original_name, "size": item.size},
                         object_repr=f"{activity}: {item.original_name}")
    except Exception:
        _delete_files(stored)
        raise
    return stored


def _delete_files(names) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            pass


def _snapshot(activity: Activity) -> dict:
    data = audit.snapshot(activity)
    if activity.pk:
        data["target_groups"] = sorted(activity.target_groups.values_list("code", flat=True))
    return data


def save_activity(activity: Activity, groups=None, *, actor, confirm_large: bool = False,
                  photos=(), sheets=(), expected_version: int | None = None) -> Activity:
    """Create or change an activity (``groups``: TargetGroup objects; None keeps them).
    Raises Http404 for a place outside the actor's scope, PermissionDenied when the actor
    may not record it, ValidationError with every problem otherwise; nothing is saved."""
    if not can_record(actor):
        raise PermissionDenied
    check_place_in_scope(actor, activity.kecamatan_id, activity.kelurahan_id)
    _place(activity)
    if activity.pk is not None:
        current = Activity.objects.get(pk=activity.pk)
        if not may_edit(actor, current):
            raise PermissionDenied
    groups = list(groups) if groups is not None else None
    errors = activity_problems(activity, groups, actor=actor, confirm_large=confirm_large)
    checked, file_errors = _check_files(photos, sheets)
    for key, messages in file_errors.items():
        errors.setdefault(key, []).extend(messages)
    if activity.kabkota_id is None and "kelurahan" not in errors:
        errors.setdefault("kecamatan", []).append(
            _("Choose a kecamatan: the Pemda covers more than one regency/city."))
    if errors:
        raise ValidationError(errors)
    if not may_edit(actor, activity):
        raise PermissionDenied
    activity.organiser_key = organiser_key(activity)
    if activity.status != Status.CANCELLED:
        activity.cancel_reason = ""
    with transaction.atomic():
        stored = []
        try:
            if activity.pk is None:
                activity.created_by = actor if getattr(actor, "is_authenticated", False) else None
                activity.full_clean(exclude=["organiser_key", "kabkota"])
                activity.save()
                if groups is not None:
                    activity.target_groups.set(groups)
                audit.record("create", activity, actor=actor, after=_snapshot(activity))
            else:
                before = _snapshot(Activity.objects.get(pk=activity.pk))
                services.bump_version(activity, expected_version if expected_version is not None
                                      else before.get("version"))
                activity.full_clean(exclude=["organiser_key", "kabkota"])
                activity.save()
                if groups is not None:
                    activity.target_groups.set(groups)
                after = _snapshot(activity)
                if after != before:
                    audit.record("update", activity, actor=actor, before=before, after=after)
            stored = _store_files(activity, checked, actor)
        except Exception:
            _delete_files(stored)
            raise
    return activity


def mark_held(activity: Activity, *, actor, attendance, attendance_men=None, attendance_women=None,
              starts_at=None, notes: str = "", photos=(), sheets=(), confirm_large=False,
              expected_version: int | None = None) -> Activity:
    """A planned activity took place: its actual figures (and, if it moved, its time)."""
    if activity.status == Status.CANCELLED:
        raise ValidationError({"status": [_("A cancelled activity cannot be marked held.")]})
    activity.status = Status.HELD
    activity.attendance, activity.attendance_men, activity.attendance_women = (
        attendance, attendance_men, attendance_women)
    if starts_at is not None:
        activity.starts_at = starts_at
    if notes and notes.strip():
        activity.notes = "\n".join(filter(None, [activity.notes, notes.strip()]))
    return save_activity(activity, None, actor=actor, confirm_large=confirm_large, photos=photos,
                         sheets=sheets, expected_version=expected_version)


def cancel(activity: Activity, reason: str, *, actor, expected_version: int | None = None):
    if activity.status == Status.HELD:
        raise ValidationError({"cancel_reason": [_("A held activity cannot be cancelled.")]})
    activity.status = Status.CANCELLED
    activity.cancel_reason = (reason or "").strip()[:300]
    return save_activity(activity, None, actor=actor, expected_version=expected_version)


def delete_activity(activity: Activity, *, actor) -> None:
    if not may_edit(actor, activity):
        raise PermissionDenied
    names = [a.file.name for a in activity.attachments.all()]
    services.delete(activity, actor=actor)
    transaction.on_commit(lambda: _delete_files(names))


# --- turnout ---------------------------------------------------------------------------

def turnout_problems(dpt: int, values: dict, voting_date=None, today=None) -> dict[str, list[str]]:
    """Rules of one TPS's turnout. ``values``: registered_dptb, registered_dpk, voted_dpt,
    voted_dptb, voted_dpk (ints or None)."""
    errors: dict[str, list[str]] = {}
    labels = {"registered_dptb": _("DPTb registered"), "registered_dpk": _("DPK registered"),
              "voted_dpt": _("Voters from the DPT"), "voted_dptb": _("Voters from the DPTb"),
              "voted_dpk": _("Voters from the DPK")}
    numbers = {}
    for field, label in labels.items():
        value = values.get(field)
        if value is None:
            if field == "voted_dpt":
                errors.setdefault(field, []).append(_("Enter the voters from the DPT."))
            numbers[field] = 0
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(field, []).append(_("%(label)s must be a whole number.") % {
                "label": label})
            numbers[field] = 0
        elif value < 0:
            errors.setdefault(field, []).append(_("%(label)s cannot be negative.") % {
                "label": label})
            numbers[field] = 0
        else:
            numbers[field] = value
    if errors:
        return errors
    if voting_date is not None and today is not None and today < voting_date:
        errors.setdefault("voted_dpt", []).append(
            _("Turnout can be entered from voting day (%(date)s).") % {
                "date": voting_date.strftime("%d-%m-%Y")})
    registered = dpt + numbers["registered_dptb"] + numbers["registered_dpk"]
    voted = numbers["voted_dpt"] + numbers["voted_dptb"] + numbers["voted_dpk"]
    if voted > registered:
        errors.setdefault("voted_dpt", []).append(
            _("%(voted)s voters is more than the %(registered)s registered at this TPS (DPT "
              "%(dpt)s + DPTb %(dptb)s + DPK %(dpk)s): check the figures.") % {
                "voted": voted, "registered": registered, "dpt": dpt,
                "dptb": numbers["registered_dptb"], "dpk": numbers["registered_dpk"]})
    if numbers["voted_dpt"] > dpt:
        errors.setdefault("voted_dpt", []).append(
            _("More voters from the DPT (%(voted)s) than the DPT of this TPS (%(dpt)s).") % {
                "voted": numbers["voted_dpt"], "dpt": dpt})
    if numbers["voted_dptb"] > numbers["registered_dptb"]:
        errors.setdefault("voted_dptb", []).append(
            _("More DPTb voters (%(voted)s) than DPTb registered (%(registered)s).") % {
                "voted": numbers["voted_dptb"], "registered": numbers["registered_dptb"]})
    if numbers["voted_dpk"] > numbers["registered_dpk"]:
        errors.setdefault("voted_dpk", []).append(
            _("More DPK voters (%(voted)s) than DPK registered (%(registered)s).") % {
                "voted": numbers["voted_dpk"], "registered": numbers["registered_dpk"]})
    return errors


def local_today() -> datetime.date:
    return timezone.localdate()


def save_turnout(tps, values: dict, *, actor, expected_version: int | None = None) -> TpsTurnout:
    """Create or change the turnout of ``tps``; ValidationError on any rule, nothing saved."""
    if not may_enter_turnout(actor, tps):
        raise PermissionDenied
    errors = turnout_problems(tps.dpt_men + tps.dpt_women, values, tps.election.voting_date,
                              local_today())
    if errors:
        raise ValidationError(errors)
    fields = ("registered_dptb", "registered_dpk", "voted_dpt", "voted_dptb", "voted_dpk")
    with transaction.atomic():
        turnout = TpsTurnout.objects.select_for_update().filter(tps=tps).first()
        is_new = turnout is None
        if is_new:
            turnout = TpsTurnout(election_id=tps.election_id, tps=tps, kabkota_id=tps.kabkota_id,
                                 kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id)
            before = None
        else:
            before = audit.snapshot(turnout)
        for field in fields:
            setattr(turnout, field, values.get(field) or 0)
        turnout.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        if is_new:
            turnout.save()
            audit.record("create", turnout, actor=actor, after=audit.snapshot(turnout))
        else:
            services.bump_version(turnout, expected_version if expected_version is not None
                                  else before["version"])
            turnout.save()
            after = audit.snapshot(turnout)
            if {k: v for k, v in after.items() if k not in ("updated_at", "version")} != \
                    {k: v for k, v in before.items() if k not in ("updated_at", "version")}:
                audit.record("update", turnout, actor=actor, before=before, after=after)
    return turnout


# --- targets and settings ---------------------------------------------------------------

def _admin_only(actor) -> None:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied


def update_settings(obj: OutreachSettings, *, actor, before: dict,
                    expected_version: int | None = None) -> OutreachSettings:
    _admin_only(actor)
    for kind, value in (obj.caps or {}).items():
        if kind not in Kind.values or not isinstance(value, int) or value < 1:
            raise ValidationError({"caps": [_("Caps are whole numbers of at least 1 per kind.")]})
    return services.update(obj, actor=actor, before=before, expected_version=expected_version)


def set_target(election, *, kecamatan: Kecamatan, kelurahan: Kelurahan | None,
               percent: Decimal | None, actor) -> TurnoutTarget | None:
    """Set (or with ``percent`` None remove) the target of a kecamatan or kelurahan."""
    _admin_only(actor)
    if kelurahan is not None and kelurahan.kecamatan_id != kecamatan.pk:
        raise ValidationError({"kelurahan": [_("This kelurahan is not in the chosen kecamatan.")]})
    current = TurnoutTarget.objects.filter(election=election, kecamatan=kecamatan,
                                           kelurahan=kelurahan).first()
    if percent is None:
        if current is not None:
            services.delete(current, actor=actor)
        return None
    if not (Decimal("1") <= percent <= Decimal("100")):
        raise ValidationError({"percent": [_("A target is between 1 and 100 %.")]})
    if current is None:
        return services.create(TurnoutTarget(election=election, kecamatan=kecamatan,
                                             kelurahan=kelurahan, percent=percent), actor=actor)
    before = audit.snapshot(current)
    current.percent = percent
    return services.update(current, actor=actor, before=before)


def save_group(group: TargetGroup, *, actor) -> TargetGroup:
    _admin_only(actor)
    group.name = (group.name or "").strip()
    if not group.code:
        from django.utils.text import slugify

        group.code = slugify(group.name)[:40] or "kelompok"
    if TargetGroup.objects.filter(name__iexact=group.name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": [_("A target group with this name exists already.")]})
    if group.pk is None:
        base, n = group.code, 2
        while TargetGroup.objects.filter(code=group.code).exists():
            group.code = f"{base[:36]}-{n}"
            n += 1
        return services.create(group, actor=actor)
    return services.update(group, actor=actor, before=audit.snapshot(
        TargetGroup.objects.get(pk=group.pk)))


# --- early warning → coordination task ---------------------------------------------------

def task_source(election, kelurahan_code: str) -> str:
    return f"outreach.kelurahan:{election.pk}:{kelurahan_code}"


def create_followup_task(election, kelurahan: Kelurahan, *, agency, actor, note: str = "",
                         reach: str = "", history: str = ""):
    """Extra outreach for an under-covered kelurahan as a coordination task."""
    from posko.core import tasks

    if not getattr(actor, "is_desk_admin", False) and not (
            getattr(actor, "effective_role", None) == Role.KECAMATAN
            and actor.kecamatan_id == kelurahan.kecamatan_id):
        raise PermissionDenied
    if not tasks.available():
        raise ValidationError(_("Coordination tasks are not available in this installation."))
    title = _("Extra outreach: %(kind)s %(name)s") % {"kind": kelurahan.kind_label,
                                                      "name": kelurahan.name}
    description = "\n".join(filter(None, [
        _("Low outreach coverage (%(reach)s per 1,000 voters) and low historical turnout "
          "(%(history)s).") % {"reach": reach or "0", "history": history or "—"},
        note.strip()]))
    return tasks.create_task(tasks.TaskRequest(
        election=election, title=title, source=task_source(election, kelurahan.code),
        description=description, agency=agency, kecamatan=kelurahan.kecamatan,
        kelurahan=kelurahan, priority="high"), actor=actor)
