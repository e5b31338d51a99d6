"""The incidents panel on the TPS page: the reports placed at the TPS (three queries)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from posko.core.tps_panels import register_panel
from posko.incidents.models.reports import OPEN_STATES, Report

LIMIT = 5


def build(tps, request) -> dict:
    reports = Report.objects.visible_to(request.user).filter(
        election_id=tps.election_id, tps=tps, merged_into__isnull=True)
    counts = reports.aggregate(total=Count("pk"), open=Count("pk", filter=Q(state__in=OPEN_STATES)))
    latest = list(reports.select_related("category").order_by("-occurred_at", "-pk")[:LIMIT])
    return {"counts": counts, "reports": latest, "list_query": f"tps={tps.pk}"}


def register() -> None:
    register_panel("incidents", _("Incidents"), build, "incidents/_tps_panel.html", order=60)
