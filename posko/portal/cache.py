"""The portal's server cache and HTTP caching.

Pages and open-data files are the same for everyone (no user, no CSRF token, no session in
them), so the rendered bytes are kept in Django's cache under a key of the election, the
page, the language and the shared generation counter of ``core.constants``: changing a
watched row (the portal's own settings, an election, a stage…) moves the counter and every
process stops using the old entries at once (within ``POSKO_CONSTANTS_CHECK_SECONDS``).
Data that changes all the time (C.Hasil on voting night, outreach entries) is not watched:
it reaches the public after the section's ``ttl`` at the latest (voting: 60 s).

Responses carry ``Cache-Control: public, max-age=…``, a strong ``ETag`` over the bytes
(``If-None-Match`` answers 304) and ``Vary: Cookie`` (the language cookie)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation

from posko.core import constants, etags
from posko.core.models import CacheGeneration

PREFIX = "posko.portal"


def enabled() -> bool:
    """The server cache (``POSKO_PORTAL_CACHE``, default on; the bench turns it off)."""
    return bool(getattr(settings, "POSKO_PORTAL_CACHE", True))


def generation() -> int:
    """The shared counter of ``core.constants`` as this process last read it."""
    return constants.get(("portal.generation",), lambda: CacheGeneration.objects.filter(
        pk=1).values_list("value", flat=True).first() or 0)


def key(*parts) -> str:
    raw = repr((parts, translation.get_language(), generation()))
    return f"{PREFIX}:{hashlib.sha256(raw.encode()).hexdigest()}"


def get_or_build(parts: tuple, ttl: int, build: Callable[[], bytes]) -> bytes:
    if not enabled():
        return build()
    cache_key = key(*parts)
    value = cache.get(cache_key)
    if value is None:
        value = build()
        cache.set(cache_key, value, ttl)
    return value


def respond(request, body: bytes, *, content_type: str, ttl: int,
            extra: dict | None = None) -> HttpResponse:
    """The bytes with the public cache headers, or 304 when the browser's copy is current."""
    tag = etags.etag(hashlib.sha256(body).hexdigest())
    headers = {"Cache-Control": f"public, max-age={ttl}", "ETag": tag, "Vary": "Cookie",
               **(extra or {})}
    if etags.matches(request, tag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    return response
