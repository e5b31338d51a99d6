"""The H-1 board and the readiness map.

* ``board`` (``papan-h1/``): every TPS whose readiness is not complete, by kecamatan,
  with what it still lacks (per contest for the ballots and result forms: "Surat suara
  Wali Kota Malang: 421 lembar") and the countdown to the TPS deadline; the list refreshes itself every 30 s with
  HTMX (an HTMX request gets the list fragment only) and is a normal page without JS.
* ``map`` (``peta/``): Leaflet (vendored) with the TPS points of ``map_data``
  coloured and shaped by state, clustered when zoomed out; ``map_tps`` is the
  popup of one TPS (required and received-in-good-condition units per item).

Every query goes through ``visible_to(user)`` plus the Pemda boundary
(``report.in_pemda``); the number of queries does not depend on the number of TPS.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Case, Count, FloatField, IntegerField, Max, Sum, Value, When
from django.db.models.functions import Cast
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.gzip import gzip_page
from django.views.generic import TemplateView

from posko.core import clock, etags
from posko.core.scope import get_visible_or_404
from posko.elections.models import Tps
from posko.logistics.filters import ReadinessFilterForm
from posko.logistics.models import (
    LogisticsSettings,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.report import STATE_ORDER, deadline_label, visible_readiness
from posko.logistics.services.readiness import missing_items, rollup

State = TpsReadiness.State

# Colour and shape of each state: the map and the board never rely on colour alone (the
# board's CSS in board_styles.html and the map's SVG in posko/map.js draw the same shapes).
STATE_STYLE = {
    State.LENGKAP: {"colour": "#1a7f37", "shape": "circle"},  # green
    State.KURANG: {"colour": "#d29b00", "shape": "triangle"},  # amber
    State.BELUM: {"colour": "#6b7280", "shape": "square"},  # grey, hollow
    State.BERMASALAH: {"colour": "#b42318", "shape": "diamond"},  # red, with "!"
}
# The board shows the worst first inside a kecamatan.
SEVERITY = {State.BERMASALAH: 0, State.BELUM: 1, State.KURANG: 2, State.LENGKAP: 3}


def state_legend(counts: dict | None = None) -> list[dict]:
    """One entry per state, in ``STATE_ORDER`` (the map's state codes are these indexes)."""
    return [{"code": s.value, "label": str(s.label), "count": (counts or {}).get(s.value),
             **STATE_STYLE[s]} for s in (State(v) for v in STATE_ORDER)]




def _deadline(election):
    return LogisticsSettings.objects.select_related("election").get_or_create(
        election=election)[0].tps_deadline() if election else None


# --- the H-1 board ----------------------------------------------------------------------------

class BoardView(LoginRequiredMixin, TemplateView):
    """TPS not complete, by kecamatan then time left (one deadline per election, so within a
    kecamatan: worst state first, lowest percentage first, then kelurahan and number)."""

    template_name = "logistics/board_page.html"
    fragment_template = "logistics/board_list.html"
    paginate_by = 100
    poll_seconds = 30

    def get(self, request, *args, **kwargs):
        user = request.user
        election = request.election
        not_complete = [s for s in STATE_ORDER if s != State.LENGKAP]
        form = ReadinessFilterForm(request.GET, user=user, states=not_complete)
        context = {"election": election, "form": form, "poll_seconds": self.poll_seconds,
                   "legend": state_legend()}
        if election is not None:
            now = clock.now()
            deadline = _deadline(election)
            rows = visible_readiness(user, election)
            if form.is_valid() and form.cleaned_data["kecamatan"]:
                rows = rows.filter(kecamatan_id=form.cleaned_data["kecamatan"])
            totals = rollup(rows, None)
            listed = form.apply(rows.exclude(state=State.LENGKAP)).annotate(
                severity=Case(*(When(state=s, then=Value(n)) for s, n in SEVERITY.items()),
                              output_field=IntegerField())
            ).select_related("tps", "kecamatan", "kelurahan").order_by(
                "kecamatan__name", "kecamatan_id", "severity", "percent", "kelurahan__name",
                "tps__number", "tps_id")
            page = Paginator(listed, self.paginate_by).get_page(request.GET.get("page"))
            lacking = missing_items(r.tps_id for r in page.object_list)
            for r in page.object_list:
                r.missing_items = lacking.get(r.tps_id, [])
            query = request.GET.copy()
            query.pop("page", None)
            context.update(
                page=page, rows=page.object_list, querystring=query.urlencode(),
                deadline=deadline, deadline_passed=deadline <= now,
                countdown=deadline_label(deadline, now), now=now,
                totals=totals, not_complete=(totals["tps"] or 0) - (totals["lengkap"] or 0),
                legend=state_legend(totals))
        template = self.fragment_template if request.headers.get("HX-Request") else self.template_name
        response = self.response_class(request=request, template=template, context=context,
                                       using=self.template_engine)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def handle_no_permission(self):
        # A poll after the session ended: send the whole page to the login form instead of
        # swapping the login page's (missing) list into the board.
        if self.request.headers.get("HX-Request") and not self.request.user.is_authenticated:
            response = HttpResponse(status=200)
            response["HX-Redirect"] = redirect_to_login(
                self.request.get_full_path(), self.get_login_url())["Location"]
            return response
        return super().handle_no_permission()


# --- the map ----------------------------------------------------------------------------------

class MapView(LoginRequiredMixin, TemplateView):
    template_name = "logistics/map_page.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ReadinessFilterForm(self.request.GET, user=self.request.user, states=STATE_ORDER)
        form.is_valid()
        config = {
            "dataUrl": reverse("logistics:map_data"),
            "tpsUrl": reverse("logistics:map_tps", args=[0]),
            "tileUrl": getattr(settings, "POSKO_MAP_TILE_URL", "") or "",
            "tileAttribution": getattr(settings, "POSKO_MAP_TILE_ATTRIBUTION", "") or "",
            "states": state_legend(),
            "text": {"loading": _("Loading…"), "failed": _("The data could not be loaded."),
                     "notFound": _("This TPS is not in your area."),
                     "none": _("No TPS with coordinates matches."),
                     "points": _("%(count)s TPS on the map")},
        }
        context.update(election=self.request.election, form=form, legend=state_legend(),
                       map_config=config)
        return context


@method_decorator(gzip_page, name="dispatch")
class MapDataView(LoginRequiredMixin, View):
    """Compact JSON of the TPS points the user may see (with coordinates):
    ``{"points": [[tps_id, lat, lon, state, percent], ...], "states": [...], ...}`` where
    ``state`` indexes ``states``. Two queries whatever the number of points (one when the
    browser's copy is still current: the ETag covers the rows, the filters and the user)."""

    def get(self, request, *args, **kwargs):
        user = request.user
        election = request.election
        form = ReadinessFilterForm(request.GET, user=user, states=STATE_ORDER)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors}, status=400)
        points = TpsReadiness.objects.none()
        if election is not None:
            points = form.apply(visible_readiness(user, election).filter(
                tps__latitude__isnull=False, tps__longitude__isnull=False)).order_by()
        stamp = points.aggregate(n=Count("pk"), changed=Max("updated_at"),
                                 moved=Max("tps__updated_at"))
        etag = etags.etag(user.pk, user.effective_role, user.scope_kecamatan_id,
                          user.scope_kelurahan_id, get_language(), election and election.pk,
                          sorted(form.cleaned_data.items()), stamp)
        if etags.matches(request, etag):
            return etags.not_modified(etag)
        code = Case(*(When(state=s, then=Value(i)) for i, s in enumerate(STATE_ORDER)),
                    output_field=IntegerField())
        rows = points.values_list(
            "tps_id", Cast("tps__latitude", FloatField()), Cast("tps__longitude", FloatField()),
            code, Cast("percent", FloatField())).order_by("tps_id")
        payload = {
            "election": election.pk if election else None,
            "fields": ["tps", "lat", "lon", "state", "percent"],
            "states": state_legend(),
            "count": stamp["n"],
            "points": list(rows) if stamp["n"] else [],
        }
        response = HttpResponse(json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                                content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response


class MapTpsView(LoginRequiredMixin, TemplateView):
    """One TPS's items: required and received in good condition; 404 outside the scope.
    A fragment for the map's popup (fetch/HTMX), a page when opened directly."""

    template_name = "logistics/map_tps_page.html"
    fragment_template = "logistics/map_tps.html"

    def get(self, request, *args, **kwargs):
        tps = get_visible_or_404(Tps.objects.select_related("kelurahan", "kecamatan"),
                                 request.user, pk=kwargs["pk"])
        readiness = TpsReadiness.objects.filter(tps=tps).first()
        received = {
            row["item_id"]: row for row in ShipmentLine.objects.filter(
                shipment__tps=tps, shipment__to_level=Shipment.Level.TPS,
                shipment__is_return=False, shipment__status=Shipment.Status.RECEIVED)
            .values("item_id").annotate(received=Sum("received"), damaged=Sum("damaged"))
            .order_by()}
        items = []
        for req in (Requirement.objects.filter(tps=tps).select_related("item")
                    .order_by("item__order", "item__name")):
            got = received.get(req.item_id, {})
            good = max(0, (got.get("received") or 0) - (got.get("damaged") or 0))
            items.append({"name": req.item.name, "unit": req.item.unit, "required": req.quantity,
                          "good": good, "damaged": got.get("damaged") or 0,
                          "missing": max(0, req.quantity - good)})
        cases = list(Shortfall.objects.open().filter(tps=tps).select_related("item")
                     .order_by("created_at", "pk"))
        style = STATE_STYLE.get(readiness.state) if readiness else None
        context = {"tps": tps, "readiness": readiness, "items": items, "cases": cases,
                   "style": style,
                   "complete_items": sum(1 for i in items if not i.get("missing"))}
        fragment = request.headers.get("HX-Request") or \
            request.headers.get("X-Requested-With") == "fetch"
        template = self.fragment_template if fragment else self.template_name
        response = self.response_class(request=request, template=template, context=context,
                                       using=self.template_engine)
        patch_vary_headers(response, ["HX-Request", "X-Requested-With"])
        return response
