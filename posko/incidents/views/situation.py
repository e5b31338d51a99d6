"""The live situation: counts, the map and its data, the period report (PDF/XLSX)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, Count, IntegerField, Max, Value, When
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit, clock
from posko.core.reports import render_pdf, render_xlsx
from posko.elections.models import Tps
from posko.incidents import report as reporting
from posko.incidents import stats
from posko.incidents.models import Report


class SituationView(LoginRequiredMixin, TemplateView):
    """Counts per category, kecamatan and day of the reports the user may see."""

    template_name = "incidents/situation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        context["election"] = election
        if election is not None:
            context["counts"] = stats.counts(stats.visible_reports(self.request.user, election))
        return context


class MapView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.request.election
        context["map_config"] = {
            "dataUrl": reverse("incidents:map_data"),
            "tileUrl": settings.POSKO_MAP_TILE_URL,
            "tileAttribution": settings.POSKO_MAP_TILE_ATTRIBUTION,
            "detailUrl": reverse("incidents:report_detail", args=[0]),
            "listUrl": reverse("incidents:report_list"),
            "countLabel": _("Open reports on the map: %(n)s"),
            "openLabel": _("%(n)s open reports"),
            "severities": [{"code": c, "label": str(label)} for c, label in
                           Report._meta.get_field("severity").choices],
        }
        return context


SEVERITY_CODES = ["rendah", "sedang", "tinggi", "kritis"]
MAP_OWN_POINTS_LIMIT = 2000


def map_points(user, election, category=None):
    """Open reports on the map: one point per TPS (the number of open reports there and the
    worst severity), plus the reports placed at a point of their own (newest first, at most
    ``MAP_OWN_POINTS_LIMIT``). Rows: ``[kind, id, lat, lon, severity, count, label]`` where
    kind is "t" (a TPS: id is the TPS) or "r" (a report)."""

    qs = stats.visible_reports(user, election).open()
    if category:
        qs = qs.filter(category_id=category)
    rank = Case(*[When(severity=code, then=Value(i)) for i, code in enumerate(SEVERITY_CODES)],
                output_field=IntegerField())
    points = []
    # Grouped on the report table alone; the (at most one per TPS) places are read after.
    at_tps = list(qs.filter(latitude__isnull=True, tps__isnull=False).order_by()
                  .values_list("tps_id").annotate(n=Count("pk"), worst=Max(rank), one=Max("pk")))
    places = {pk: (lat, lon, number, name) for pk, lat, lon, number, name in Tps.objects.filter(
        pk__in=[row[0] for row in at_tps], latitude__isnull=False).values_list(
        "pk", "latitude", "longitude", "number", "kelurahan__name")}
    for tps_id, n, worst, one in at_tps:
        if tps_id not in places:
            continue
        lat, lon, number, name = places[tps_id]
        points.append(["t", tps_id if n > 1 else one, float(lat), float(lon),
                       SEVERITY_CODES[worst], n, f"TPS {number:03d} {name}"])
    own = qs.filter(latitude__isnull=False).order_by("-created_at", "-id").values_list(
        "pk", "latitude", "longitude", "severity", "code", "title")[:MAP_OWN_POINTS_LIMIT]
    for pk, lat, lon, severity, code, title in own:
        points.append(["r", pk, float(lat), float(lon), severity, 1, f"{code} {title[:60]}"])
    return points
class MapDataView(LoginRequiredMixin, View):
    def get(self, request):
        election = request.election
        if election is None:
            return JsonResponse({"points": []})
        category = request.GET.get("category")
        category = int(category) if category and category.isdigit() else None
        return JsonResponse({"points": map_points(request.user, election, category)})


class PeriodReportView(LoginRequiredMixin, View):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD&format=pdf|xlsx``: the report of a period."""

    def get(self, request):
        today = clock.today()
        try:
            start = datetime.date.fromisoformat(request.GET.get("from") or
                                                (today - datetime.timedelta(days=6)).isoformat())
            end = datetime.date.fromisoformat(request.GET.get("to") or today.isoformat())
        except ValueError:
            return render(request, "incidents/period.html", {
                "error": _("Give the dates as YYYY-MM-DD.")}, status=400)
        if end < start:
            return render(request, "incidents/period.html", {
                "error": _("The end date cannot be before the start date.")}, status=400)
        if "format" not in request.GET:
            return render(request, "incidents/period.html", {"start": start, "end": end})
        document = reporting.period_report(request.user, start, end, request.election)
        audit.record("export", actor=request.user, object_repr="laporan-periode",
                     message=f"{start}..{end}")
        name = f"laporan-{start:%Y%m%d}-{end:%Y%m%d}"
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(render_xlsx(document), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        response = HttpResponse(render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
