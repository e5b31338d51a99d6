"""BPJS Ketenagakerjaan coverage of a worker and the contribution it costs."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from posko.core import audit
from posko.core.services import bump_version, raise_problems
from posko.workers import readiness_component
from posko.workers.models import Worker, WorkerSettings
from posko.workers.services.registry import months_between, snapshot


@transaction.atomic
def set_coverage(worker: Worker, *, actor, before: dict, message: str = "",
                 expected_version: int | None = None) -> Worker:
    """Save the coverage; ``expected_version`` (the one the editor loaded) refuses a stale save."""
    if worker.bpjs_start and worker.bpjs_end and worker.bpjs_end < worker.bpjs_start:
        raise_problems([("bpjs_end", _("The coverage cannot end before it starts."))])
    if worker.bpjs_status == Worker.Bpjs.AKTIF and not worker.bpjs_number:
        raise_problems([("bpjs_number", _("An active coverage needs the BPJS membership number."))])
    if worker.bpjs_status == Worker.Bpjs.AKTIF and not (worker.bpjs_jkk or worker.bpjs_jkm):
        raise_problems([("bpjs_jkk", _("Choose at least one programme (JKK, JKM)."))])
    worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)
    bump_version(worker, before.get("version") if expected_version is None else expected_version)
    worker.save()
    after = snapshot(worker)
    audit.record("update", worker, actor=actor, before=before, after=after,
                 message=message or "BPJS")
    readiness_component.changed(worker.election, [worker.tps_id])
    return worker


def contribution_cost(queryset, settings: WorkerSettings) -> int:
    months = queryset.filter(bpjs_status=Worker.Bpjs.AKTIF).aggregate(m=Sum("bpjs_months"))["m"] or 0
    return int(months * settings.monthly_contribution)
