"""The duty log: hours on duty per day, with an alert over the election's limit."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.accounts.models import Role, User
from posko.core import audit, notify
from posko.core.services import raise_problems
from posko.workers.models import DutyLog, Worker, WorkerSettings
from posko.workers.services.registry import copy_place


@transaction.atomic
def log_duty(worker: Worker, *, day: datetime.date, hours, note: str = "", actor) -> tuple[DutyLog, bool]:
    """Record (or correct) the hours; returns (row, over the threshold). Over the
    threshold, the kecamatan's operators and the admins get a notification (once)."""
    try:
        hours = Decimal(str(hours).replace(",", "."))
    except InvalidOperation:
        raise_problems([("hours", _("%(value)r is not a number of hours.") % {"value": str(hours)})])
    row = DutyLog.objects.filter(worker=worker, date=day).first()
    before = audit.snapshot(row) if row else None
    if row is None:
        row = DutyLog(worker=worker, date=day)
        copy_place(row, worker)
    row.hours, row.note = hours, note
    row.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"], validate_unique=False,
                   validate_constraints=False)
    row.save()
    after = audit.snapshot(row)
    if before is None:
        audit.record("create", row, actor=actor, after=after, object_repr=f"{worker.full_name}: {row}")
    elif before != after:
        audit.record("update", row, actor=actor, before=before, after=after,
                     object_repr=f"{worker.full_name}: {row}")
    threshold = WorkerSettings.for_election(worker.election).duty_hours_threshold
    over = hours > threshold
    if over:
        title = _("%(name)s (%(posting)s) has been on duty %(hours)s hours (limit %(limit)s).") % {
            "name": worker.full_name, "posting": worker.posting_label, "hours": hours,
            "limit": threshold}
        recipients = User.objects.filter(is_active=True).filter(duty_alert_recipients(worker))
        for user in recipients:
            notify.notify(user, "alert", title, key=f"workers.duty.{worker.pk}.{day.isoformat()}",
                          url=reverse("workers:worker_detail", args=[worker.pk]))
    return row, over


def duty_alert_recipients(worker: Worker) -> Q:
    """The admins and the operators of the worker's kecamatan."""
    return Q(role=Role.ADMIN) | Q(is_superuser=True) | Q(role=Role.KECAMATAN,
                                                           kecamatan_id=worker.kecamatan_id)
