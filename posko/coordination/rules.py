"""The coordination rules: each check returns the problems it finds, as ``(field, message)``
pairs or ``{field: [messages]}`` (``posko.core.services.raise_problems`` turns either into
one ValidationError). The
services call these before they write anything; forms call them to show the same messages.

* tasks: due date, the reason a task is blocked, who may be assigned;
* meeting decisions: the due date.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Role, User
from posko.coordination.models import Decision, Task

# --- tasks ------------------------------------------------------------------------------------

def check_due(due_at, created_at) -> list[tuple[str, str]]:
    if due_at is not None and created_at is not None and due_at < created_at:
        return [("due_at", _("The due date cannot be before the task was created (%(created)s).") % {
            "created": timezone.localtime(created_at).strftime("%d-%m-%Y %H:%M")})]
    return []


def check_status(status: str, blocked_reason: str) -> list[tuple[str, str]]:
    if status == Task.Status.TERHAMBAT and not (blocked_reason or "").strip():
        return [("blocked_reason", _("Say why the task is blocked."))]
    return []


def assignee_outside_region(user: User, task: Task) -> bool:
    """A camat or lurah can only be given tasks inside their own region."""
    role = user.effective_role
    if role == Role.KELURAHAN:
        return task.kelurahan_id is None or task.kelurahan_id != user.kelurahan_id
    if role == Role.KECAMATAN:
        return task.kecamatan_id is None or task.kecamatan_id != user.kecamatan_id
    return False


def check_assignees(task: Task, assignees) -> list[tuple[str, str]]:
    problems = []
    for user in assignees:
        if not user.is_active:
            problems.append(("assignees", _("%(user)s is not an active user.") % {
                "user": user.get_username()}))
        elif assignee_outside_region(user, task):
            problems.append(("assignees", _(
                "%(user)s works in %(scope)s and cannot be given a task outside it."
            ) % {"user": user.get_username(), "scope": user.scope_label}))
    return problems


# --- meeting decisions ----------------------------------------------------------------------

def check_decision_due(decision: Decision) -> list[tuple[str, str]]:
    meeting = decision.meeting
    if decision.due_at and meeting.starts_at and decision.due_at < meeting.starts_at:
        return [("due_at", _("The due date cannot be before the meeting (%(date)s).") % {
            "date": timezone.localtime(meeting.starts_at).strftime("%d-%m-%Y %H:%M")})]
    return []


def decision_problems(decision: Decision) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, message in check_decision_due(decision):
        errors.setdefault(field, []).append(message)
    return errors
