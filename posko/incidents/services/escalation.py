"""Escalation of reports past their severity's target (``posko escalate``, the periodic job)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from posko.accounts.models import Role, User
from posko.core import audit, clock, notify
from posko.incidents.models import (
    OPEN_STATES,
    Report,
    State,
)

# --- escalation ------------------------------------------------------------------------------------

def escalation_recipients(report: Report) -> list[User]:
    users = list(User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN) | Q(is_superuser=True)))
    if report.agency_id:
        users += list(User.objects.filter(is_active=True, agency_id=report.agency_id))
    seen, unique = set(), []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return unique


def escalation_job(ctx) -> str:
    """The periodic job (every minute in ``posko worker``): the same as ``posko escalate``."""
    counts = escalate()
    return _("Escalated: %(response)s response, %(resolution)s resolution; %(sent)s "
             "notifications sent.") % {"response": counts["response"],
                                        "resolution": counts["resolution"],
                                        "sent": counts["notifications"]}


def escalate(now=None) -> dict:
    """Escalate every open report past its response or resolution target that was not
    escalated yet: stamp it, audit it, notify the desk admins and the assigned agency's
    users. Idempotent: a second run finds nothing new."""
    now = now or clock.now()
    counts = {"response": 0, "resolution": 0, "notifications": 0}
    base = Report.objects.filter(merged_into__isnull=True).select_related(
        "category", "kecamatan", "agency")
    due = (
        ("response", base.filter(state=State.BARU, response_due_at__lt=now,
                                 escalated_response_at__isnull=True),
         "escalated_response_at"),
        ("resolution", base.filter(state__in=OPEN_STATES, resolve_due_at__lt=now,
                                   escalated_resolution_at__isnull=True),
         "escalated_resolution_at"),
    )
    for kind, queryset, field in due:
        for report in queryset.iterator(chunk_size=500):
            with transaction.atomic():
                # Claim it: another run at the same time updates nothing and skips it.
                claimed = Report.objects.filter(pk=report.pk, **{f"{field}__isnull": True}).update(
                    **{field: now})
                if not claimed:
                    continue
                counts[kind] += 1
                if kind == "response":
                    title = _("Report %(code)s has had no response within its target "
                              "(%(severity)s)") % {"code": report.code,
                                                   "severity": report.get_severity_display()}
                else:
                    title = _("Report %(code)s is not resolved within its target "
                              "(%(severity)s)") % {"code": report.code,
                                                   "severity": report.get_severity_display()}
                audit.record("update", report, actor=None,
                             before={field: None}, after={field: now.isoformat()},
                             message=f"escalation: {kind}")
                body = f"{report.title}\n{report.category.name} · Kec. {report.kecamatan.name}"
                for user in escalation_recipients(report):
                    if notify.notify(user, "escalation", title,
                                     key=f"incidents.escalation:{report.pk}:{kind}:{user.pk}",
                                     url=report.get_absolute_url(), body=body):
                        counts["notifications"] += 1
    return counts
