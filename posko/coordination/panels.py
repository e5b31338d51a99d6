"""The coordination panel on the TPS page: open tasks for the TPS and for its kelurahan as a
whole (three queries)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from posko.coordination.models import Task
from posko.core import clock
from posko.core.tps_panels import register_panel

LIMIT = 8


def build(tps, request) -> dict:
    tasks = Task.objects.visible_to(request.user).filter(
        Q(tps=tps) | Q(tps__isnull=True, kelurahan_id=tps.kelurahan_id),
        election_id=tps.election_id).exclude(status=Task.Status.SELESAI)
    counts = tasks.aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=clock.now())),
                             here=Count("pk", filter=Q(tps=tps)))
    return {"counts": counts, "tasks": list(tasks.order_by("due_at", "-priority", "pk")[:LIMIT]),
            "more": max(0, counts["open"] - LIMIT), "now": clock.now(),
            "list_query": f"kelurahan={tps.kelurahan_id}"}


def register() -> None:
    register_panel("coordination", _("Open tasks"), build, "coordination/_tps_panel.html",
                   order=70)
