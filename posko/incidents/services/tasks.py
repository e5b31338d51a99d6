"""A report's follow-up as a Desk task (``posko.core.tasks``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from posko.core import audit, tasks
from posko.incidents.access import can_triage
from posko.incidents.models import (
    Report,
    Severity,
)

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
