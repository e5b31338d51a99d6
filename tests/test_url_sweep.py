"""Every URL of Posko, as every persona, with GET and with its real method.

The routes are enumerated from the URL resolver (HTML pages and the DRF router under api/v1,
@action routes included); each is built from ROUTE_KINDS / the view's model and the objects of
tests/sweep_world.py. A route that cannot be built fails ``test_every_route_can_be_built``.

* ``test_no_route_answers_5xx``: every route × every logged-in persona × (GET and every other
  method the view accepts, sent with an empty body) answers 2xx/3xx/4xx.
* ``test_anonymous_is_sent_to_login``: anonymous HTML requests go to the login page and API
  requests answer 401/403, except the public set (which must still not answer 5xx).
* ``test_other_regions_object_is_404``: every route that takes a placed object answers 404 to
  the operator of kelurahan A (and of kecamatan A) for the twin placed in kelurahan B.

Every request runs in a savepoint that is rolled back, with the client's cookies put back
afterwards, so a POST/DELETE (or logout) cannot change what the next request sees.
A new view that forgets LoginRequired, the region scope or a method fails here without anyone
writing a test for it. Failures are collected and reported all at once.
"""

from __future__ import annotations

import copy
import logging
import traceback
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path, resolve, reverse
from django.views.generic import View

from posko import urls as root_urls
from posko.core.models import AuditEntry
from posko.core.scope import Scope
from tests import sweep_world

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "set_language", "api:schema", "api:docs", "api:token", "api:api-root",
          # the citizen report form and its status page (issue 7): no account on purpose
          "incidents:public_report", "incidents:public_status", "api:incident-public-submit",
          "api:incident-public-status",
          # the public portal (issue 17): aggregates per TPS or above, open data
          "portal:index", "portal:language", "portal:election", "portal:kelurahan",
          "portal:tps_find", "portal:tps", "portal:data", "portal:data_file",
          # the field app's manifest and service worker (issue 18): browsers fetch them
          # without the session; they name no data
          "fieldapp:manifest", "fieldapp:service_worker"}

# Routes that truly cannot be requested. Empty: logout and set_language are requested too
# (cookies are put back after each request). Format-suffix duplicates of API routes
# (``/tps.json``, ``/<drf_format_suffix:format>``) are left out by rule in _routes().
SKIP: set[str] = set()

# Which object each URL keyword takes, per route, where the view's model does not say it
# (views without ``model``/``queryset``, keywords other than pk, pk of a parent object).
ROUTE_KINDS = {
    "accounts:user_edit": {"pk": "user"},
    "accounts:user_history": {"pk": "user"},
    "accounts:token_revoke": {"pk": "api_token"},
    "api:upload": {"pk": "upload_session"},
    "accounts:two_factor_reset": {"pk": "user"},
    "regions:kecamatan_detail": {"code": "kecamatan"},
    "regions:kelurahan_detail": {"code": "kelurahan"},
    "elections:election_detail": {"pk": "election"},
    "elections:election_activate": {"pk": "election"},
    "elections:election_retention": {"pk": "election"},
    "elections:contest_add": {"election": "election"},
    "elections:pair_add": {"contest": "contest"},
    "elections:stage_add": {"election": "election"},
    "coordination:task_checklist_toggle": {"pk": "task", "item": "task_item"},
    "coordination:attachment_download": {"pk": "attachment"},
    "coordination:meeting_detail": {"pk": "meeting"},
    "coordination:decision_add": {"pk": "meeting"},
    "coordination:decision_edit": {"pk": "decision"},
    "coordination:decision_to_task": {"pk": "decision"},
    "coordination:meeting_attach": {"pk": "meeting"},
    "coordination:meeting_minutes_pdf": {"pk": "meeting"},
    "coordination:agency_detail": {"pk": "agency"},
    "coordination:template_detail": {"pk": "template"},
    "coordination:template_item_add": {"template": "template"},
    "coordination:template_apply": {"pk": "template"},
    "coordination:checklist_seed": {"election": "election"},
    "coordination:checklist_detail": {"pk": "checklist"},
    "coordination:checklist_item_add": {"checklist": "checklist"},
    "coordination:checklist_fill": {"pk": "checklist", "region_code": "kelurahan"},
    "coordination:checklist_answer_to_task": {"pk": "response"},
    "coordination:checklist_photo": {"pk": "response"},
    "coordination:notification_read": {"pk": "notification"},
    "logistics:item_edit": {"pk": "item"},
    "logistics:shipment_detail": {"pk": "shipment"},
    "logistics:shipment_confirm": {"pk": "shipment"},
    "logistics:shipment_photo": {"pk": "shipment"},
    "logistics:receipt_fast": {"kelurahan_code": "kelurahan"},
    "logistics:shortfall_detail": {"pk": "shortfall"},
    "logistics:shortfall_update": {"pk": "shortfall"},
    "logistics:map_tps": {"pk": "tps"},
    "vulnerability:grid": {"code": "kelurahan"},
    "vulnerability:tps": {"pk": "tps"},
    "readiness:tps_task": {"pk": "tps"},
    "api:readiness-tps-detail": {"pk": "tps"},  # TpsIndex's key is its TPS
    "vulnerability:map_popup": {"pk": "tps"},
    "vulnerability:action_edit": {"pk": "action"},
    "vulnerability:kecamatan_pdf": {"code": "kecamatan"},
    "vulnerability:rule_edit": {"pk": "rule"},
    "vulnerability:indicator_edit": {"pk": "indicator"},
    "workers:worker_detail": {"pk": "worker"},
    "workers:worker_replace": {"pk": "worker"},
    "workers:worker_reveal": {"pk": "worker"},
    "workers:screening_add": {"pk": "worker"},
    "workers:coverage_edit": {"pk": "worker"},
    "workers:incident_add": {"pk": "worker"},
    "workers:duty_add": {"pk": "worker"},
    "workers:incident_detail": {"pk": "incident"},
    "workers:claim_add": {"pk": "incident"},
    "workers:claim_edit": {"pk": "claim"},
    "incidents:evidence_download": {"pk": "evidence"},
    "incidents:evidence_original": {"pk": "evidence"},
    "incidents:pledge_edit": {"pk": "pledge"},
    "incidents:pledge_document": {"pk": "pledge"},
    "incidents:report_reveal": {"pk": "report"},
    "incidents:case_detail": {"pk": "case"},
    "incidents:case_edit": {"pk": "case"},
    "outreach:activity_detail": {"pk": "activity"},
    "outreach:activity_edit": {"pk": "activity"},
    "outreach:activity_held": {"pk": "activity"},
    "outreach:activity_cancel": {"pk": "activity"},
    "outreach:activity_delete": {"pk": "activity"},
    "outreach:attachment": {"pk": "activity", "file_pk": "activity_file"},
    "outreach:coverage_kelurahan": {"code": "kelurahan"},
    "outreach:turnout_tps": {"pk": "tps"},
    "outreach:turnout_kelurahan": {"code": "kelurahan"},
    "voting:tps": {"pk": "tps"},
    "voting:tps_result": {"pk": "tps", "contest_pk": "contest"},
    "voting:board_map_tps": {"pk": "tps"},
    "voting:quick_count": {"contest_pk": "contest"},
    "voting:quick_count_draw": {"contest_pk": "contest"},
    "voting:quick_count_lock": {"contest_pk": "contest"},
    "voting:quick_count_delete": {"contest_pk": "contest"},
    "voting:quick_count_sample": {"contest_pk": "contest"},
    "api:voting-tps-results": {"pk": "tps"},
    "api:voting-tps-detail": {"pk": "tps"},
    "api:voting-tps-report": {"pk": "tps"},
    "voting:tps_photo": {"pk": "tps", "contest_pk": "contest"},
    "voting:reconcile": {"pk": "tps", "contest_pk": "contest"},
    "voting:photo": {"pk": "photo"},
    "voting:photo_original": {"pk": "photo"},
    "api:voting-tps-photos": {"pk": "tps"},
    "audit_entry": {"pk": "audit_entry"},
    "job_detail": {"pk": "job"},
    "job_download": {"pk": "job"},
    "job_retry": {"pk": "job"},
    "api:incident-public-status": {"code": "public_code"},
    "api:kecamatan-detail": {"code": "kecamatan"},
    "api:kelurahan-detail": {"code": "kelurahan"},
    "portal:language": {"code": "language_code"},
    "portal:election": {"election_id": "election"},
    "portal:kelurahan": {"election_id": "election", "kelurahan": "portal_kelurahan"},
    "portal:tps_find": {"election_id": "election"},
    "portal:tps": {"election_id": "election", "kelurahan": "portal_kelurahan",
                   "number": "portal_tps_number"},
    "portal:data": {"election_id": "election"},
    "portal:data_file": {"election_id": "election", "name": "open_data_file"},
    "portal:settings": {"election_id": "election"},
}
# Keywords that mean the same object on every route.
KWARG_KINDS = {"tps_pk": "tps"}

# Kinds placed in a region although their model has no Scope of its own: they are fetched
# through their parent (or owner), so another region's one must be a 404 too.
PLACED_THROUGH = {
    "task_item": "its task",
    "attachment": "its task (progress-note attachment)",
    "evidence": "its report",
    "activity_file": "its activity",
    "notification": "its owner (a kelurahan A / B operator)",
    "job": "the user who asked for it (a kelurahan A / B operator)",
}
# Every other kind is placed exactly when its model declares a Scope (Tps, Kecamatan,
# Kelurahan, Task, SupervisionResponse, Shipment, Shortfall, SupportRequest, Requirement,
# TpsReadiness, Assessment, MitigationAction, Worker, Screening, Incident, Claim, Report,
# Activity, TpsTurnout). Pemda-wide (no Scope, exempt): Election, Contest, CandidatePair,
# Stage, Agency, Division, TaskTemplate(+Item), Meeting, Decision, SupervisionChecklist(+Item),
# Item, MitigationRule, Instrument, Indicator, Category, Pledge, NeutralityCase (seen by
# agency, not region), User (the user admin is admin-only), AuditEntry, the public code.

WRITE_METHODS = ("post", "put", "patch", "delete")
FORM = "application/x-www-form-urlencoded"


@dataclass
class Route:
    name: str
    pattern: str
    is_api: bool
    accepts: tuple[str, ...]  # the methods the view accepts
    kinds: dict[str, str]  # URL keyword -> kind of object
    url: str = ""
    twin_url: str = ""  # with the kelurahan B twin of every placed object; "" if none placed

    @property
    def methods(self) -> tuple[str, ...]:
        """GET (always sent, even where the view answers 405) and the view's other methods."""
        return ("get", *(m for m in self.accepts if m != "get"))


def _walk(resolver=None, namespace="", prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield name, prefix + str(entry.pattern), entry


def _view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def _accepts(callback) -> tuple[str, ...]:
    """The methods the view of ``callback`` accepts, of GET and WRITE_METHODS."""
    cls = _view_class(callback)
    if cls is None:  # a function view (set_language): GET and POST
        return ("get", "post")
    allowed = [m for m in ("get", *WRITE_METHODS) if m in cls.http_method_names]
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: its actions, less what http_method_names leaves out
        return tuple(m for m in allowed if m in actions)
    return tuple(m for m in allowed if hasattr(cls, m))


def _model(callback):
    cls = _view_class(callback)
    if cls is None:
        return None
    model = getattr(cls, "model", None)
    queryset = getattr(cls, "queryset", None)
    if model is None and queryset is not None:
        model = queryset.model
    serializer = getattr(cls, "serializer_class", None)
    if model is None and serializer is not None and hasattr(serializer, "Meta"):
        model = getattr(serializer.Meta, "model", None)
    return model


def _is_format_suffix(entry) -> bool:
    return "format" in entry.pattern.regex.groupindex


def _routes():
    """(routes, rule-skipped count, problems) of every URL pattern."""
    routes, skipped, problems, seen = [], 0, [], set()
    for name, pattern, entry in _walk():
        if _is_format_suffix(entry):
            skipped += 1
            continue
        if name is None:
            problems.append(f"{pattern}: the pattern has no name")
            continue
        if name in SKIP:
            continue
        if name in seen:
            problems.append(f"{name}: two patterns with this name")
            continue
        seen.add(name)
        keywords = list(entry.pattern.regex.groupindex)
        routes.append((name, pattern, entry, keywords))
    return routes, skipped, problems


def _kind_of(name, keyword, callback, kinds_by_model) -> str | None:
    explicit = ROUTE_KINDS.get(name, {})
    if keyword in explicit:
        return explicit[keyword]
    if keyword in KWARG_KINDS:
        return KWARG_KINDS[keyword]
    if keyword == "pk":
        return kinds_by_model.get(_model(callback))
    return None


def is_placed(kind, sw) -> bool:
    if kind in PLACED_THROUGH:
        return True
    return isinstance(getattr(type(sw.objects[kind][0]), "scope", None), Scope)


def _value(obj):
    return obj if isinstance(obj, str) else obj.pk  # regions: the pk is the code


def build_routes(sw):
    """(routes, rule-skipped count, problems): every route with its URLs built."""
    by_model = {}
    for kind, (a, _b) in sw.objects.items():
        by_model.setdefault(type(a), []).append(kind)
    kinds_by_model = {model: kinds[0] for model, kinds in by_model.items() if len(kinds) == 1}
    raw, skipped, problems = _routes()
    routes = []
    for name, pattern, entry, keywords in raw:
        kinds = {k: _kind_of(name, k, entry.callback, kinds_by_model) for k in keywords}
        missing = [k for k, kind in kinds.items() if kind is None or kind not in sw.objects]
        if missing:
            problems.append(f"{name} ({pattern}): no object for {missing}; add it to ROUTE_KINDS "
                            "(and the object to tests/sweep_world.py)")
            continue
        route = Route(name, pattern, name.startswith("api:"), _accepts(entry.callback), kinds)
        placed = any(is_placed(kind, sw) for kind in kinds.values())
        for side in ("a", "b") if placed else ("a",):
            args = {k: _value(sw.objects[kind][0 if side == "a" else 1])
                    for k, kind in kinds.items()}
            try:
                url = reverse(name, kwargs=args)
            except Exception as exc:  # noqa: BLE001 - reported as a failure below
                problems.append(f"{name} ({pattern}): cannot reverse with {args}: {exc}")
                break
            match = resolve(url.split("?")[0])
            if match.view_name != name or match.func is not entry.callback:
                problems.append(f"{name}: {url} resolves to {match.view_name}")
                break
            if side == "a":
                route.url = url
            else:
                route.twin_url = url
        else:
            routes.append(route)
    return routes, skipped, problems


@pytest.fixture
def sweep(world, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    sw = sweep_world.build(world, users)
    routes, skipped, problems = build_routes(sw)
    clients = {}
    for name, user in users.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[name] = client
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # the 500s are collected and reported, not logged
    yield sw, routes, skipped, problems, clients
    logger.setLevel(level)


def send(client, method, url, is_api):
    """One request in a savepoint that is rolled back; the client's cookies are put back."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "get":
            response = client.get(url)
        elif is_api:
            response = getattr(client, method)(url, {}, content_type="application/json")
        elif method == "post":
            response = client.post(url, {})
        else:
            response = getattr(client, method)(url, "", content_type=FORM)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def _exception(response) -> str:
    info = getattr(response, "exc_info", None)
    if not info:
        return ""
    _type, exc, tb = info
    frames = [f for f in traceback.extract_tb(tb) if "/posko/" in f.filename] or \
        traceback.extract_tb(tb)
    where = frames[-1] if frames else None
    place = f" at {where.filename.split('/posko/')[-1].split('site-packages/')[-1]}:" \
        f"{where.lineno} ({where.name})" if where else ""
    return f" — {type(exc).__name__}: {str(exc)[:160]}{place}"


def _report(title, failures):
    return f"{title} ({len(failures)}):\n" + "\n".join(sorted(set(failures)))


def test_every_route_can_be_built(sweep):
    sw, routes, skipped, problems, _clients = sweep
    assert not problems, _report("routes that cannot be built", problems)
    assert len(routes) > 200 and skipped > 50  # the resolver was really walked
    for kind, (a, b) in sw.objects.items():  # every twin really is in the other region
        if is_placed(kind, sw) and kind not in PLACED_THROUGH:
            model = type(a)
            kel_a, kel_b = sw.users["kelurahan_a"], sw.users["kelurahan_b"]
            assert model.objects.visible_to(kel_a).filter(pk=a.pk).exists(), kind
            assert not model.objects.visible_to(kel_a).filter(pk=b.pk).exists(), kind
            assert model.objects.visible_to(kel_b).filter(pk=b.pk).exists(), kind


# A URL conf with a route the sweep cannot build and one without a name (see the next test).
urlpatterns = [*root_urls.urlpatterns,
               path("misteri/<int:thing>/", View.as_view(), name="mystery"),
               path("tanpa-nama/", View.as_view())]


@pytest.mark.urls("tests.test_url_sweep")
def test_a_route_that_cannot_be_built_is_named(sweep):
    _sw, routes, _skipped, problems, _clients = sweep
    assert sorted(problems) == [
        "mystery (misteri/<int:thing>/): no object for ['thing']; add it to ROUTE_KINDS (and the "
        "object to tests/sweep_world.py)",
        "tanpa-nama/: the pattern has no name"]
    assert "mystery" not in {r.name for r in routes}


def test_no_route_answers_5xx(sweep):
    _sw, routes, _skipped, _problems, clients = sweep
    failures, requests = {}, 0  # (route, method, url, status + exception) -> personas
    for route in routes:
        for persona, client in clients.items():
            if persona == "anonymous":
                continue  # test_anonymous_is_sent_to_login
            for method in route.methods:
                response = send(client, method, route.url, route.is_api)
                requests += 1
                if response.status_code >= 500:
                    key = (route.name, method.upper(), route.url,
                           f"{response.status_code}{_exception(response)}")
                    failures.setdefault(key, []).append(persona)
    assert not failures, _report(f"5xx answers of {requests} requests", [
        f"{name} {method} {url} as {', '.join(who)} → {what}"
        for (name, method, url, what), who in failures.items()])


def test_anonymous_is_sent_to_login(sweep):
    _sw, routes, _skipped, _problems, clients = sweep
    client, failures = clients["anonymous"], []
    for route in routes:
        for method in route.methods:
            response = send(client, method, route.url, route.is_api)
            status, where = response.status_code, f"{route.name} {method.upper()} {route.url}"
            if status >= 500:
                failures.append(f"{where} → {status}{_exception(response)}")
            elif route.name in PUBLIC:
                continue
            elif route.is_api and status not in (401, 403):
                failures.append(f"{where} → {status} (expected 401/403)")
            elif not route.is_api and not (
                    status == 302 and response["Location"].startswith("/masuk/")):
                failures.append(f"{where} → {status} {response.get('Location', '')} "
                                "(expected a redirect to /masuk/)")
    assert not failures, _report("anonymous requests not sent to login", failures)


def test_other_regions_object_is_404(sweep):
    _sw, routes, _skipped, _problems, clients = sweep
    failures, placed = [], [r for r in routes if r.twin_url]
    assert len(placed) > 80
    for route in placed:
        for persona in ("kelurahan_a", "kecamatan_a"):
            for method in route.methods:
                response = send(clients[persona], method, route.twin_url, route.is_api)
                # A method the view does not take is a 405 whatever the object: no leak.
                if response.status_code != (404 if method in route.accepts else 405):
                    failures.append(f"{route.name} {persona} {method.upper()} {route.twin_url} → "
                                    f"{response.status_code}{_exception(response)}")
        # The 404 proves nothing if the route answers 404 on kelurahan A's own object.
        own = send(clients["kelurahan_a"], "get", route.url, route.is_api)
        if own.status_code == 404 and "get" in route.accepts:
            failures.append(f"{route.name} kelurahan_a GET {route.url} (own object) → 404")
    assert not failures, _report("other region's object not a 404", failures)


def test_other_regions_tps_is_404_on_every_tps_route(world, sweep):
    """The same for TPS of the other kelurahan of kecamatan A and outside the Pemda."""
    sw, routes, _skipped, _problems, clients = sweep
    failures = []
    tps_routes = [r for r in routes if "tps" in r.kinds.values()]
    assert len(tps_routes) >= 10
    for route in tps_routes:
        for tps in (world.tps_a2, world.tps_outside):
            args = {k: _value(tps if kind == "tps" else sw.objects[kind][0])
                    for k, kind in route.kinds.items()}
            url = reverse(route.name, kwargs=args)
            response = send(clients["kelurahan_a"], "get", url, route.is_api)
            if response.status_code != (404 if "get" in route.accepts else 405):
                failures.append(f"{route.name} kelurahan_a GET {url} → {response.status_code}")
    assert not failures, _report("other TPS not a 404", failures)


def test_audit_log_filters(world, users, personas):
    AuditEntry.objects.create(username="lurah.x", action="login_failed", object_repr="lurah.x")
    AuditEntry.objects.create(username="admin", action="export", object_repr="tps")
    client = personas["admin"].client
    body = client.get(reverse("audit_log"), {"action": "login_failed"}).content.decode()
    assert "lurah.x" in body and ">tps<" not in body
    body = client.get(reverse("audit_log"), {"user": "lurah"}).content.decode()
    assert "lurah.x" in body
    body = client.get(reverse("audit_log"), {"date_from": "bukan-tanggal"}).content.decode()
    assert "lurah.x" in body  # a bad date is ignored, not a server error
    entry = AuditEntry.objects.get(username="lurah.x")
    assert client.get(reverse("audit_entry", args=[entry.pk])).status_code == 200
    pemantau = personas["pemantau"].client
    assert pemantau.get(reverse("audit_entry", args=[entry.pk])).status_code == 403
