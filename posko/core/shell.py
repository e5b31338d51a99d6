"""The page shell by registry: what modules add to every page and to the URLconf.

A module declares in its ``AppConfig.ready()``:

- ``register_nav(key, label, url_name, order=…, more=False, visible=None)``: a link in the
  navigation (``more=True``: under "More"); ``visible(user) -> bool`` hides it by role;
- ``register_public_link(key, label, url_name, order=…, primary=False)``: a link on the
  login page for people without an account;
- ``register_header(key, template_name, order=…)``: a widget in the header (the notification
  bell);
- ``register_head(key, template_name, signed_in=None, order=…)``: a template included in the
  ``<head>`` of every page (``None``), of every page with a session (``True``) or of every
  page without one (``False``: the login page, the public pages) — e.g. the field app's
  script that drops its cached page from the phone once nobody is logged in;
- ``register_context(key, builder)``: ``builder(request) -> dict`` merged into every
  template's context (keep it lazy: most pages never read it);
- ``register_urls(prefix, urlconf, order=…)``: ``path(prefix, include(urlconf))`` in the
  project's URLconf (``urlconf`` is a dotted module path, imported when URLs load);
- ``register_api(module)``: a dotted module path whose ``ROUTES`` (``(prefix, viewset,
  basename)``) go into the API router and whose ``EXTRA_URLS`` into ``/api/v1/``.

Nothing here imports an app. A module removed from INSTALLED_APPS registers nothing, and
the shell (``templates/_nav_links.html``, ``base.html``, ``posko/urls.py``,
``posko/api_urls.py``) names no module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from posko.core import clock
from posko.core.election import is_read_only


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    order: int = 100
    more: bool = False
    visible: Callable | None = None


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str


_nav: dict[str, NavEntry] = {}
_public: dict[str, tuple[int, str, object, str]] = {}
_headers: dict[str, tuple[int, str]] = {}
_heads: dict[str, tuple[int, str, bool | None]] = {}
_contexts: dict[str, Callable] = {}
_urls: dict[str, tuple[int, str]] = {}
_api: list[str] = []


def register_nav(key: str, label, url_name: str, *, order: int = 100, more: bool = False,
                 visible: Callable | None = None) -> None:
    _nav[key] = NavEntry(key, label, url_name, order, more, visible)


def register_public_link(key: str, label, url_name: str, *, order: int = 100,
                         primary: bool = False) -> None:
    """A link on the login page, for people without an account (e.g. the public report form)."""
    _public[key] = (order, url_name, label, "button" if primary else "")


def public_links() -> list[dict]:
    links = []
    for key, (_order, url_name, label, css) in sorted(_public.items(), key=lambda i: (i[1][0], i[0])):
        try:
            links.append({"key": key, "url": reverse(url_name), "label": str(label), "css": css})
        except NoReverseMatch:
            continue
    return links


def register_header(key: str, template_name: str, *, order: int = 100) -> None:
    _headers[key] = (order, template_name)


def register_head(key: str, template_name: str, *, signed_in: bool | None = None,
                  order: int = 100) -> None:
    _heads[key] = (order, template_name, signed_in)


def head_templates(signed_in: bool) -> list[str]:
    return [name for _order, name, when in sorted(_heads.values(), key=lambda h: h[:2])
            if when is None or when == signed_in]


def register_context(key: str, builder: Callable) -> None:
    _contexts[key] = builder


def register_urls(prefix: str, urlconf: str, *, order: int = 100) -> None:
    _urls[urlconf] = (order, prefix)


def register_api(module: str) -> None:
    if module not in _api:
        _api.append(module)


def nav_links(user, *, more: bool) -> list[NavLink]:
    links = []
    for entry in sorted(_nav.values(), key=lambda e: (e.order, e.key)):
        if entry.more != more or (entry.visible is not None and not entry.visible(user)):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # its URLs are not loaded (a module half removed)
            continue
        links.append(NavLink(entry.key, str(entry.label), url))
    return links


def header_templates() -> list[str]:
    return [name for _order, name in sorted(_headers.values())]


def url_includes() -> list[tuple[str, str]]:
    """(prefix, urlconf) in order, for posko/urls.py."""
    return [(prefix, urlconf) for urlconf, (_order, prefix)
            in sorted(_urls.items(), key=lambda item: (item[1][0], item[0]))]


def api_modules() -> list[str]:
    return list(_api)


class _Nav:
    """Lazy: the links are built when the template reads them."""

    def __init__(self, request):
        self._user = getattr(request, "user", None)

    @property
    def main(self):
        return nav_links(self._user, more=False)

    @property
    def more(self):
        return nav_links(self._user, more=True)


def context(request) -> dict:
    """Context processor: the nav, the header widgets and every module's context."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    data = {"posko_nav": _Nav(request), "posko_header_templates": header_templates(),
            "posko_head_templates": head_templates(signed_in),
            "posko_public_links": public_links,
            "election_read_only": is_read_only(request),
            "posko_simulated_now": clock.now() if clock.is_simulated() else None}
    for builder in _contexts.values():
        data.update(builder(request))
    return data
