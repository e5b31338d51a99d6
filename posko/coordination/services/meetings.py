"""Writes to coordination meetings, their decisions and attachments: validate, save,
audit (and notify) in one transaction. Views only call these."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.coordination import notify
from posko.coordination.models import Decision, Meeting, Notification, Task
from posko.coordination.rules import check_assignees, decision_problems
from posko.coordination.services import tasks as task_services
from posko.core import audit, clock, services
from posko.core.services import raise_problems
from posko.core.uploads import DOCUMENT_KINDS, check_upload

DEFAULT_DECISION_DAYS = 7  # a decision without a due date is due a week after the meeting


def _agency_names(agencies) -> str:
    return ", ".join(str(a) for a in agencies) or "-"


# --- meetings -----------------------------------------------------------------------------------


@transaction.atomic
def create_meeting(meeting: Meeting, *, actor, agencies=None) -> Meeting:
    meeting.created_by = actor if getattr(actor, "is_authenticated", False) else None
    agencies = list(agencies or [])
    services.create(meeting, actor=actor, message=_("attending agencies: %(names)s") % {
        "names": _agency_names(agencies)} if agencies else "")
    meeting.agencies.set(agencies)
    return meeting


@transaction.atomic
def update_meeting(meeting: Meeting, *, actor, before: dict, expected_version: int,
                   agencies=None) -> Meeting:
    """Save an edited meeting. ``expected_version`` is the version the editor loaded:
    if someone saved the meeting in between, ConflictError is raised and nothing is saved."""
    services.update(meeting, actor=actor, before=before, expected_version=expected_version)
    if agencies is not None:
        agencies = list(agencies)
        if set(meeting.agencies.values_list("pk", flat=True)) != {a.pk for a in agencies}:
            meeting.agencies.set(agencies)
            audit.record("update", meeting, actor=actor, message=_(
                "attending agencies: %(names)s") % {"names": _agency_names(agencies)})
    return meeting


# --- decisions ----------------------------------------------------------------------------------


@transaction.atomic
def create_decision(decision: Decision, *, actor) -> Decision:
    raise_problems(decision_problems(decision))
    return services.create(decision, actor=actor)


@transaction.atomic
def update_decision(decision: Decision, *, actor, before: dict) -> Decision:
    raise_problems(decision_problems(decision))
    return services.update(decision, actor=actor, before=before)


def task_title(text: str) -> str:
    """A task title from a decision's text: one line, at most 200 characters."""
    return Truncator(" ".join(text.split())).chars(200)


def _task_url(task: Task, fallback: str) -> str:
    try:
        return task.get_absolute_url()
    except NoReverseMatch:  # the task pages are not installed (yet)
        return fallback


@transaction.atomic
def decision_to_task(decision: Decision, *, actor) -> tuple[Task, bool]:
    """Make the decision a task in one step; return ``(task, created)``.

    Title from the decision's text, its responsible agency (required), its person
    responsible as assignee, its due date or a week after the meeting, the meeting's
    election. A person bound to a kecamatan or kelurahan gets the task placed in their
    region (they can only be given tasks there). The assignee is notified once, with a
    "decision assigned" notification. A second call returns the existing task."""
    decision = (Decision.objects.select_for_update(of=("self",)).select_related("meeting__election", "agency",
                                                                    "assignee", "task")
                .get(pk=decision.pk))
    if decision.task_id:
        return decision.task, False
    meeting = decision.meeting
    if not decision.agency_id:
        raise ValidationError(_("This decision has no responsible agency, so it cannot become a "
                                "task yet. Edit the decision, choose the agency, then try again."))
    now = clock.now()
    due = decision.due_at
    if due is None:
        due = meeting.starts_at + datetime.timedelta(days=DEFAULT_DECISION_DAYS)
        if due < now:
            raise ValidationError(_(
                "This decision has no due date and a week after the meeting has already passed. "
                "Edit the decision and give it a due date, then try again."))
    text = decision.text.strip()
    task = Task(election=meeting.election, title=task_title(text), agency=decision.agency,
                due_at=due, created_at=now,
                description=_("%(text)s\n\nDecision of the meeting \"%(meeting)s\" of %(date)s.") % {
                    "text": text, "meeting": meeting.title,
                    "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y")})
    assignee = decision.assignee
    if assignee is not None:
        if assignee.effective_role == Role.KELURAHAN and assignee.kelurahan_id:
            task.kelurahan_id = assignee.kelurahan_id
        elif assignee.effective_role == Role.KECAMATAN and assignee.kecamatan_id:
            task.kecamatan_id = assignee.kecamatan_id
        task.set_place()
        problems = check_assignees(task, [assignee])
        if problems:
            raise ValidationError([message for _field, message in problems])
    # The assignee is added after create_task so that they get one notification (the
    # decision's), not a "new task" one as well.
    task_services.create_task(task, actor=actor, assignees=())
    if assignee is not None:
        task.assignees.set([assignee])
    decision.task = task
    decision.save(update_fields=["task"])
    audit.record("update", meeting, actor=actor, message=_(
        "decision %(number)s became task %(task)s: %(title)s") % {
            "number": decision.pk, "task": task.pk, "title": task.title[:100]})
    if assignee is not None:
        notify.notify(
            assignee, Notification.Kind.DECISION,
            _("Decision assigned to you: %(title)s") % {"title": task.title},
            key=f"decision:{decision.pk}:{assignee.pk}", task=task,
            url=_task_url(task, meeting.get_absolute_url()),
            body=_("Meeting \"%(meeting)s\" of %(date)s. Due %(due)s.") % {
                "meeting": meeting.title,
                "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y"),
                "due": timezone.localtime(due).strftime("%d-%m-%Y %H:%M")})
    return task, True


# --- attachments --------------------------------------------------------------------------------


@transaction.atomic
def attach_files(meeting: Meeting, *, actor, files) -> list:
    """Store photos/PDFs on the meeting; every file is checked by content and size first,
    and if one is refused none is stored."""
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(check_upload(upload, DOCUMENT_KINDS))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not checked and not errors:
        errors.append(_("Choose a file to attach."))
    if errors:
        raise ValidationError(errors)
    stored = [task_services.store_attachment(item, actor=actor, meeting=meeting) for item in checked]
    audit.record("update", meeting, actor=actor, message=_("attachments: %(names)s") % {
        "names": ", ".join(a.original_name for a in stored)})
    return stored
