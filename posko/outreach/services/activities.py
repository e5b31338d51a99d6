"""Activities: save (with photos and attendance sheets), held, cancelled, deleted; validated, saved and audited in one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, services
from posko.core.uploads import DOCUMENT_KINDS, PHOTO_KINDS, check_upload
from posko.outreach import readiness_component
from posko.outreach.access import can_record, may_edit
from posko.outreach.models import (
    Activity,
    Attachment,
)
from posko.outreach.rules import _place, activity_problems, check_place_in_scope, organiser_key

Kind = Activity.Kind
Status = Activity.Status
Organiser = Activity.OrganiserKind
MAX_FILES = 10


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
                readiness_component.activity_changed(activity)
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
                    readiness_component.activity_changed(activity, before)
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
    before = _snapshot(activity)
    services.delete(activity, actor=actor)
    readiness_component.activity_changed(activity, before)
    transaction.on_commit(lambda: _delete_files(names))
