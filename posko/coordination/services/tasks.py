"""Writes to tasks: validate, save, audit and notify in one transaction.

Views, the API, templates, meetings and checklists all create and change tasks
through these functions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.coordination import notify, readiness_component
from posko.coordination.models import Attachment, Notification, Task, TaskChecklistItem, TaskNote
from posko.coordination.rules import check_assignees, check_due, check_status
from posko.core import audit, clock, services
from posko.core.services import raise_problems
from posko.core.uploads import DOCUMENT_KINDS, check_upload


def task_problems(task: Task, assignees) -> dict[str, list[str]]:
    """The task rules (``rules.py``) for a task about to be saved, by field."""
    task.set_place()
    problems = [*check_due(task.due_at, task.created_at or clock.now()),
                *check_status(task.status, task.blocked_reason),
                *check_assignees(task, assignees)]
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        errors.setdefault(field, []).append(message)
    return errors


# --- writes ----------------------------------------------------------------------------

def _notify_assigned(task: Task, users) -> None:
    for user in users:
        notify.notify(
            user, Notification.Kind.ASSIGNED, _("New task: %(title)s") % {"title": task.title},
            key=f"assigned:{task.pk}:{user.pk}", url=task.get_absolute_url(), task=task,
            body=_("Due %(due)s. %(place)s") % {
                "due": timezone.localtime(task.due_at).strftime("%d-%m-%Y %H:%M"),
                "place": task.place_label})


@transaction.atomic
def create_task(task: Task, *, actor, assignees=(), checklist: list[str] | None = None) -> Task:
    if task.created_at is None:
        task.created_at = clock.now()
    assignees = list(assignees)
    raise_problems(task_problems(task, assignees))
    task.created_by = actor if getattr(actor, "is_authenticated", False) else None
    if task.status != Task.Status.TERHAMBAT:
        task.blocked_reason = ""
    if task.status == Task.Status.SELESAI:
        task.completed_at = clock.now()
    services.create(task, actor=actor)
    task.assignees.set(assignees)
    for order, text in enumerate(checklist or []):
        if text.strip():
            TaskChecklistItem.objects.create(task=task, text=text.strip()[:300], order=order)
    _notify_assigned(task, assignees)
    readiness_component.task_changed(task)
    return task


@transaction.atomic
def update_task(task: Task, *, actor, before: dict, expected_version: int,
                assignees=None) -> Task:
    """Save an edited task. ``before`` is its snapshot before the edit; ``expected_version``
    the version the editor loaded (a concurrent save makes this fail with ConflictError)."""
    old_assignees = set(task.assignees.values_list("pk", flat=True))
    new_assignees = list(assignees) if assignees is not None else None
    # Assignees are checked when they are given, or when the task moves to another place;
    # a status change alone never fails on them.
    task.set_place()
    moved = (before.get("kecamatan"), before.get("kelurahan")) != (task.kecamatan_id,
                                                                    task.kelurahan_id)
    to_check = new_assignees if new_assignees is not None else (
        list(task.assignees.all()) if moved else [])
    raise_problems(task_problems(task, to_check))
    if task.status == Task.Status.SELESAI and not task.completed_at:
        task.completed_at = clock.now()
    elif task.status != Task.Status.SELESAI:
        task.completed_at = None
    if task.status != Task.Status.TERHAMBAT:
        task.blocked_reason = ""
    services.update(task, actor=actor, before=before, expected_version=expected_version)
    if new_assignees is not None:
        task.assignees.set(new_assignees)
        added = [u for u in new_assignees if u.pk not in old_assignees]
        if added or set(u.pk for u in new_assignees) != old_assignees:
            audit.record("update", task, actor=actor, message=_("assignees: %(names)s") % {
                "names": ", ".join(u.get_username() for u in new_assignees) or "-"})
        _notify_assigned(task, added)
    if before.get("status") != task.status:
        TaskNote.objects.create(task=task, author=actor, status_from=before.get("status", ""),
                                status_to=task.status, text=task.blocked_reason)
    if (before.get("status"), before.get("priority"), before.get("tps")) != (
            task.status, task.priority, task.tps_id):
        readiness_component.task_changed(task, before)
    return task


@transaction.atomic
def change_status(task: Task, status: str, *, actor, expected_version: int,
                  reason: str = "") -> Task:
    before = audit.snapshot(task)
    task.status = status
    task.blocked_reason = reason if status == Task.Status.TERHAMBAT else ""
    return update_task(task, actor=actor, before=before, expected_version=expected_version)


@transaction.atomic
def add_note(task: Task, *, actor, text: str, files=()) -> TaskNote:
    """A progress note with optional photos/PDFs (each checked by content and size)."""
    checked = []
    errors = []
    for upload in files:
        try:
            checked.append(check_upload(upload, DOCUMENT_KINDS))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not (text or "").strip() and not checked and not errors:
        errors.append(_("Write a note or attach a file."))
    if errors:
        raise ValidationError({"text": errors})
    note = TaskNote.objects.create(task=task, author=actor, text=text.strip())
    for item in checked:
        store_attachment(item, actor=actor, note=note)
    audit.record("update", task, actor=actor, message=_("note: %(text)s") % {"text": text[:150]})
    return note


def store_attachment(item, *, actor, note=None, meeting=None) -> Attachment:
    attachment = Attachment(note=note, meeting=meeting, token=item.token,
                            extension=item.kind.extension, original_name=item.original_name,
                            content_type=item.kind.content_type, size=item.size, uploaded_by=actor)
    attachment.file.save(f"{item.token}{item.kind.extension}", item.file, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def toggle_checklist_item(item: TaskChecklistItem, *, actor, done: bool) -> TaskChecklistItem:
    if item.done != done:
        item.done = done
        item.save(update_fields=["done"])
        audit.record("update", item.task, actor=actor, message=_("checklist: %(item)s %(state)s") % {
            "item": item.text[:100], "state": "✓" if done else "✗"})
    return item
