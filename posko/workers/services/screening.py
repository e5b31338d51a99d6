"""Health screening of a worker (Dinas Kesehatan): the latest result is copied to the worker."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.core.services import raise_problems
from posko.workers import readiness_component, rules
from posko.workers.models import Screening, Worker
from posko.workers.services.registry import copy_place


@transaction.atomic
def record_screening(screening: Screening, *, actor) -> Screening:
    if not rules.can_screen(actor):
        raise ValidationError(_("Only Dinas Kesehatan operators record screenings."))
    worker = screening.worker
    copy_place(screening, worker)
    raise_problems(rules.screening_problems(screening.systolic, screening.diastolic))
    if screening.date and screening.date > clock.today():
        raise_problems([("date", _("The screening date is in the future."))])
    screening.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    screening.save()
    audit.record("create", screening, actor=actor, after=audit.snapshot(screening),
                 object_repr=f"{worker.full_name}: {screening}")
    latest = worker.screenings.order_by("-date", "-pk").first()
    Worker.objects.filter(pk=worker.pk).update(screening_result=latest.result,
                                               screening_date=latest.date)
    worker.screening_result, worker.screening_date = latest.result, latest.date
    readiness_component.changed(worker.election, [worker.tps_id])
    return screening
