"""The coordination component of the readiness index (``core.readiness``): 0 while a task
of high or urgent priority is open at the TPS, else 1 (TPS without such a task: 1)."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.coordination.models import Task
from posko.core import readiness
from posko.elections.models import Tps

CRITICAL = (Task.Priority.TINGGI, Task.Priority.MENDESAK)


def compute(election, tps_ids):
    tps = Tps.objects.filter(election=election)
    open_tasks = Task.objects.filter(election=election, tps__isnull=False,
                                     priority__in=CRITICAL).exclude(status=Task.Status.SELESAI)
    if tps_ids is not None:
        tps = tps.filter(pk__in=list(tps_ids))
        open_tasks = open_tasks.filter(tps_id__in=list(tps_ids))
    counts = Counter(open_tasks.values_list("tps_id", flat=True))
    none = _("no open high-priority task")
    return {pk: ((0.0, _("%(count)s open high-priority tasks") % {"count": counts[pk]})
                 if counts[pk] else (1.0, none))
            for pk in tps.values_list("pk", flat=True).iterator(chunk_size=2000)}


def task_changed(task, before: dict | None = None) -> None:
    """A task of priority high or urgent at a TPS was created, closed, reopened or moved
    (``before``: its snapshot before the edit): the readiness consumer recomputes the
    component there after the write commits. Other tasks announce nothing."""
    ids = {task.tps_id} if task.tps_id and task.priority in CRITICAL else set()
    if before and before.get("tps") and before.get("priority") in CRITICAL:
        ids.add(int(before["tps"]))
    if ids:
        readiness.changed("tasks", task.election, sorted(ids))


def register() -> None:
    readiness.register_component("tasks", gettext_lazy("No open critical task"), "Desk", 10,
                                 compute, order=50)
