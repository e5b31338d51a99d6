"""The voting-day board: counts per state per region, refreshed with conditional GET."""

from __future__ import annotations

import json

from django.conf import settings as django_settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.gzip import gzip_page

from posko.core import clock, etags
from posko.core.scope import get_visible_or_404
from posko.core.views import ElectionRequiredMixin
from posko.elections.drilldown import DrillDownView, resolve_level
from posko.elections.models import Tps
from posko.voting import board, services
from posko.voting.models import ORDER, State, TpsDay


class BoardView(DrillDownView):
    """Per child region: TPS per state, late to open, silent, done. The page polls itself
    every 30 s; an unchanged board answers 304 after two cheap queries."""

    template_name = "voting/board.html"
    url_name = "voting:board"
    export_name = "hari-pemungutan"

    def get(self, request, *args, **kwargs):
        election = request.election
        etag = None
        if election is not None and "export" not in request.GET:
            level = resolve_level(request)
            days = board.narrow(level, TpsDay.objects.visible_to(request.user).filter(
                election=election))
            count, versions, last = board.version(days)
            minute = clock.now().strftime("%Y%m%d%H%M")  # late and silent move with the clock
            etag = etags.etag(request.user.pk, election.pk, request.get_full_path(), count,
                              versions, last, minute, translation.get_language())
            if etags.matches(request, etag):
                return etags.not_modified(etag)
        response = super().get(request, *args, **kwargs)
        if etag:
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
        return response

    def fill(self, context, election, level) -> None:
        user = self.request.user
        conf = services.settings_for(election)
        now = clock.now()
        data = board.rollup(election, user, level, conf, now)
        base = reverse(self.url_name)
        rows = []
        if level.name == "kelurahan":
            days = {d.tps_id: d for d in level.narrow(
                TpsDay.objects.visible_to(user).filter(election=election))}
            silent = board.silent_since(conf, now)
            for tps in level.narrow(Tps.objects.visible_to(user).filter(election=election)) \
                    .order_by("number"):
                day = days.get(tps.pk)
                rows.append({"code": f"TPS {tps.number:03d}", "name": "", "tps": tps, "day": day,
                             "url": reverse("voting:tps", args=[tps.pk]),
                             "late": bool(day and day.opened_at and day.opened_at > data["deadline"]),
                             "silent": data["live"] and now > data["deadline"] and (
                                 day is None or (day.state != State.SELESAI
                                                 and day.last_report_at < silent))})
        else:
            for code, name, link in level.children(user):
                rows.append({"code": code, "name": name, "entry": data["groups"].get(code) or _empty(),
                             "url": f"{base}?{link}"})
        states = [(state, State(state).label) for state in ORDER]
        context.update(rows=rows, total=data["total"], states=states, conf=conf,
                       deadline=data["deadline"], live=data["live"], now=now,
                       map_config=_map_config(), map_legend=board.map_classes(),
                       without_coordinates=board.without_coordinates(election, user, level))
        if level.name == "kelurahan":
            header = ["TPS", _("State"), _("Opened at"), _("KPPS present"), _("Linmas present"),
                      _("Problems"), _("Late"), _("Silent")]
            export = [[r["code"], r["day"].get_state_display() if r["day"] else _("Not reported"),
                       timezone.localtime(r["day"].opened_at).strftime("%H.%M")
                       if r["day"] and r["day"].opened_at else "",
                       r["day"].kpps_present if r["day"] else None,
                       r["day"].linmas_present if r["day"] else None,
                       r["day"].open_problems if r["day"] else 0,
                       _("yes") if r["late"] else "", _("yes") if r["silent"] else ""] for r in rows]
        else:
            header = [_("Code"), _("Name"), "TPS", *[label for _state, label in states],
                      _("Not reported"), _("Late"), _("Silent"), _("Done (%)")]
            export = [[r["code"], r["name"], r["entry"]["tps"], *r["entry"]["cells"],
                       r["entry"]["not_reported"], r["entry"]["late"], r["entry"]["silent"],
                       r["entry"]["done_percent"]] for r in rows]
        context.update(export_header=header, export_rows=export)


def _empty() -> dict:
    return {"tps": 0, "cells": [0] * len(ORDER), "not_reported": 0, "late": 0, "silent": 0,
            "not_open": 0, "done": 0, "done_percent": None}


def _map_config() -> dict:
    return {
        "dataUrl": reverse("voting:board_map"),
        "tpsUrl": reverse("voting:board_map_tps", args=[0]),
        "tileUrl": getattr(django_settings, "POSKO_MAP_TILE_URL", "") or "",
        "tileAttribution": getattr(django_settings, "POSKO_MAP_TILE_ATTRIBUTION", "") or "",
        "states": board.map_classes(),
        "text": {"loading": _("Loading…"), "failed": _("The map data could not be loaded. "
                                                       "Reload the page."),
                 "none": _("No TPS with coordinates in this area."),
                 "points": _("%(count)s TPS on the map")},
    }


@method_decorator(gzip_page, name="dispatch")
class BoardMapDataView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """The board's map data at the place in the URL (``?kecamatan=`` / ``?kelurahan=``;
    another area: 404): ``{"points": [[tps_id, lat, lon, state, number]], "states": [...],
    "count", "without_coordinates"}``. An unchanged map answers 304 after two aggregate
    queries (the ETag covers the reports, the TPS rows, the place, the user, the language)."""

    def get(self, request, *args, **kwargs):
        user, election = request.user, self.election
        level = resolve_level(request)
        stamp = board.map_stamp(election, user, level)
        etag = etags.etag(user.pk, getattr(user, "effective_role", ""), election.pk,
                          level.query(), stamp, translation.get_language())
        if etags.matches(request, etag):
            return etags.not_modified(etag)
        points = board.map_points(election, user, level)
        payload = {"fields": ["tps", "lat", "lon", "state", "number"],
                   "states": board.map_classes(), "count": stamp[1][0],
                   "without_coordinates": stamp[1][2], "points": points}
        response = HttpResponse(json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                                content_type="application/json")
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response


class BoardMapTpsView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """The map's popup of one TPS (an HTML fragment): its state, opening, link to its page;
    another area's TPS: 404."""

    def get(self, request, pk, *args, **kwargs):
        tps = get_visible_or_404(Tps.objects.select_related("kelurahan").filter(
            election=self.election), request.user, pk=pk)
        day = TpsDay.objects.filter(tps=tps).first()
        state = day.get_state_display() if day and day.state else _("Not reported")
        opened = timezone.localtime(day.opened_at).strftime("%H.%M") \
            if day and day.opened_at else "—"
        return HttpResponse(format_html(
            '<div class="tps-popup"><strong>TPS {}</strong> · {}<br>{}: {}<br>{}: {}<br>'
            '<a href="{}">{}</a></div>', f"{tps.number:03d}", tps.kelurahan.name, _("State"), state,
            _("Opened at"), opened, reverse("voting:tps", args=[tps.pk]), _("Open the TPS")))
