"""Incidents on duty (illness, accident, death): covered or not by BPJS on the day."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.core.services import bump_version, raise_problems
from posko.workers.models import Incident, Worker
from posko.workers.services.registry import copy_place, derived_changed, snapshot


@transaction.atomic
def record_incident(incident: Incident, *, actor) -> Incident:
    worker = incident.worker
    copy_place(incident, worker)
    if incident.date and incident.date > clock.today():
        raise_problems([("date", _("The incident date is in the future."))])
    incident.covered = worker.is_covered and (
        worker.bpjs_start is None or incident.date is None or worker.bpjs_start <= incident.date) and (
        worker.bpjs_end is None or incident.date is None or incident.date <= worker.bpjs_end)
    incident.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    incident.save()
    audit.record("create", incident, actor=actor, after=audit.snapshot(incident),
                 object_repr=f"{worker.full_name}: {incident}")
    if incident.kind == Incident.Kind.MENINGGAL and worker.status == Worker.Status.AKTIF:
        before = snapshot(worker)
        worker.status = Worker.Status.MENINGGAL
        bump_version(worker, worker.version)
        worker.save(update_fields=["status", "version", "updated_at"])
        audit.record("update", worker, actor=actor, before=before, after=snapshot(worker),
                     message=str(incident))
        derived_changed(worker)
    return incident


@transaction.atomic
def update_incident(incident: Incident, *, actor, before: dict) -> Incident:
    incident.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    incident.save()
    after = audit.snapshot(incident)
    if after != before:
        audit.record("update", incident, actor=actor, before=before, after=after)
    return incident
