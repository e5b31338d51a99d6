"""The public portal's pages (no account) and open data; the admin's switch per election.

Public pages render without the request (no user, no CSRF token, no session): the bytes are
the same for everyone and the portal caches them (``cache.py``)."""

from __future__ import annotations

import json

from django.conf import settings as django_settings
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from posko.core import public
from posko.elections.models import Election
from posko.portal import access, cache, opendata
from posko.portal.models import public_election_ids
from posko.portal.sections import kelurahan_list, tps_of_kelurahan

HTML = "text/html; charset=utf-8"


def _render(request, template: str, context: dict) -> bytes:
    context = {"here": request.path, "tile_url": django_settings.POSKO_MAP_TILE_URL,
               "tile_attribution": getattr(django_settings, "POSKO_MAP_TILE_ATTRIBUTION", ""),
               **context}
    return render_to_string(template, context).encode("utf-8")


def _sections(election, shown, kelurahan) -> list[dict]:
    drawn = []
    for section in shown:
        data = section.builder(election, kelurahan)
        if data is None:
            continue
        public.assert_public(data)
        drawn.append({"key": section.key, "label": str(section.label),
                      "template": section.template_name, "data": data})
    return drawn


def _places(election) -> list[dict]:
    return cache.get_or_build(("places", election.pk), 600, lambda: kelurahan_list(election))


def _kelurahan_or_404(election, code: str) -> dict:
    for place in _places(election):
        if place["code"] == code:
            return place
    raise Http404


class IndexView(View):
    """The elections whose portal is on."""

    def get(self, request):
        def build():
            elections = [e for e in (Election.cached(pk) for pk in public_election_ids()) if e]
            return _render(request, "portal/index.html", {"elections": elections})

        return cache.respond(request, cache.get_or_build(("index",), 300, build),
                             content_type=HTML, ttl=300)


class ElectionView(View):
    """An election's public home (whole kab/kota) or one kelurahan's page."""

    def get(self, request, election_id, kelurahan=None):
        election = access.public_election(election_id)
        place = _kelurahan_or_404(election, kelurahan) if kelurahan else None
        shown = access.shown_sections(election)
        ttl = access.ttl_of(shown)

        def build():
            return _render(request, "portal/election.html", {
                "election": election, "place": place, "places": _places(election),
                "sections": _sections(election, shown, kelurahan),
                "shows_tps": access.shows(election, "tps")})

        body = cache.get_or_build(("election", election.pk, kelurahan), ttl, build)
        return cache.respond(request, body, content_type=HTML, ttl=ttl)


class TpsFindView(View):
    """The finder: kelurahan and TPS number (never a name or NIK: Posko has no voter list)."""

    def get(self, request, election_id):
        election = access.public_election(election_id)
        if not access.shows(election, "tps"):
            raise Http404
        code = request.GET.get("kelurahan", "")
        number = request.GET.get("nomor", "").strip()
        error, status = None, 400
        places = _places(election)
        if code not in {p["code"] for p in places}:
            error = _("Choose your kelurahan.")
        elif not number.isdigit() or not 0 < int(number) < 10000:
            error = _("Enter the TPS number (digits only, as on your invitation).")
        elif not any(t["number"] == int(number) for t in _tps_list(election, code)):
            error, status = _("There is no TPS %(number)s in this kelurahan.") % {
                "number": number}, 404
        if error is None:
            return HttpResponseRedirect(
                reverse("portal:tps", args=[election.pk, code, int(number)]))
        body = _render(request, "portal/find.html", {"election": election, "places": places,
                                            "error": error, "code": code, "number": number})
        response = cache.respond(request, body, content_type=HTML, ttl=60)
        response.status_code = status
        return response


def _tps_list(election, code: str) -> list[dict]:
    return cache.get_or_build(("tps", election.pk, code), 600,
                              lambda: tps_of_kelurahan(election, code))


class TpsView(View):
    """One TPS: address, RT/RW, map point, DPT; nothing about the people there."""

    def get(self, request, election_id, kelurahan, number):
        election = access.public_election(election_id)
        if not access.shows(election, "tps"):
            raise Http404
        place = _kelurahan_or_404(election, kelurahan)
        tps = next((t for t in _tps_list(election, kelurahan) if t["number"] == number), None)
        if tps is None:
            raise Http404

        def build():
            return _render(request, "portal/tps.html", {"election": election, "place": place, "tps": tps})

        body = cache.get_or_build(("tps-page", election.pk, kelurahan, number), 600, build)
        return cache.respond(request, body, content_type=HTML, ttl=600)


def _files(election) -> dict[str, bytes]:
    shown = access.shown_sections(election)
    return cache.get_or_build(("data", election.pk), access.ttl_of(shown),
                              lambda: opendata.build(election, shown))


class DataView(View):
    """The open-data page: the files, their SHA-256 and the licence."""

    def get(self, request, election_id):
        election = access.public_election(election_id)
        shown = access.shown_sections(election)
        ttl = access.ttl_of(shown)

        def build():
            manifest = json.loads(_files(election)["manifest.json"])
            return _render(request, "portal/data.html", {"election": election, "manifest": manifest,
                                                "licence": opendata.LICENCE,
                                                "columns": opendata.columns(election, shown)})

        body = cache.get_or_build(("data-page", election.pk), ttl, build)
        return cache.respond(request, body, content_type=HTML, ttl=ttl)


CONTENT_TYPES = {"tps.csv": "text/csv; charset=utf-8", "tps.json": "application/json",
                 "manifest.json": "application/json"}


class DataFileView(View):
    """/publik/<election>/data/tps.csv|tps.json|manifest.json: stable per election."""

    def get(self, request, election_id, name):
        if name not in CONTENT_TYPES:
            raise Http404
        election = access.public_election(election_id)
        files = _files(election)
        extra = {"Access-Control-Allow-Origin": "*"}
        if name.endswith(".csv"):
            extra["Content-Disposition"] = f'attachment; filename="posko-{election.pk}-{name}"'
        return cache.respond(request, files[name], content_type=CONTENT_TYPES[name],
                             ttl=access.ttl_of(access.shown_sections(election)), extra=extra)


class LanguageView(View):
    """Switch the portal's language with a link (GET: the public pages carry no CSRF token)."""

    def get(self, request, code):
        if code not in dict(django_settings.LANGUAGES):
            raise Http404
        target = request.GET.get("next", "")
        if not target.startswith("/publik/") or "//" in target:
            target = reverse("portal:index")
        response = HttpResponseRedirect(target)
        response.set_cookie(django_settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 86400,
                            samesite="Lax")
        return response
