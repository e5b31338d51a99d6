"""Coordination models, one file per capability; every model is importable from here."""

from posko.coordination.models.checklists import (
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    finding_photo_path,
)
from posko.coordination.models.desk import Desk, Division
from posko.coordination.models.meetings import Decision, Meeting, MeetingQuerySet
from posko.coordination.models.notifications import Notification, NotificationQuerySet
from posko.coordination.models.tasks import (
    Attachment,
    Task,
    TaskChecklistItem,
    TaskNote,
    TaskQuerySet,
    attachment_path,
)
from posko.coordination.models.templates import TaskTemplate, TaskTemplateItem

__all__ = [
    "Desk", "Division", "TaskQuerySet", "Task", "TaskChecklistItem", "TaskNote",
    "attachment_path", "Attachment", "TaskTemplate", "TaskTemplateItem", "MeetingQuerySet",
    "Meeting", "Decision", "SupervisionChecklist", "SupervisionItem", "finding_photo_path",
    "SupervisionResponse", "NotificationQuerySet", "Notification",
]
