"""The election a request is about: ``request.election``.

Module code reads ``request.election`` (an Election, or None when there is none) and never
looks the active election up itself; services receive the election (or its id) as an
argument. It is resolved once per request, on first use, with at most one query:

1. from the URL, when the view names the keyword argument that holds an election's pk
   (``election_kwarg = "pk"`` on the view class, or a URL argument called ``election``);
2. else the election an admin chose to look at (the header's switcher, kept in the session);
3. else the active election.

An election chosen in the switcher that is not the active one is **read-only**: the
middleware refuses every write (403) except the switch itself, language and log-out.
Core imports no app: the elections app registers the lookups in ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

SESSION_KEY = "posko_election"
URL_KWARG = "election"
# Views that still accept writes while an old election is being looked at.
WRITABLE_VIEWS = {"set_language", "login", "logout", "elections:election_view"}


@dataclass
class Provider:
    active: Callable[[], object | None]           # the active election
    by_pk: Callable[[object], object | None]      # one election by pk (None if absent/invalid)


_provider: Provider | None = None


def register_provider(active: Callable, by_pk: Callable) -> None:
    global _provider
    _provider = Provider(active, by_pk)


def active():
    """The active election, for work outside a request (a periodic job); None if none."""
    return _provider.active() if _provider is not None else None


def by_pk(pk):
    """One election by pk, for work outside a request (a background job)."""
    return _provider.by_pk(pk) if _provider is not None else None


def may_switch(user) -> bool:
    """Who may look at another election than the active one: Desk Pilkada admins."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_desk_admin", False))


def chosen_pk(request):
    """The election an admin chose in the switcher, if any (None: the active one)."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    if not may_switch(getattr(request, "user", None)):
        return None
    return session.get(SESSION_KEY)


def resolve(request):
    if _provider is None:
        return None
    url_pk = request.__dict__.get("_posko_election_pk")
    if url_pk is not None:
        return _provider.by_pk(url_pk)
    pk = chosen_pk(request)
    if pk is not None:
        election = _provider.by_pk(pk)
        if election is not None:
            return election
    return _provider.active()


class _RequestElection:
    """``request.election``: resolved on first read, then cached on the request."""

    def __get__(self, request, owner=None):
        if request is None:
            return self
        cache = request.__dict__
        if "_posko_election" not in cache:
            cache["_posko_election"] = resolve(request)
        return cache["_posko_election"]

    def __set__(self, request, value):
        request.__dict__["_posko_election"] = value


def install() -> None:
    """Called once from CoreConfig.ready(): every HttpRequest gets ``election``."""
    HttpRequest.election = _RequestElection()


def is_read_only(request) -> bool:
    """True when the request looks at an election chosen in the switcher that is not active."""
    if chosen_pk(request) is None or request.__dict__.get("_posko_election_pk") is not None:
        return False
    election = request.election
    return election is not None and not getattr(election, "is_active", True)


class ElectionMiddleware:
    """Takes the election's pk from the URL when the view says where it is, and refuses
    writes while an admin looks at an election that is not the active one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "view_class", None)
        kwarg = getattr(view_class, "election_kwarg", None) or URL_KWARG
        if kwarg in view_kwargs:
            request._posko_election_pk = view_kwargs[kwarg]
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in WRITABLE_VIEWS:
            return None
        if not is_read_only(request):
            return None
        message = _("%(election)s is not the active election: it can only be looked at. Switch "
                    "back to the active election to make changes.") % {"election": request.election}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        raise PermissionDenied(message)
