import ipaddress
import logging
import uuid
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.utils import translation

from posko.core.context import client_ip_var, request_id_var


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item) for item in trusted)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted reverse proxy
    (``POSKO_TRUSTED_PROXIES``); then the rightmost X-Forwarded-For entry that is not
    itself a trusted proxy. Entries left of it were written by the client and are not
    believed. An unparsable entry ends the walk (it is what the proxy saw)."""
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "POSKO_TRUSTED_PROXIES", ())))
    if not remote or not networks or not _trusted(remote, networks):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return hops[0] if hops else remote


class RequestContextMiddleware:
    """Gives every request an id (also sent back as X-Request-ID) for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        t1 = request_id_var.set(request.request_id)
        t2 = client_ip_var.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(t1)
            client_ip_var.reset(t2)
        response["X-Request-ID"] = request.request_id
        return response


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose another language (cookie set by the
    language switcher). The browser's Accept-Language is ignored on purpose: many
    office PCs and phones run an English system, yet Posko's users work in Indonesian."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", code)
        return response



csp_log = logging.getLogger("posko.csp")
CSP_REPORT_PATH = "/csp-report/"


class SecurityHeadersMiddleware:
    """Sends ``Permissions-Policy`` (settings.POSKO_PERMISSIONS_POLICY; Django has no
    setting for it) on every response, and takes the browsers' Content-Security-Policy
    violation reports at ``/csp-report/``: logged as a warning on ``posko.csp`` (at most
    4 KB each), answered 204. Placed before the CSRF check: browsers send them without one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == CSP_REPORT_PATH:
            return self._report(request)
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.POSKO_PERMISSIONS_POLICY)
        return response

    @staticmethod
    def _report(request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        body = request.read(4096).decode("utf-8", "replace")
        csp_log.warning("CSP violation from %s: %s", client_ip(request), body)
        return HttpResponse(status=204)


class NullCharacterMiddleware:
    """A NUL character in the path or a query parameter is a 400 before any view runs.
    PostgreSQL refuses NUL in text, so a view looking up ``?kecamatan=`` or ``/<code>/``
    would answer 500 (forms and DRF's text fields refuse it already; raw parameters and URL
    keys did not). The API gets the JSON error body its schema documents."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()):
            message = translation.gettext("The request contains a null character.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
