"""Logistics API: requirements, readiness (per TPS and per region), shortfall cases and
shipments under /api/v1/logistics/. Persona matrix (200 / 403 read-only / 404 invisible),
writes only through the custody services with nothing saved on bad input, 409 on a
stale version or a second confirmation, constant query counts, schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from posko.elections.models import Tps
from posko.logistics.models import (
    Item,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import readiness, requirements
from tests.conftest import EDITS_KEL_A, PERSONA_NAMES, SEES_KEL_A, SEES_KEL_A2, SEES_KEL_B
from tests.outreach_fixtures import PNG  # a real 1x1 PNG (photos are decoded)

pytestmark = pytest.mark.django_db

REQUIREMENTS = "/api/v1/logistics/requirements/"
READINESS = "/api/v1/logistics/readiness/"
SUMMARY = "/api/v1/logistics/readiness/summary/"
SHORTFALLS = "/api/v1/logistics/shortfalls/"
SHIPMENTS = "/api/v1/logistics/shipments/"


@pytest.fixture
def api(users):
    def client(name):
        c = APIClient()
        if users[name] is not None:
            c.force_authenticate(users[name])
        return c
    return client


@pytest.fixture
def items(world):
    made = [
        Item.objects.create(election=world.election, code="kotak", name="Kotak suara", unit="buah",
                            norm=Item.Norm.PER_TPS, quantity=2, order=1),
        Item.objects.create(election=world.election, code="tinta", name="Tinta", unit="botol",
                            norm=Item.Norm.PER_TPS, quantity=2, order=2),
    ]
    requirements.recompute(world.election)
    return made


def who_sees(world, persona) -> set[int]:
    return {pk for pk, sees in ((world.tps_a.pk, SEES_KEL_A), (world.tps_a2.pk, SEES_KEL_A2),
                                (world.tps_b.pk, SEES_KEL_B)) if persona in sees}


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def queries(client, url, params=None) -> int:
    client.get(url, params or {})  # warm up (the Pemda is cached per process)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def more_tps(world, n):
    made = [Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=20 + i,
                               dpt_men=50, dpt_women=50) for i in range(n)]
    requirements.recompute(world.election, tps_ids=[t.pk for t in made])
    return made


# --- requirements ---------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_requirements_persona_matrix(world, items, api, persona):
    response = api(persona).get(REQUIREMENTS)
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    data = response.json()
    expected = who_sees(world, persona)
    assert {r["tps"] for r in data["results"]} == expected
    assert data["count"] == 2 * len(expected)


def test_requirements_fields_and_filters(world, items, api):
    client = api("admin")
    rows = results(client.get(REQUIREMENTS, {"tps": world.tps_a.pk}))
    assert rows == [
        {"id": rows[0]["id"], "tps": world.tps_a.pk, "tps_label": "TPS 001",
         "kecamatan": world.kec_a.code, "kelurahan": world.kel_a.code, "item": items[0].pk,
         "item_code": "kotak", "item_name": "Kotak suara", "contest": None,
         "contest_name": None, "unit": "buah", "quantity": 2},
        {"id": rows[1]["id"], "tps": world.tps_a.pk, "tps_label": "TPS 001",
         "kecamatan": world.kec_a.code, "kelurahan": world.kel_a.code, "item": items[1].pk,
         "item_code": "tinta", "item_name": "Tinta", "contest": None, "contest_name": None,
         "unit": "botol", "quantity": 2}]
    assert {r["tps"] for r in results(client.get(REQUIREMENTS, {"kecamatan": world.kec_a.code}))} \
        == {world.tps_a.pk, world.tps_a2.pk}
    assert {r["tps"] for r in results(client.get(REQUIREMENTS, {"kelurahan": world.kel_b.code}))} \
        == {world.tps_b.pk}
    assert {r["item"] for r in results(client.get(REQUIREMENTS, {"item": items[1].pk}))} == {
        items[1].pk}
    assert client.get(REQUIREMENTS, {"tps": "abc"}).status_code == 400
    assert client.get(REQUIREMENTS, {"election": 9999}).status_code == 400
    # Another election's requirements only on request.
    assert results(client.get(REQUIREMENTS, {"election": world.election.pk}))


def test_requirement_detail_outside_the_scope_is_404(world, items, api):
    req_b = Requirement.objects.filter(tps=world.tps_b).first()
    req_out = Requirement.objects.filter(tps=world.tps_outside).first()
    assert api("kelurahan_a").get(f"{REQUIREMENTS}{req_b.pk}/").status_code == 404
    assert api("admin").get(f"{REQUIREMENTS}{req_out.pk}/").status_code == 404
    assert api("kelurahan_b").get(f"{REQUIREMENTS}{req_b.pk}/").status_code == 200


def test_requirements_are_read_only(world, items, api):
    req = Requirement.objects.filter(tps=world.tps_a).first()
    assert api("admin").post(REQUIREMENTS, {"tps": world.tps_a.pk}).status_code == 405
    assert api("admin").patch(f"{REQUIREMENTS}{req.pk}/", {"quantity": 9}).status_code == 405
    assert Requirement.objects.get(pk=req.pk).quantity == 2


def test_requirements_query_count_is_constant(world, items, api):
    client = api("admin")
    few = queries(client, REQUIREMENTS)
    more_tps(world, 12)
    assert queries(client, REQUIREMENTS) == few


# --- readiness -------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_readiness_persona_matrix(world, items, api, persona):
    response = api(persona).get(READINESS)
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert {r["tps"] for r in response.json()["results"]} == who_sees(world, persona)
    assert response.json()["count"] == len(who_sees(world, persona))


def test_readiness_fields_filters_and_detail(world, items, api):
    TpsReadiness.objects.filter(tps=world.tps_a2).update(state="bermasalah", percent=Decimal("37.5"),
                                                         open_shortfalls=1)
    client = api("admin")
    row = client.get(f"{READINESS}{world.tps_a2.pk}/").json()
    assert row["tps"] == world.tps_a2.pk and row["tps_label"] == "TPS 001"
    assert row["state"] == "bermasalah" and row["percent"] == 37.5 and row["open_shortfalls"] == 1
    assert row["kecamatan"] == world.kec_a.code and row["kelurahan"] == world.kel_a2.code
    assert row["required_units"] == 4 and row["good_units"] == 0
    assert [r["tps"] for r in results(client.get(READINESS, {"state": "bermasalah"}))] == [
        world.tps_a2.pk]
    assert {r["tps"] for r in results(client.get(READINESS, {"kecamatan": world.kec_a.code}))} == {
        world.tps_a.pk, world.tps_a2.pk}
    assert [r["tps"] for r in results(client.get(READINESS, {"kelurahan": world.kel_b.code}))] == [
        world.tps_b.pk]
    assert client.get(READINESS, {"state": "hilang"}).status_code == 400
    assert api("kelurahan_a").get(f"{READINESS}{world.tps_a2.pk}/").status_code == 404
    assert client.get(f"{READINESS}{world.tps_outside.pk}/").status_code == 404


def test_readiness_summary(world, items, api):
    TpsReadiness.objects.filter(tps=world.tps_a).update(state="lengkap", good_units=4)
    TpsReadiness.objects.filter(tps=world.tps_a2).update(state="kurang", good_units=1)
    client = api("admin")
    data = client.get(SUMMARY).json()
    assert data["count"] == 2
    assert data["results"] == [
        {"code": world.kec_b.code, "name": "Blimbing", "tps": 1, "lengkap": 0, "kurang": 0,
         "belum": 1, "bermasalah": 0, "required_units": 4, "good_units": 0, "percent": 0.0},
        {"code": world.kec_a.code, "name": "Klojen", "tps": 2, "lengkap": 1, "kurang": 1,
         "belum": 0, "bermasalah": 0, "required_units": 8, "good_units": 5, "percent": 62.5}]
    kel = client.get(SUMMARY, {"level": "kelurahan", "kecamatan": world.kec_a.code}).json()
    assert [(r["code"], r["name"], r["tps"]) for r in kel["results"]] == [
        (world.kel_a.code, "Klojen", 1), (world.kel_a2.code, "Rampal Celaket", 1)]
    assert client.get(SUMMARY, {"level": "provinsi"}).status_code == 400
    lurah = api("kelurahan_a").get(SUMMARY, {"level": "kelurahan"}).json()
    assert [r["code"] for r in lurah["results"]] == [world.kel_a.code]
    assert api("anonymous").get(SUMMARY).status_code in (401, 403)


def test_readiness_query_counts_are_constant(world, items, api):
    client = api("admin")
    few = queries(client, READINESS), queries(client, SUMMARY, {"level": "kelurahan"})
    more_tps(world, 12)
    assert (queries(client, READINESS), queries(client, SUMMARY, {"level": "kelurahan"})) == few


# --- shortfall cases -------------------------------------------------------------------------------

def case_for(world, tps, **extra):
    return Shortfall.objects.create(
        election=world.election, kind=extra.pop("kind", Shortfall.Kind.DAMAGED),
        kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id, tps=tps, quantity=1, **extra)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_shortfalls_persona_matrix(world, items, api, persona):
    cases = {tps.pk: case_for(world, tps) for tps in (world.tps_a, world.tps_a2, world.tps_b,
                                                      world.tps_outside)}
    client = api(persona)
    response = client.get(SHORTFALLS)
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert {r["tps"] for r in response.json()["results"]} == who_sees(world, persona)
    case = cases[world.tps_a.pk]
    patch = client.patch(f"{SHORTFALLS}{case.pk}/", {"status": "replacement", "version": 1},
                         format="json")
    if persona in EDITS_KEL_A:
        assert patch.status_code == 200, patch.content
        assert patch.json()["status"] == "replacement" and patch.json()["version"] == 2
    elif persona in SEES_KEL_A:
        assert patch.status_code == 403
        assert Shortfall.objects.get(pk=case.pk).status == "open"
    else:
        assert patch.status_code == 404
    assert client.get(f"{SHORTFALLS}{cases[world.tps_outside.pk].pk}/").status_code == 404


def test_shortfall_resolve_and_stale_version(world, items, api, users):
    case = case_for(world, world.tps_a)
    readiness.refresh(world.election, [world.tps_a.pk])
    assert TpsReadiness.objects.get(tps=world.tps_a).state == "bermasalah"
    client = api("kelurahan_a")
    url = f"{SHORTFALLS}{case.pk}/"
    no_text = client.patch(url, {"status": "resolved", "version": 1}, format="json")
    assert no_text.status_code == 400 and "resolution" in no_text.json()
    resolved = client.patch(url, {"status": "resolved", "resolution": "Kotak diganti",
                                  "version": 1}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["closed_by"] == users["kelurahan_a"].pk
    assert TpsReadiness.objects.get(tps=world.tps_a).state == "belum"
    stale = client.patch(url, {"status": "open", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["detail"]
    assert Shortfall.objects.get(pk=case.pk).status == "resolved"


def test_shortfall_bad_input(world, items, api, users):
    case = case_for(world, world.tps_a)
    client = api("kelurahan_a")
    url = f"{SHORTFALLS}{case.pk}/"
    assert client.patch(url, {"status": "lost", "version": 1}, format="json").status_code == 400
    assert client.patch(url, {"status": "open"}, format="json").status_code == 400
    assert client.patch(url, {"status": "open", "version": "x"}, format="json").status_code == 400
    # Only the admin sets the owner.
    from posko.accounts.models import Agency

    agency = Agency.objects.first()
    owner = client.patch(url, {"status": "open", "owner": agency.pk, "version": 1}, format="json")
    assert owner.status_code == 400 and "owner" in owner.json()
    assert client.put(url, {"status": "open", "version": 1}, format="json").status_code == 405
    assert api("admin").patch(url, {"status": "open", "owner": agency.pk, "version": 1},
                              format="json").json()["owner"] == agency.pk
    case.refresh_from_db()
    assert case.version == 2


def test_shortfall_filters(world, items, api):
    case_for(world, world.tps_a, kind=Shortfall.Kind.SHORT)
    case_for(world, world.tps_b, status=Shortfall.Status.RESOLVED)
    client = api("admin")
    assert [r["kind"] for r in results(client.get(SHORTFALLS, {"kind": "short"}))] == ["short"]
    assert [r["tps"] for r in results(client.get(SHORTFALLS, {"status": "resolved"}))] == [
        world.tps_b.pk]
    assert [r["tps"] for r in results(client.get(SHORTFALLS, {"kecamatan": world.kec_a.code}))] \
        == [world.tps_a.pk]
    assert client.get(SHORTFALLS, {"kind": "stolen"}).status_code == 400


# --- shipments --------------------------------------------------------------------------------------

def new_shipment(world, items, to=None, **extra):
    body = {"from_level": "pps", "to_level": "tps", "tps": (to or world.tps_a).pk, "seal_numbers": "S-1",
            "vehicle": "Pikap", "driver": "Pak Budi",
            "lines": [{"item": items[0].pk, "dispatched": 2}, {"item": items[1].pk, "dispatched": 2}]}
    body.update(extra)
    return body


def test_lurah_creates_a_shipment_to_their_tps(world, items, api, users):
    response = api("kelurahan_a").post(SHIPMENTS, new_shipment(world, items), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["tps"] == world.tps_a.pk and data["status"] == "dispatched"
    assert data["kelurahan"] == world.kel_a.code and data["dispatched_by"] == users["kelurahan_a"].pk
    assert [(line["item_code"], line["dispatched"], line["received"]) for line in data["lines"]] == [
        ("kotak", 2, None), ("tinta", 2, None)]
    assert data["election"] == world.election.pk and data["version"] == 1


@pytest.mark.parametrize("persona", ["agency", "pemantau"])
def test_read_only_roles_cannot_create_shipments(world, items, api, persona):
    response = api(persona).post(SHIPMENTS, new_shipment(world, items), format="json")
    assert response.status_code == 403
    assert not Shipment.objects.exists()


@pytest.mark.parametrize("persona,tps", [("kelurahan_a", "tps_b"), ("kelurahan_a", "tps_a2"),
                                         ("kecamatan_a", "tps_b"), ("admin", "tps_outside")])
def test_shipment_outside_the_senders_region_is_refused(world, items, api, persona, tps):
    response = api(persona).post(SHIPMENTS, new_shipment(world, items, getattr(world, tps)),
                                 format="json")
    assert response.status_code == 400
    assert "place" in response.json()
    assert "di luar wilayah Anda" in str(response.json()["place"])  # "outside your region"
    assert not Shipment.objects.exists() and not ShipmentLine.objects.exists()


@pytest.mark.parametrize("lines,key", [
    ([{"item": 1, "dispatched": -3}], "count_"),
    ([{"item": 1, "dispatched": "2.5"}], "lines"),
    ([{"item": 1, "dispatched": "dua"}], "lines"),
    ([{"item": 1, "dispatched": 0}], "lines"),
    ([], "lines"),
    ([{"item": 1, "dispatched": 1}, {"item": 1, "dispatched": 2}], "lines"),
    ([{"item": 999, "dispatched": 1}], "lines"),
])
def test_shipment_bad_counts(world, items, api, lines, key):
    for line in lines:
        if line["item"] == 1:
            line["item"] = items[0].pk
    response = api("kelurahan_a").post(SHIPMENTS, new_shipment(world, items, lines=lines),
                                       format="json")
    assert response.status_code == 400
    assert any(k.startswith(key) for k in response.json()), response.json()
    assert not Shipment.objects.exists()


def test_shipment_bad_route_and_place(world, items, api):
    client = api("admin")
    route = client.post(SHIPMENTS, new_shipment(world, items, from_level="kpu"), format="json")
    assert route.status_code == 400 and "route" in route.json()
    missing = client.post(SHIPMENTS, new_shipment(world, items, tps=None), format="json")
    assert missing.status_code == 400 and "place" in missing.json()
    unknown = client.post(SHIPMENTS, new_shipment(world, items, tps=999999), format="json")
    assert unknown.status_code == 400 and "tps" in unknown.json()
    level = client.post(SHIPMENTS, new_shipment(world, items, to_level="gudang"), format="json")
    assert level.status_code == 400 and "to_level" in level.json()
    assert not Shipment.objects.exists()


def test_camat_ships_to_a_pps(world, items, api):
    body = new_shipment(world, items, from_level="ppk", to_level="pps", kelurahan=world.kel_a2.code,
                        tps=None)
    response = api("kecamatan_a").post(SHIPMENTS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kelurahan"] == world.kel_a2.code and response.json()["tps"] is None


@pytest.fixture
def dispatched(world, items, api):
    response = api("kelurahan_a").post(SHIPMENTS, new_shipment(world, items), format="json")
    assert response.status_code == 201
    return Shipment.objects.get(pk=response.json()["id"])


def confirm_body(items, version=1, kotak=(2, 0, ""), tinta=(2, 0, "")):
    return {"version": version, "receiver_name": "Ketua KPPS 001",
            "lines": [{"item": items[0].pk, "received": kotak[0], "damaged": kotak[1],
                       "explanation": kotak[2]},
                      {"item": items[1].pk, "received": tinta[0], "damaged": tinta[1],
                       "explanation": tinta[2]}]}


def test_confirm_receipt_with_a_damaged_box(world, items, api, dispatched, users):
    url = f"{SHIPMENTS}{dispatched.pk}/confirm/"
    response = api("kelurahan_a").post(url, confirm_body(items, kotak=(2, 1, "")), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "received" and data["receiver_name"] == "Ketua KPPS 001"
    assert data["received_by"] == users["kelurahan_a"].pk and data["version"] == 2
    assert [(line["received"], line["damaged"], line["condition"]) for line in data["lines"]] == [
        (2, 1, "rusak"), (2, 0, "baik")]
    row = TpsReadiness.objects.get(tps=world.tps_a)
    assert row.state == "bermasalah" and row.good_units == 3
    kinds = set(Shortfall.objects.filter(shipment=dispatched).values_list("kind", flat=True))
    assert "damaged" in kinds
    shortfalls = results(api("kelurahan_a").get(SHORTFALLS, {"tps": world.tps_a.pk}))
    assert "damaged" in {r["kind"] for r in shortfalls}


def test_second_confirmation_is_409_naming_who_and_when(world, items, api, dispatched):
    url = f"{SHIPMENTS}{dispatched.pk}/confirm/"
    client = api("kelurahan_a")
    assert client.post(url, confirm_body(items), format="json").status_code == 200
    again = client.post(url, confirm_body(items, version=2), format="json")
    assert again.status_code == 409
    assert "Kelurahan A" in str(again.json()) or "kelurahan_a" in str(again.json())
    stale = api("admin").post(url, confirm_body(items, version=1), format="json")
    assert stale.status_code == 409
    assert ShipmentLine.objects.filter(shipment=dispatched, received=2).count() == 2


def test_confirm_with_a_stale_version_is_409(world, items, api, dispatched):
    Shipment.objects.filter(pk=dispatched.pk).update(version=5)
    url = f"{SHIPMENTS}{dispatched.pk}/confirm/"
    response = api("kelurahan_a").post(url, confirm_body(items, version=1), format="json")
    assert response.status_code == 409
    assert Shipment.objects.get(pk=dispatched.pk).status == "dispatched"


@pytest.mark.parametrize("body_change,key", [
    ({"kotak": (-1, 0, "")}, "received_"),
    ({"kotak": (2, 3, "")}, "damaged_"),
    ({"kotak": (5, 0, "")}, "explanation_"),
    ({"receiver_name": ""}, "receiver_name"),
    ({"lines": "drop"}, "received_"),
    ({"received_at": "2020-01-01T10:00:00+07:00"}, "received_at"),
    ({"version": 0}, "version"),
    ({"kotak": ("dua", 0, "")}, "lines"),
])
def test_confirm_bad_input_saves_nothing(world, items, api, dispatched, body_change, key):
    extra = {k: v for k, v in body_change.items() if k in ("kotak", "tinta")}
    body = confirm_body(items, **extra)
    for k, v in body_change.items():
        if k == "lines":
            body["lines"] = body["lines"][1:]
        elif k not in ("kotak", "tinta"):
            body[k] = v
    response = api("kelurahan_a").post(f"{SHIPMENTS}{dispatched.pk}/confirm/", body, format="json")
    assert response.status_code == 400, response.content
    assert any(k.startswith(key) for k in response.json()), response.json()
    fresh = Shipment.objects.get(pk=dispatched.pk)
    assert fresh.status == "dispatched" and fresh.version == 1
    assert not ShipmentLine.objects.filter(shipment=dispatched, received__isnull=False).exists()
    assert not Shortfall.objects.exists()


def test_surplus_is_accepted_with_an_explanation(world, items, api, dispatched):
    body = confirm_body(items, kotak=(3, 0, "Satu kotak cadangan dari PPS"))
    response = api("kelurahan_a").post(f"{SHIPMENTS}{dispatched.pk}/confirm/", body, format="json")
    assert response.status_code == 200
    assert Shortfall.objects.filter(shipment=dispatched, kind="surplus").exists()


@pytest.mark.parametrize("persona,status", [("pemantau", 403), ("agency", 403),
                                            ("kelurahan_b", 404), ("anonymous", 401)])
def test_confirm_persona_refusals(world, items, api, dispatched, persona, status):
    response = api(persona).post(f"{SHIPMENTS}{dispatched.pk}/confirm/", confirm_body(items),
                                 format="json")
    assert response.status_code in ((401, 403) if status == 401 else (status,))
    assert Shipment.objects.get(pk=dispatched.pk).status == "dispatched"


def test_confirm_multipart_with_photo(world, items, api, dispatched):
    import json

    body = confirm_body(items)
    body["lines"] = json.dumps(body["lines"])
    body["photo"] = SimpleUploadedFile("ba.png", PNG, content_type="image/png")
    response = api("kelurahan_a").post(f"{SHIPMENTS}{dispatched.pk}/confirm/", body,
                                       format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["has_handover_photo"] is True


def test_confirm_multipart_photo_that_is_not_an_image(world, items, api, dispatched):
    import json

    body = confirm_body(items)
    body["lines"] = json.dumps(body["lines"])
    body["photo"] = SimpleUploadedFile("ba.png", b"%PDF-1.4 bukan gambar", content_type="image/png")
    response = api("kelurahan_a").post(f"{SHIPMENTS}{dispatched.pk}/confirm/", body,
                                       format="multipart")
    assert response.status_code == 400 and "photo" in response.json()
    assert Shipment.objects.get(pk=dispatched.pk).status == "dispatched"
    bad = confirm_body(items)
    bad["lines"] = "not json"
    response = api("kelurahan_a").post(f"{SHIPMENTS}{dispatched.pk}/confirm/", bad,
                                       format="multipart")
    assert response.status_code == 400 and "lines" in response.json()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_shipments_persona_matrix(world, items, api, persona):
    made = {}
    for tps in (world.tps_a, world.tps_a2, world.tps_b, world.tps_outside):
        made[tps.pk] = Shipment.objects.create(
            election=world.election, from_level="pps", to_level="tps", tps=tps,
            kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id,
            dispatched_at=timezone.now())
    response = api(persona).get(SHIPMENTS)
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert {r["tps"] for r in response.json()["results"]} == who_sees(world, persona)
    for tps_pk, shipment in made.items():
        expected = 200 if tps_pk in who_sees(world, persona) else 404
        assert api(persona).get(f"{SHIPMENTS}{shipment.pk}/").status_code == expected


def test_shipment_filters_and_query_count(world, items, api):
    client = api("admin")
    for _n in range(3):
        client.post(SHIPMENTS, new_shipment(world, items), format="json")
    client.post(SHIPMENTS, new_shipment(world, items, world.tps_b), format="json")
    assert len(results(client.get(SHIPMENTS, {"tps": world.tps_b.pk}))) == 1
    assert len(results(client.get(SHIPMENTS, {"status": "dispatched"}))) == 4
    assert results(client.get(SHIPMENTS, {"status": "received"})) == []
    assert len(results(client.get(SHIPMENTS, {"kecamatan": world.kec_a.code}))) == 3
    few = queries(client, SHIPMENTS)
    for _n in range(5):
        client.post(SHIPMENTS, new_shipment(world, items, world.tps_a2), format="json")
    assert queries(client, SHIPMENTS) == few


def test_shipments_have_no_put_patch_or_delete(world, items, api, dispatched):
    client = api("admin")
    url = f"{SHIPMENTS}{dispatched.pk}/"
    assert client.patch(url, {"driver": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


# --- schema ------------------------------------------------------------------------------------------

def test_schema_lists_the_logistics_endpoints(world, api):
    response = api("pemantau").get(reverse("api:schema"), {"format": "json"})
    paths = response.json()["paths"]
    for path in ["/api/v1/logistics/requirements/", "/api/v1/logistics/readiness/",
                 "/api/v1/logistics/readiness/summary/", "/api/v1/logistics/shortfalls/{id}/",
                 "/api/v1/logistics/shipments/", "/api/v1/logistics/shipments/{id}/confirm/"]:
        assert path in paths, path
    patch = paths["/api/v1/logistics/shortfalls/{id}/"]["patch"]["requestBody"]["content"]
    assert patch["application/json"]["schema"]["$ref"] == "#/components/schemas/ShortfallUpdate"
    component = response.json()["components"]["schemas"]["ShortfallUpdate"]
    assert set(component["required"]) == {"status", "version"}


def test_schema_generates_without_warnings(db, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
