"""REST API v1: scope per persona, writes through the services, filters, token
auth, query counts and the offline docs page.

Rule messages: LANGUAGE_CODE is ``id`` but the Indonesian catalogue is not
written yet, so the API answers with the English msgids. The tests compare the
API's message with what the rule function itself returns under ``id``, so they
keep passing once the catalogue exists.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from knox.crypto import hash_token
from rest_framework.test import APIClient

from posko.accounts.models import ApiToken
from posko.core.models import AuditEntry
from posko.elections import rules
from posko.elections.models import CandidatePair, Contest, Election, Tps
from tests.conftest import (
    EDITS_KEL_A,
    PASSWORD,
    PERSONA_NAMES,
    SEES_KEL_A,
    SEES_KEL_A2,
    SEES_KEL_B,
)

SIGNED_IN = [name for name in PERSONA_NAMES if name != "anonymous"]
TPS_LIST = reverse("api:tps-list")
KELURAHAN_LIST = reverse("api:kelurahan-list")
KECAMATAN_LIST = reverse("api:kecamatan-list")


def tps_url(tps) -> str:
    return reverse("api:tps-detail", args=[tps.pk])


def result_ids(response, key="id") -> set:
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


def in_id(fn, *args):
    """The messages a rule function gives under the site's language (id)."""
    with translation.override("id"):
        return fn(*args)


def audit_count() -> int:
    return AuditEntry.objects.count()


# --- reads, per persona ---------------------------------------------------------------


def expected_tps(world, persona: str) -> set[int]:
    rows = [(world.tps_a, SEES_KEL_A), (world.tps_a2, SEES_KEL_A2), (world.tps_b, SEES_KEL_B)]
    return {tps.pk for tps, sees in rows if persona in sees}


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_tps_list_is_scoped(world, personas, persona):
    response = personas[persona].client.get(TPS_LIST)
    expected = expected_tps(world, persona)
    assert result_ids(response) == expected
    assert response.json()["count"] == len(expected)
    assert world.tps_outside.pk not in result_ids(response)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_kelurahan_list_is_scoped(world, personas, persona):
    rows = [(world.kel_a, SEES_KEL_A), (world.kel_a2, SEES_KEL_A2), (world.kel_b, SEES_KEL_B)]
    expected = {kel.code for kel, sees in rows if persona in sees}
    response = personas[persona].client.get(KELURAHAN_LIST)
    assert result_ids(response, "code") == expected
    assert response.json()["count"] == len(expected)
    for row in response.json()["results"]:  # one TPS of 200 + 210 voters in each kelurahan
        assert (row["tps_count"], row["dpt_total"]) == (1, 410)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_tps_detail_outside_scope_is_404(world, personas, persona):
    client = personas[persona].client
    for tps in (world.tps_a, world.tps_a2, world.tps_b, world.tps_outside):
        visible = tps.pk in expected_tps(world, persona)
        assert client.get(tps_url(tps)).status_code == (200 if visible else 404), (persona, tps)


@pytest.mark.parametrize("persona", ["kecamatan_a", "kelurahan_a", "kelurahan_b"])
def test_kelurahan_detail_outside_scope_is_404(world, personas, persona):
    client = personas[persona].client
    for kel, sees in [(world.kel_a, SEES_KEL_A), (world.kel_a2, SEES_KEL_A2),
                      (world.kel_b, SEES_KEL_B), (world.kel_outside, set())]:
        response = client.get(reverse("api:kelurahan-detail", args=[kel.code]))
        assert response.status_code == (200 if persona in sees else 404), (persona, kel)


def test_admin_gets_404_for_tps_of_another_pemda(world, personas):
    response = personas["admin"].client.get(tps_url(world.tps_outside))
    assert response.status_code == 404
    kel = reverse("api:kelurahan-detail", args=[world.kel_outside.code])
    assert personas["admin"].client.get(kel).status_code == 404


def test_kecamatan_totals_count_only_visible_tps_of_active_election(world, personas):
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    Tps.objects.create(election=old, kelurahan=world.kel_a, number=1, dpt_men=300)
    admin = {row["code"]: row for row in personas["admin"].client.get(KECAMATAN_LIST).json()["results"]}
    assert set(admin) == {world.kec_a.code, world.kec_b.code}
    assert (admin[world.kec_a.code]["tps_count"], admin[world.kec_a.code]["dpt_total"]) == (2, 820)
    assert (admin[world.kec_b.code]["tps_count"], admin[world.kec_b.code]["dpt_total"]) == (1, 410)
    # A kelurahan operator sees its kecamatan, but counts only its own kelurahan's TPS.
    rows = personas["kelurahan_a"].client.get(KECAMATAN_LIST).json()["results"]
    assert [(r["code"], r["tps_count"], r["dpt_total"]) for r in rows] == [(world.kec_a.code, 1, 410)]


@pytest.mark.parametrize("url", [TPS_LIST, KELURAHAN_LIST, KECAMATAN_LIST,
                                 reverse("api:election-list"), "tps_a_detail"])
def test_anonymous_is_refused(world, personas, url):
    if url == "tps_a_detail":
        url = tps_url(world.tps_a)
    response = personas["anonymous"].client.get(url)
    assert response.status_code in (401, 403)
    assert b"Jl. Contoh" not in response.content and b"results" not in response.content


def test_anonymous_cannot_write(world, personas):
    client = personas["anonymous"].client
    before = Tps.objects.count()
    response = client.post(TPS_LIST, {"kelurahan": world.kel_a.code, "number": 9},
                           content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.delete(tps_url(world.tps_a)).status_code in (401, 403)
    assert Tps.objects.count() == before


# --- token auth -------------------------------------------------------------------------


def test_token_auth(world, users):
    api = APIClient()
    response = api.post(reverse("api:token"), {"username": "kelurahan_a", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=users["kelurahan_a"]).digest == hash_token(token)

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert result_ids(api.get(TPS_LIST)) == {world.tps_a.pk}

    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get(TPS_LIST).status_code == 401


def test_token_refused_for_wrong_password(world, users):
    response = APIClient().post(reverse("api:token"),
                                {"username": "kelurahan_a", "password": "salah"})
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


# --- filters -----------------------------------------------------------------------------


def test_tps_filters(world, personas):
    client = personas["admin"].client
    world.tps_b.special_location = "lapas"
    world.tps_b.save()
    assert result_ids(client.get(TPS_LIST, {"kecamatan": world.kec_a.code})) == {
        world.tps_a.pk, world.tps_a2.pk}
    assert result_ids(client.get(TPS_LIST, {"kelurahan": world.kel_b.code})) == {world.tps_b.pk}
    assert result_ids(client.get(TPS_LIST, {"special_location": "lapas"})) == {world.tps_b.pk}
    assert result_ids(client.get(TPS_LIST, {"search": "rampal"})) == {world.tps_a2.pk}
    Tps.objects.filter(pk=world.tps_a.pk).update(address="Jl. Kawi 5")
    assert result_ids(client.get(TPS_LIST, {"search": "kawi"})) == {world.tps_a.pk}


def test_tps_filter_by_election_defaults_to_active(world, personas):
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    old_tps = Tps.objects.create(election=old, kelurahan=world.kel_a, number=1)
    client = personas["admin"].client
    default = result_ids(client.get(TPS_LIST))
    assert old_tps.pk not in default and world.tps_a.pk in default
    assert result_ids(client.get(TPS_LIST, {"election": old.pk})) == {old_tps.pk}
    # A detail lookup is not filtered: the old TPS stays reachable by id.
    assert client.get(tps_url(old_tps)).status_code == 200


def test_tps_filter_stays_inside_scope(world, personas):
    response = personas["kelurahan_a"].client.get(TPS_LIST, {"kecamatan": world.kec_b.code})
    assert response.status_code == 400 or result_ids(response) == set()
    assert b"Jl. Contoh" not in response.content


def test_kelurahan_filter_by_kecamatan(world, personas):
    response = personas["admin"].client.get(KELURAHAN_LIST, {"kecamatan": world.kec_a.code})
    assert result_ids(response, "code") == {world.kel_a.code, world.kel_a2.code}


def test_filterset_works_without_a_request(world):
    from posko.elections.filters import TpsFilter

    visible = Tps.objects.all()
    assert set(TpsFilter({"kecamatan": world.kec_b.code}, queryset=visible).qs) == {world.tps_b}
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    Tps.objects.create(election=old, kelurahan=world.kel_a, number=1)
    assert set(TpsFilter(None, queryset=visible).qs) == {
        world.tps_a, world.tps_a2, world.tps_b, world.tps_outside}


# --- query counts ---------------------------------------------------------------------------


def test_tps_list_queries_do_not_grow_with_rows(world, personas, django_assert_max_num_queries):
    client = personas["admin"].client
    with CaptureQueriesContext(connection) as few:
        assert len(result_ids(client.get(TPS_LIST))) == 3
    Tps.objects.bulk_create([
        Tps(election=world.election, kelurahan=world.kel_b, kecamatan=world.kec_b,
            kabkota=world.pemda.kabkota, number=n, dpt_men=n) for n in range(2, 42)])
    with django_assert_max_num_queries(len(few)) as many:
        assert len(result_ids(client.get(TPS_LIST, {"page_size": 100}))) == 43
    assert len(many) <= 5  # session, user, Pemda, count, page


def test_wilayah_and_election_queries_are_constant(world, personas, django_assert_max_num_queries):
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    for election in (world.election, old):
        for name, level in (("Gubernur Jawa Timur", "gubernur"), ("Wali Kota Malang", "walikota")):
            contest = Contest.objects.create(election=election, name=name, level=level,
                                             provinsi_id="35", kabkota_id="35.73")
            for n in (1, 2, 3):
                CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"A{n}",
                                             deputy_name=f"B{n}", parties="P1, P2")
    client = personas["admin"].client
    client.get(KELURAHAN_LIST)  # warms the per-process constants (the Pemda, the election)
    # session, user, count, rows with totals
    with django_assert_max_num_queries(4):
        assert len(result_ids(client.get(KELURAHAN_LIST), "code")) == 3
    with django_assert_max_num_queries(4):
        assert len(result_ids(client.get(KECAMATAN_LIST), "code")) == 2
    # session, user, count, elections, contests, pairs
    with django_assert_max_num_queries(6):
        response = client.get(reverse("api:election-list"))
    active, _old = response.json()["results"]
    assert active["id"] == world.election.pk
    assert [c["level"] for c in active["contests"]] == ["gubernur", "walikota"]
    row = active["contests"][1]
    assert [p["ballot_number"] for p in row["pairs"]] == [1, 2, 3]
    assert row["pairs"][0]["parties"] == ["P1", "P2"]


# --- writes --------------------------------------------------------------------------------


def new_tps(world, **extra) -> dict:
    return {"kelurahan": world.kel_a.code, "number": 7, "dpt_men": 100, "dpt_women": 120, **extra}


def test_create_goes_through_service_and_audits(world, personas, users):
    response = personas["kelurahan_a"].client.post(TPS_LIST, new_tps(world, rt="003"),
                                                   content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    tps = Tps.objects.get(pk=body["id"])
    assert (tps.election, tps.kelurahan, tps.number) == (world.election, world.kel_a, 7)
    assert body["election"] == world.election.pk  # the active one, by default
    assert (body["kecamatan"], body["dpt_total"], body["label"]) == (world.kec_a.code, 220, "TPS 007")
    entry = AuditEntry.objects.get(action="create", object_id=str(tps.pk))
    assert entry.user == users["kelurahan_a"]
    assert entry.before is None and entry.after["dpt_men"] == 100 and entry.after["rt"] == "003"
    assert entry.request_id == response["X-Request-ID"]


def test_create_without_active_election_is_400(world, personas):
    Election.objects.update(is_active=False)
    before = Tps.objects.count()
    response = personas["admin"].client.post(TPS_LIST, new_tps(world),
                                             content_type="application/json")
    assert response.status_code == 400
    assert "election" in response.json()
    assert Tps.objects.count() == before


def test_update_goes_through_service_and_audits(world, personas, users):
    client = personas["kecamatan_a"].client
    response = client.patch(tps_url(world.tps_a2), {"dpt_men": 250, "notes": "dekat pasar"},
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["dpt_total"] == 460
    world.tps_a2.refresh_from_db()
    assert (world.tps_a2.dpt_men, world.tps_a2.notes) == (250, "dekat pasar")
    entry = AuditEntry.objects.get(action="update", object_id=str(world.tps_a2.pk))
    assert entry.user == users["kecamatan_a"]
    assert (entry.before["dpt_men"], entry.after["dpt_men"]) == (200, 250)
    assert (entry.before["notes"], entry.after["notes"]) == ("", "dekat pasar")


def test_put_replaces_fields(world, personas):
    response = personas["admin"].client.put(
        tps_url(world.tps_b), new_tps(world, kelurahan=world.kel_b.code, address="Jl. Baru"),
        content_type="application/json")
    assert response.status_code == 200, response.content
    world.tps_b.refresh_from_db()
    assert (world.tps_b.number, world.tps_b.address, world.tps_b.dpt_total) == (7, "Jl. Baru", 220)
    assert AuditEntry.objects.filter(action="update", object_id=str(world.tps_b.pk)).exists()


def test_delete_goes_through_service_and_audits(world, personas, users):
    pk = world.tps_a.pk
    response = personas["kelurahan_a"].client.delete(tps_url(world.tps_a))
    assert response.status_code == 204
    assert not Tps.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(pk))
    assert entry.user == users["kelurahan_a"]
    assert entry.before["number"] == 1 and entry.after is None


def test_delete_of_a_row_still_in_use_is_409(world, personas, monkeypatch):
    def protected(tps, *, actor):
        raise ProtectedError("in use", set())

    monkeypatch.setattr("posko.elections.services.delete_tps", protected)
    response = personas["admin"].client.delete(tps_url(world.tps_a))
    assert response.status_code == 409
    assert Tps.objects.filter(pk=world.tps_a.pk).exists()


# Each case: the fields sent (to a new TPS, and as a PATCH of tps_a), and the rule's problems.
RULE_CASES = {
    "number taken": (
        lambda w: {"kelurahan": w.kel_a2.code, "number": 1},
        lambda w: rules.check_number_free(1, True)),
    "too many voters": (
        lambda w: {"dpt_men": 400, "dpt_women": 300},
        lambda w: rules.check_dpt(400, 300, w.election.max_voters_per_tps)),
    "negative voters": (
        lambda w: {"dpt_men": -1, "dpt_women": 10},
        lambda w: rules.check_dpt(-1, 10, w.election.max_voters_per_tps)),
    "coordinates swapped": (
        lambda w: {"latitude": "112.630000", "longitude": "-7.980000"},
        lambda w: rules.check_coordinates(Decimal("112.630000"), Decimal("-7.980000"))),
    "only latitude": (
        lambda w: {"latitude": "-7.980000", "longitude": None},
        lambda w: rules.check_coordinates(Decimal("-7.980000"), None)),
    # A kelurahan outside the caller's scope (here: outside the Pemda) is answered like one
    # that does not exist (tests/test_api_scope_writes.py); the rule's message is the importer's.
    "kelurahan of another Pemda": (
        lambda w: {"kelurahan": w.kel_outside.code},
        lambda w: [("kelurahan", f'Data "{w.kel_outside.code}" tidak ditemukan.')]),
    "special location without note": (
        lambda w: {"special_location": "lainnya", "special_location_note": " "},
        lambda w: rules.check_special_location("lainnya", " ")),
}


def assert_rule_errors(response, problems):
    assert response.status_code == 400, response.content
    assert problems, "the case must break a rule"
    body = response.json()
    for field, message in problems:
        assert message in body[field], (field, body)


@pytest.mark.parametrize("case", RULE_CASES)
def test_create_rejects_rule_violations(world, personas, case):
    fields, problems = RULE_CASES[case]
    before, entries = Tps.objects.count(), audit_count()
    response = personas["kecamatan_a"].client.post(TPS_LIST, new_tps(world, **fields(world)),
                                                   content_type="application/json")
    assert_rule_errors(response, in_id(problems, world))
    assert (Tps.objects.count(), audit_count()) == (before, entries)


@pytest.mark.parametrize("case", RULE_CASES)
def test_update_rejects_rule_violations(world, personas, case):
    fields, problems = RULE_CASES[case]
    entries = audit_count()
    old = Tps.objects.filter(pk=world.tps_a.pk).values().get()
    response = personas["kecamatan_a"].client.patch(tps_url(world.tps_a), fields(world),
                                                    content_type="application/json")
    assert_rule_errors(response, in_id(problems, world))
    assert Tps.objects.filter(pk=world.tps_a.pk).values().get() == old
    assert audit_count() == entries


def test_rule_messages_carry_the_values(world, personas):
    """Stable fragments of the messages, whatever the language."""
    client = personas["kecamatan_a"].client
    body = client.post(TPS_LIST, new_tps(world, kelurahan=world.kel_a.code, number=1),
                       content_type="application/json").json()
    assert "001" in body["number"][0]
    body = client.post(TPS_LIST, new_tps(world, kelurahan=world.kel_outside.code),
                       content_type="application/json").json()
    assert world.kel_outside.code in body["kelurahan"][0]


def test_kelurahan_operator_cannot_create_in_another_kelurahan(world, personas):
    before, entries = Tps.objects.count(), audit_count()
    response = personas["kelurahan_a"].client.post(
        TPS_LIST, new_tps(world, kelurahan=world.kel_b.code), content_type="application/json")
    assert response.status_code in (400, 403)
    if response.status_code == 400:
        assert "kelurahan" in response.json()
    assert (Tps.objects.count(), audit_count()) == (before, entries)


def test_kelurahan_operator_cannot_move_a_tps_out_of_scope(world, personas):
    response = personas["kelurahan_a"].client.patch(
        tps_url(world.tps_a), {"kelurahan": world.kel_a2.code, "number": 5},
        content_type="application/json")
    assert response.status_code in (400, 403)
    world.tps_a.refresh_from_db()
    assert (world.tps_a.kelurahan_id, world.tps_a.number) == (world.kel_a.code, 1)


@pytest.mark.parametrize("persona", [p for p in SIGNED_IN if p not in EDITS_KEL_A])
def test_write_to_tps_a_refused(world, personas, persona):
    """Who sees tps_a but may not edit it gets 403; who cannot see it gets 404."""
    client = personas[persona].client
    expected = 403 if persona in SEES_KEL_A else 404
    entries = audit_count()
    url = tps_url(world.tps_a)
    assert client.patch(url, {"dpt_men": 1}, content_type="application/json").status_code == expected
    assert client.put(url, new_tps(world), content_type="application/json").status_code == expected
    assert client.delete(url).status_code == expected
    world.tps_a.refresh_from_db()
    assert world.tps_a.dpt_men == 200
    assert audit_count() == entries


def test_object_must_be_editable_not_only_visible(world, personas, monkeypatch):
    """A visible TPS outside ``editable_by`` is a 403, even for a user who may edit others."""
    from posko.core.scope import ScopedQuerySet

    narrower = ScopedQuerySet.editable_by
    monkeypatch.setattr(ScopedQuerySet, "editable_by",
                        lambda qs, user: narrower(qs, user).exclude(pk=world.tps_a.pk))
    client = personas["admin"].client
    url = tps_url(world.tps_a)
    assert client.patch(url, {"dpt_men": 1}, content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    assert Tps.objects.filter(pk=world.tps_a.pk, dpt_men=200).exists()
    ok = client.patch(tps_url(world.tps_b), {"dpt_men": 1}, content_type="application/json")
    assert ok.status_code == 200


@pytest.mark.parametrize("persona", ["agency", "pemantau"])
def test_read_only_personas_cannot_create(world, personas, persona):
    before = Tps.objects.count()
    response = personas[persona].client.post(TPS_LIST, new_tps(world),
                                             content_type="application/json")
    assert response.status_code == 403
    assert Tps.objects.count() == before


def test_serializer_never_writes_directly(world, users):
    from rest_framework.test import APIRequestFactory

    from posko.elections.api import TpsSerializer

    request = APIRequestFactory().post(TPS_LIST)
    request.user = users["admin"]  # its keys are checked against the caller's scope
    serializer = TpsSerializer(data=new_tps(world, election=world.election.pk),
                               context={"request": request})
    assert serializer.is_valid(), serializer.errors
    with pytest.raises(NotImplementedError):
        serializer.save()
    assert not Tps.objects.filter(number=7).exists()


# --- schema and docs ------------------------------------------------------------------------


def test_schema_lists_the_endpoints(world, personas):
    response = personas["pemantau"].client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/tps/", "/api/v1/tps/{id}/", "/api/v1/wilayah/kecamatan/{code}/",
                 "/api/v1/wilayah/kelurahan/", "/api/v1/elections/", "/api/v1/auth/token/"]:
        assert path in paths


def test_schema_generates_without_warnings(db, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_docs_page_uses_no_external_urls(world, personas):
    client = personas["pemantau"].client
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    # The start-up script is a separate file (the CSP allows no inline script), and in it
    # Swagger UI's default badge from validator.swagger.io is switched off.
    assert "<script>" not in html
    script = client.get(reverse("api:docs") + "?script=")
    assert script["Content-Type"].startswith("application/javascript")
    script_text = script.content.decode()
    assert "SwaggerUIBundle(" in script_text
    assert re.search(r'"validatorUrl":\s*null', script_text)
    assert not re.findall(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", script_text, re.IGNORECASE)
    assert reverse("api:docs") + "?script=" in assets
    for asset in assets:
        assert asset.startswith("/"), asset
        if "?script" in asset:
            continue  # fetched above; a static file's close() below ends the DB connection
        asset_response = client.get(asset)
        assert asset_response.status_code == 200, asset
        if hasattr(asset_response, "close"):
            asset_response.close()


def test_token_login_is_rate_limited_and_audited(users, client):
    from posko.core.models import AuditEntry
    from tests.conftest import PASSWORD

    url = "/api/v1/auth/token/"
    for _ in range(5):
        assert client.post(url, {"username": "pemantau", "password": "salah"}).status_code == 400
    assert AuditEntry.objects.filter(action="login_failed", username="pemantau").count() == 5
    blocked = client.post(url, {"username": "pemantau", "password": PASSWORD})
    assert blocked.status_code == 429
    ok = client.post(url, {"username": "admin", "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
