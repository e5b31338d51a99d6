"""Every API write path refuses another region's keys (security issue, point B).

For each path that creates or changes something (create, update, partial update, bulk,
transitions, custom actions), lurah A and camat A send an id, a code or a list entry of
another region: the answer is a refusal (400 "does not exist" on the field, exactly as for
an id that does not exist; 404 for an object in the URL they cannot see; 403 for a role
that may not write there at all), and no table of the app changed, audit log included.
The generic part is ``posko.core.api.ScopedFieldsMixin``: the tests at the end check that
every write serializer of every module uses it.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from posko.core.api import ScopedFieldsMixin
from posko.core.models import AuditEntry
from posko.incidents.models import NeutralityCase, Pledge
from posko.logistics.models import Item, Shipment, Shortfall
from posko.logistics.services.shipments import create_shipment
from posko.workers import services as worker_services
from posko.workers.models import Claim, Incident
from tests.incidents_fixtures import make_report
from tests.outreach_fixtures import add_activity
from tests.workers_fixtures import make_worker

REGION_PERSONAS = ["kelurahan_a", "kecamatan_a"]
COVERED = {"bpjs_status": "aktif", "bpjs_number": "2401", "bpjs_start": datetime.date(2024, 11, 1),
           "bpjs_end": datetime.date(2024, 12, 31)}
# The tables a write of these endpoints can touch: each must be unchanged after a refusal.
WATCHED = ["elections.Tps", "coordination.Task", "coordination.TaskNote", "logistics.Shipment",
           "logistics.ShipmentLine", "logistics.Shortfall", "vulnerability.Assessment",
           "vulnerability.MitigationAction", "workers.Worker", "workers.Screening",
           "workers.Incident", "workers.Claim", "incidents.Report", "incidents.Pledge",
           "incidents.NeutralityCase", "outreach.Activity", "outreach.TpsTurnout",
           "core.AuditEntry"]


def not_found(value) -> list[str]:
    """What a key that does not exist (or is out of scope) gets, in Indonesian."""
    return [f'Data "{value}" tidak ditemukan.']


def database() -> dict:
    return {label: list(apps.get_model(label).objects.order_by("pk").values())
            for label in WATCHED}


@dataclass
class Objects:
    worker_a: object
    worker_b: object
    incident_a: object
    incident_a2: object
    incident_b: object
    claim_a: object
    report_a: object
    report_b: object
    activity_a: object
    action_a: int
    shortfall_b: object
    shipment_b: object
    items: list
    agency: object


@pytest.fixture
def objs(world, users, personas, settings, tmp_path) -> Objects:
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = users["admin"]
    worker_a = make_worker(admin, world.tps_a, name="Petugas A", **COVERED)
    worker_a2 = make_worker(admin, world.tps_a2, name="Petugas A2", **COVERED)
    worker_b = make_worker(admin, world.tps_b, name="Petugas B", **COVERED)

    def incident(worker):
        return worker_services.record_incident(Incident(
            worker=worker, kind="kecelakaan", date=datetime.date(2024, 11, 27),
            description="Jatuh dari tangga"), actor=admin)

    incident_a, incident_a2, incident_b = incident(worker_a), incident(worker_a2), incident(worker_b)
    claim_a = worker_services.save_claim(Claim(incident=incident_a, programme="jkk",
                                               status="disiapkan"), actor=admin)
    items = [Item.objects.create(election=world.election, code="kotak", name="Kotak suara",
                                 unit="buah", norm=Item.Norm.PER_TPS, quantity=2, order=1)]
    shipment_b = create_shipment(world.election, "pps", "tps", world.tps_b,
                                         {items[0].pk: 2}, actor=users["kelurahan_b"])
    shortfall_b = Shortfall.objects.create(
        election=world.election, kind=Shortfall.Kind.DAMAGED, kecamatan_id=world.kec_b.code,
        kelurahan_id=world.kel_b.code, tps=world.tps_b, quantity=1)
    action = personas["kelurahan_a"].client.post(
        reverse("api:vulnerability-action-list"),
        {"tps": world.tps_a.pk, "title": "Siaga BPBD", "due_date": "2024-11-24"},
        content_type="application/json")
    assert action.status_code == 201, action.content
    return Objects(
        worker_a=worker_a, worker_b=worker_b, incident_a=incident_a, incident_a2=incident_a2,
        incident_b=incident_b, claim_a=claim_a,
        report_a=make_report(world, admin, tps=world.tps_a),
        report_b=make_report(world, admin, tps=world.tps_b),
        activity_a=add_activity(world, users["kelurahan_a"]), action_a=action.json()["id"],
        shortfall_b=shortfall_b, shipment_b=shipment_b, items=items,
        agency=users["agency"].agency)


def past(hours=2) -> str:
    return (timezone.now() - datetime.timedelta(hours=hours)).isoformat()


def future(days=3) -> str:
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


def tps_body(world, **extra):
    return {"kelurahan": world.kel_a.code, "number": 7, "dpt_men": 100, "dpt_women": 120, **extra}


def task_body(o, **extra):
    return {"title": "Cek gudang", "agency": o.agency.pk, "due_at": future(), **extra}


def worker_body(**extra):
    from tests.workers_fixtures import make_nik

    return {"role": "kpps_anggota", "full_name": "Agus", "nik": make_nik(), **extra}


def report_body(**extra):
    return {"category": "politik_uang", "occurred_at": past(), "title": "Amplop",
            "description": "Amplop dibagikan di gang.", **extra}


def activity_body(**extra):
    return {"title": "Sosialisasi", "kind": "tatap_muka", "status": "held",
            "starts_at": "2024-10-15T09:00:00+07:00", "attendance": 20,
            "target_groups": ["pemilih-pemula"], **extra}


def shipment_body(o, **extra):
    return {"from_level": "pps", "to_level": "tps", "lines": [{"item": o.items[0].pk,
                                                               "dispatched": 2}], **extra}


def detail(name, pk) -> str:
    return reverse(f"api:{name}-detail", args=[pk])


# (name, build(world, objs, users) -> (method, url, body), accepted statuses, (field,
# expected(world, objs) -> its messages) of the "does not exist" answer, or None)
CASES = [
    # elections
    ("tps create: kelurahan B", lambda w, o, u: (
        "post", reverse("api:tps-list"), tps_body(w, kelurahan=w.kel_b.code)),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("tps patch: move to kelurahan B", lambda w, o, u: (
        "patch", detail("tps", w.tps_a.pk), {"kelurahan": w.kel_b.code}),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("tps put: move to kelurahan B", lambda w, o, u: (
        "put", detail("tps", w.tps_a.pk), tps_body(w, kelurahan=w.kel_b.code, number=1)),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("tps patch: TPS of region B", lambda w, o, u: (
        "patch", detail("tps", w.tps_b.pk), {"dpt_men": 1}), {404}, None),
    # coordination
    ("task create: TPS of B", lambda w, o, u: (
        "post", reverse("api:task-list"), task_body(o, tps=w.tps_b.pk)),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("task create: kelurahan B", lambda w, o, u: (
        "post", reverse("api:task-list"), task_body(o, kelurahan=w.kel_b.code)),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("task create: kecamatan B", lambda w, o, u: (
        "post", reverse("api:task-list"), task_body(o, kecamatan=w.kec_b.code)),
     {400}, ("kecamatan", lambda w, o: not_found(w.kec_b.code))),
    ("task create: lurah B as assignee", lambda w, o, u: (
        "post", reverse("api:task-list"), task_body(o, assignees=[u["kelurahan_b"].pk])),
     {400}, None),
    # logistics
    ("shortfall patch: case of B", lambda w, o, u: (
        "patch", detail("logistics-shortfall", o.shortfall_b.pk),
        {"status": "replacement", "owner": o.agency.pk, "version": 1}), {404}, None),
    ("shipment create: to TPS of B", lambda w, o, u: (
        "post", reverse("api:logistics-shipment-list"), shipment_body(o, tps=w.tps_b.pk)),
     {400}, None),
    ("shipment create: to PPS of B", lambda w, o, u: (
        "post", reverse("api:logistics-shipment-list"),
        shipment_body(o, from_level="ppk", to_level="pps", tps=None, kelurahan=w.kel_b.code)),
     {400}, None),
    ("shipment confirm: shipment of B", lambda w, o, u: (
        "post", reverse("api:logistics-shipment-confirm", args=[o.shipment_b.pk]),
        {"version": 1, "receiver_name": "X", "lines": [{"item": o.items[0].pk, "received": 2}]}),
     {404}, None),
    # vulnerability
    ("assessments bulk: TPS of B", lambda w, o, u: (
        "post", reverse("api:vulnerability-assessment-bulk"),
        [{"tps": w.tps_a.pk, "indicator": "rawan_bencana", "value": 1},
         {"tps": w.tps_b.pk, "indicator": "rawan_bencana", "value": 1}]), {404}, None),
    ("action create: TPS of B", lambda w, o, u: (
        "post", reverse("api:vulnerability-action-list"),
        {"tps": w.tps_b.pk, "title": "x", "due_date": "2024-11-24"}),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("action create: kelurahan B", lambda w, o, u: (
        "post", reverse("api:vulnerability-action-list"),
        {"kelurahan": w.kel_b.code, "title": "x", "due_date": "2024-11-24"}),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("action patch: move to TPS of B", lambda w, o, u: (
        "patch", detail("vulnerability-action", o.action_a), {"tps": w.tps_b.pk, "version": 1}),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("action put: move to kelurahan B", lambda w, o, u: (
        "put", detail("vulnerability-action", o.action_a),
        {"tps": None, "kelurahan": w.kel_b.code, "title": "x", "due_date": "2024-11-24",
         "version": 1}),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    # workers
    ("worker create: TPS of B", lambda w, o, u: (
        "post", reverse("api:worker-list"), worker_body(tps=w.tps_b.pk)),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("worker create: PPS of kelurahan B", lambda w, o, u: (
        "post", reverse("api:worker-list"),
        worker_body(role="pps", kelurahan=w.kel_b.code)), {404}, None),
    ("worker create: PPK of kecamatan B", lambda w, o, u: (
        "post", reverse("api:worker-list"),
        worker_body(role="ppk", kecamatan=w.kec_b.code)), {404}, None),
    ("worker patch: move to TPS of B", lambda w, o, u: (
        "patch", detail("worker", o.worker_a.pk), {"tps": w.tps_b.pk}),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("worker patch: worker of B", lambda w, o, u: (
        "patch", detail("worker", o.worker_b.pk), {"full_name": "X"}), {404}, None),
    ("screening create: worker of B", lambda w, o, u: (
        "post", reverse("api:worker-screening-list"),
        {"worker": o.worker_b.pk, "date": "2024-11-20", "facility_kind": "puskesmas",
         "systolic": 120, "diastolic": 80, "result": "layak"}), {403}, None),
    ("incident create: worker of B", lambda w, o, u: (
        "post", reverse("api:worker-incident-list"),
        {"worker": o.worker_b.pk, "kind": "sakit", "date": "2024-11-27", "description": "x"}),
     {400}, ("worker", lambda w, o: not_found(o.worker_b.pk))),
    ("claim create: incident of B", lambda w, o, u: (
        "post", reverse("api:worker-claim-list"),
        {"incident": o.incident_b.pk, "programme": "jkk", "status": "disiapkan"}),
     {400}, ("incident", lambda w, o: not_found(o.incident_b.pk))),
    ("claim patch: move to incident of B (the tracker's case)", lambda w, o, u: (
        "patch", detail("worker-claim", o.claim_a.pk), {"incident": o.incident_b.pk}),
     {400}, ("incident", lambda w, o: not_found(o.incident_b.pk))),
    # incidents
    ("report create: TPS of B", lambda w, o, u: (
        "post", reverse("api:incident-report-list"), report_body(tps=w.tps_b.pk)),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
    ("report create: kelurahan B", lambda w, o, u: (
        "post", reverse("api:incident-report-list"), report_body(kelurahan=w.kel_b.code)),
     {400}, ("kelurahan", lambda w, o: not_found(w.kel_b.code))),
    ("report transition: report of B", lambda w, o, u: (
        "post", reverse("api:incident-report-transition", args=[o.report_b.pk]),
        {"state": "diverifikasi", "note": "x"}), {404}, None),
    ("pledge create (admins only)", lambda w, o, u: (
        "post", reverse("api:incident-pledge-list"),
        {"agency": o.agency.pk, "asn_total": 10, "asn_covered": 5}), {403}, None),
    ("case create (admins only): report of B", lambda w, o, u: (
        "post", reverse("api:incident-case-list"),
        {"report": o.report_b.pk, "agency": o.agency.pk, "asn_name": "X", "act": "x"}),
     {403}, None),
    # outreach
    ("activity create: kelurahan B", lambda w, o, u: (
        "post", reverse("api:outreach-activity-list"), activity_body(kelurahan=w.kel_b.code)),
     {400}, ("kelurahan", lambda w, o: [f'Data dengan code "{w.kel_b.code}" tidak ditemukan.'])),
    ("activity create: kecamatan B", lambda w, o, u: (
        "post", reverse("api:outreach-activity-list"),
        activity_body(kecamatan=w.kec_b.code, organiser_kind="kecamatan")),
     {400}, None),
    ("activity patch: move to kelurahan B", lambda w, o, u: (
        "patch", detail("outreach-activity", o.activity_a.pk),
        {"kelurahan": w.kel_b.code, "version": 1}), {400}, None),
    ("turnout create: TPS of B", lambda w, o, u: (
        "post", reverse("api:outreach-turnout-list"), {"tps": w.tps_b.pk, "voted_dpt": 1}),
     {400}, ("tps", lambda w, o: not_found(w.tps_b.pk))),
]


@pytest.mark.parametrize("persona", REGION_PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_another_regions_key_is_refused_and_nothing_changes(world, users, personas, objs,
                                                            persona, case):
    _name, build, statuses, message = case
    method, url, body = build(world, objs, users)
    before = database()
    response = getattr(personas[persona].client, method)(url, body,
                                                         content_type="application/json")
    assert response.status_code in statuses, (response.status_code, response.content[:500])
    if message is not None:
        field, expected = message
        assert response.json()[field] == expected(world, objs), response.json()
    if response.status_code == 404:
        assert response.json() == {"detail": "Data tidak ditemukan."}
    assert database() == before


def test_lurah_cannot_move_a_claim_to_another_kelurahan_of_the_same_kecamatan(
        world, personas, objs):
    """Kelurahan A2 is the camat's, not the lurah's."""
    before = database()
    response = personas["kelurahan_a"].client.patch(
        detail("worker-claim", objs.claim_a.pk), {"incident": objs.incident_a2.pk},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["incident"] == not_found(objs.incident_a2.pk)
    assert database() == before
    # The camat may: the claim follows the incident's place.
    response = personas["kecamatan_a"].client.patch(
        detail("worker-claim", objs.claim_a.pk), {"incident": objs.incident_a2.pk},
        content_type="application/json")
    assert response.status_code == 200, response.content
    claim = Claim.objects.get(pk=objs.claim_a.pk)
    assert (claim.incident_id, claim.kelurahan_id) == (objs.incident_a2.pk, world.kel_a2.code)


def test_in_scope_writes_still_work(world, users, personas, objs):
    """The scoped fields accept the caller's own rows (the refusals above are not blanket)."""
    lurah = personas["kelurahan_a"].client
    json = {"content_type": "application/json"}
    assert lurah.post(reverse("api:task-list"), task_body(objs, tps=world.tps_a.pk),
                      **json).status_code == 201
    assert lurah.post(reverse("api:incident-report-list"), report_body(tps=world.tps_a.pk),
                      **json).status_code == 201
    assert lurah.post(reverse("api:outreach-turnout-list"), {"tps": world.tps_a.pk,
                      "voted_dpt": 1}, **json).status_code == 201
    assert lurah.post(reverse("api:worker-incident-list"), {
        "worker": objs.worker_a.pk, "kind": "sakit", "date": "2024-11-27",
        "description": "Demam"}, **json).status_code == 201
    camat = personas["kecamatan_a"].client
    assert camat.post(reverse("api:outreach-activity-list"),
                      activity_body(kelurahan=world.kel_a2.code), **json).status_code == 201


def test_camat_cannot_assign_a_report_to_a_lurah(world, users, personas, objs):
    """The transition's person is chosen as on the page: an agency's person or an admin."""
    before = database()
    response = personas["kecamatan_a"].client.post(
        reverse("api:incident-report-transition", args=[objs.report_a.pk]),
        {"state": "diverifikasi", "note": "Dicek", "assignee": users["kelurahan_b"].pk},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["assignee"] == not_found(users["kelurahan_b"].pk)
    assert database() == before


def test_a_serializer_without_a_request_accepts_no_scoped_key(world, users):
    """Fail closed: built by hand without the request, no region's row is a valid choice."""
    from posko.workers.api import ClaimSerializer

    data = {"incident": 1, "programme": "jkk", "status": "disiapkan"}
    assert not ClaimSerializer(data=data).is_valid()
    request = APIRequestFactory().post("/")
    request.user = users["admin"]
    serializer = ClaimSerializer(data=data, context={"request": request})
    serializer.is_valid()
    assert "incident" in serializer.errors  # no incident 1 here: still the same message
    assert serializer.errors["incident"] == not_found(1)


# --- every module's write serializers use the scoped fields ---------------------------------

API_MODULES = ["elections", "coordination", "logistics", "vulnerability", "workers", "incidents",
               "outreach", "accounts", "regions"]
WRITE_ACTIONS = ("create", "update", "partial_update")


def _router_write_serializers() -> set[type]:
    """The serializer each registered viewset uses for create and update."""
    from posko.api_urls import router

    found = set()
    for _prefix, viewset, _basename in router.registry:
        allowed = set(getattr(viewset, "http_method_names", ())) & {"post", "put", "patch"}
        for action in WRITE_ACTIONS:
            if allowed and hasattr(viewset, action):
                view = viewset(action=action, request=None, format_kwarg=None, kwargs={})
                found.add(view.get_serializer_class())
    return found


def _payload_serializers() -> set[type]:
    """Serializers the api modules build by hand from a payload (``X(data=...)``), and the
    ones named by an @action."""
    found = set()
    for name in API_MODULES:
        package = importlib.import_module(f"posko.{name}.api")
        modules = [package] + [  # an api/ package: every module in it
            importlib.import_module(info.name) for info in pkgutil.iter_modules(
                getattr(package, "__path__", []), prefix=f"{package.__name__}.")]
        for module in modules:
            source = inspect.getsource(module)
            for cls_name in re.findall(r"(\w+Serializer)\(\s*data=", source) + re.findall(
                    r"serializer_class=(\w+Serializer)", source):
                found.add(getattr(module, cls_name))
    return found


def _with_nested(classes: set[type]) -> set[type]:
    result, todo = set(), list(classes)
    while todo:
        cls = todo.pop()
        if cls in result:
            continue
        result.add(cls)
        for field in _fields(cls).values():
            child = getattr(field, "child", field)
            if isinstance(child, serializers.BaseSerializer) and not field.read_only:
                todo.append(type(child))
    return result


def _fields(cls):
    return cls(context={}).fields


def test_the_guard_finds_the_write_serializers(db):
    from posko.incidents.api import PublicReportSerializer, TransitionSerializer
    from posko.logistics.api.shipments import ShipmentNewLineSerializer
    from posko.workers.api import ClaimSerializer

    found = _with_nested(_router_write_serializers() | _payload_serializers())
    assert {ClaimSerializer, TransitionSerializer, ShipmentNewLineSerializer,
            PublicReportSerializer} <= found


def test_every_write_serializer_scopes_its_keys(db):
    """A write serializer that forgets ScopedFieldsMixin fails here, before it can take
    another region's id (or a number SQLite cannot store)."""
    found = _with_nested(_router_write_serializers() | _payload_serializers())
    unscoped = sorted(f"{cls.__module__}.{cls.__name__}" for cls in found
                      if not issubclass(cls, ScopedFieldsMixin))
    assert unscoped == []


def test_the_checked_models_are_the_ones_the_endpoints_write(db):
    assert {Pledge, NeutralityCase, Shipment} <= {apps.get_model(m) for m in WATCHED}
    assert AuditEntry in {apps.get_model(m) for m in WATCHED}
