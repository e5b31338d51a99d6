"""The field app's pages: the app shell (one page: forms, outbox), its manifest, its service
worker (served under ``/lapangan/`` so its scope covers the app) and a CSRF token for the
phone's sending loop."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from posko.fieldapp import offline


class AppView(LoginRequiredMixin, TemplateView):
    """The app shell: the forms of every module (``core.field_forms``), the user's TPS and
    the app's strings as JSON data blocks (no inline script). The service worker keeps the
    last copy for offline use."""

    template_name = "fieldapp/app.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        context.update(
            forms=offline.forms(self.request.user, election),
            config={"tps": offline.tps_list(self.request.user, election),
                    "photo_max_px": settings.POSKO_FIELDAPP_PHOTO_MAX_PX,
                    "token_url": reverse("fieldapp:token"),
                    "sw_url": reverse("fieldapp:service_worker"),
                    "scope": reverse("fieldapp:app"),
                    "user": self.request.user.get_username(),
                    "election": election.pk if election is not None else None},
            strings=offline.strings(), election=election)
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response["Cache-Control"] = "no-cache, private"  # the service worker keeps its copy
        return response


@require_GET
def manifest(request):
    """The web app manifest (public: browsers fetch it without cookies)."""
    scope = reverse("fieldapp:app")
    body = {
        "name": _("Posko field app"), "short_name": _("Posko Field"),
        "description": _("Report from the TPS, with or without signal."),
        "lang": getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
        "id": scope, "start_url": scope, "scope": scope, "display": "standalone",
        "orientation": "portrait", "background_color": "#ffffff", "theme_color": "#0b5d3b",
        "icons": [{"src": static(f"posko/fieldapp/icon-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any maskable"} for size in (192, 512)],
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False),
                            content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request):
    """The service worker, served from ``/lapangan/sw.js`` (its scope is ``/lapangan/``, said
    again in ``Service-Worker-Allowed``) with the list of files to precache and a version
    that changes with them."""
    context = {"shell": reverse("fieldapp:app"),
               "precache": json.dumps([reverse("fieldapp:manifest"), *offline.precache_urls()]),
               "outbox": static("posko/fieldapp/outbox.js"), "token": reverse("fieldapp:token"),
               "no_shell": json.dumps(render_to_string("fieldapp/no_shell.html",
                                                       {"login": reverse("login"),
                                                        "lang": get_language()}))}
    text = render_to_string("fieldapp/sw.js", {**context, "version": "-"})
    version = hashlib.sha256((offline.static_version() + text).encode()).hexdigest()[:12]
    body = render_to_string("fieldapp/sw.js", {**context, "version": version})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("fieldapp:app")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def token(request):
    """A fresh CSRF token for the sending loop. When the session has ended this is the usual
    redirect to the login page, which the phone reads (``redirect: "manual"``) as "log in
    again": it keeps its entries."""
    # Big files go in chunks through core.resumable (the service worker reads this too).
    uploads = {"url": reverse("api:uploads"), "over": settings.POSKO_FIELDAPP_CHUNKED_OVER_BYTES,
               "chunk": settings.POSKO_FIELDAPP_CHUNK_BYTES}
    response = JsonResponse({"csrf": get_token(request), "user": request.user.get_username(),
                             "uploads": uploads})
    response["Cache-Control"] = "no-store"
    return response
