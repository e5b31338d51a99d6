"""The coordination module's implementation of ``core.tasks``: other modules create Desk
Pilkada tasks (with a ``source`` key) and read back their status."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posko.coordination.models import Task
from posko.coordination.services import tasks as services
from posko.core import clock, tasks

PRIORITIES = {"low": Task.Priority.RENDAH, "normal": Task.Priority.SEDANG,
              "high": Task.Priority.TINGGI, "urgent": Task.Priority.MENDESAK}
DEFAULT_DUE = datetime.timedelta(days=3)


def _ref(task: Task) -> tasks.TaskRef:
    return tasks.TaskRef(
        pk=task.pk, source=task.source, title=task.title, url=task.get_absolute_url(),
        status=task.status, status_label=str(task.get_status_display()),
        is_done=task.status == Task.Status.SELESAI,
        agency=str(task.agency) if task.agency_id else "", due_at=task.due_at)


class CoordinationTaskProvider(tasks.TaskProvider):
    def create(self, request: tasks.TaskRequest, *, actor) -> tasks.TaskRef:
        if request.agency is None:
            raise ValidationError({"agency": [_("Choose the agency that will act on it.")]})
        task = Task(
            election=request.election, title=request.title[:200],
            description=request.description, agency=request.agency,
            kecamatan=request.kecamatan, kelurahan=request.kelurahan, tps=request.tps,
            due_at=request.due_at or clock.now() + DEFAULT_DUE,
            priority=PRIORITIES.get(request.priority, Task.Priority.SEDANG),
            source=request.source[:80])
        task.set_place()
        services.create_task(task, actor=actor)
        return _ref(task)

    def find(self, sources) -> dict[str, list[tasks.TaskRef]]:
        found: dict[str, list[tasks.TaskRef]] = {}
        sources = list(sources)
        for start in range(0, len(sources), 500):
            chunk = sources[start:start + 500]
            for task in Task.objects.filter(source__in=chunk).select_related("agency").order_by(
                    "due_at", "pk"):
                found.setdefault(task.source, []).append(_ref(task))
        return found
