"""The field app's supervision checklist and outreach activity (issue 18): offered to the
roles that write, with their offline data; posted to idempotent endpoints (a replay records
nothing twice, another body under the key is a 422), scoped (another region's checklist
answers: 404; an activity naming another kelurahan: 400 on that field) and
refusing bad input with its message, nothing saved."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from posko.coordination.models import SupervisionChecklist, SupervisionItem, SupervisionResponse
from posko.core.models import IdempotencyKey
from posko.outreach.models import Activity
from tests.outreach_fixtures import PAST
from tests.test_fieldapp import APP, blocks, login

pytestmark = pytest.mark.django_db
ACTIVITIES = "/api/v1/outreach/activities/"


def add_checklist(world, title, n, level=SupervisionChecklist.Level.KELURAHAN):
    checklist = SupervisionChecklist.objects.create(election=world.election, title=title,
                                                    level=level)
    SupervisionItem.objects.bulk_create(SupervisionItem(checklist=checklist, text=f"Item {i}",
                                                        order=i) for i in range(1, n + 1))
    return checklist


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form(client, user, key):
    forms, _config = blocks(login(client, user).get(APP))
    return next((f for f in forms if f["key"] == key), None)


# --- the forms in the app shell --------------------------------------------------------------

def test_lurah_gets_the_kelurahan_checklists_with_items_and_only_their_kelurahan(
        client, world, users):
    kel = add_checklist(world, "Kesiapan TPS", 2)
    add_checklist(world, "Gudang PPK", 1, SupervisionChecklist.Level.KECAMATAN)
    add_checklist(world, "Empty", 0)
    checklist = form(client, users["kelurahan_a"], "coordination.checklist")
    assert checklist["url"] == "/api/v1/checklists/{checklist}/answers/"
    assert checklist["data"]["checklists"] == [[kel.pk, "Kesiapan TPS (kelurahan)"]]
    items = checklist["data"]["items"][str(kel.pk)]
    assert [text for _pk, text in items] == ["Item 1", "Item 2"]
    assert checklist["data"]["regions"] == [[world.kel_a.code, "Kel. Klojen"]]
    checks = next(f for f in checklist["fields"] if f["type"] == "checks")
    assert checks["source"] == "checklist" and [c[0] for c in checks["choices"]] == [
        "met", "unmet", "na"]


def test_camat_gets_kecamatan_checklists_and_their_kelurahans(client, world, users):
    add_checklist(world, "Kesiapan TPS", 2)
    add_checklist(world, "Gudang PPK", 1, SupervisionChecklist.Level.KECAMATAN)
    checklist = form(client, users["kecamatan_a"], "coordination.checklist")
    assert len(checklist["data"]["checklists"]) == 2
    codes = [code for code, _name in checklist["data"]["regions"]]
    assert set(codes) == {world.kel_a.code, world.kel_a2.code, world.kec_a.code}


def test_outreach_form_has_kinds_and_the_users_kelurahans(client, world, users):
    activity = form(client, users["kelurahan_a"], "outreach.activity")
    assert activity["url"] == ACTIVITIES
    fields = {f["name"]: f for f in activity["fields"]}
    assert "sekolah" in [c[0] for c in fields["kind"]["choices"]]
    assert fields["starts_at"]["type"] == "datetime"
    assert fields["status"] == {**fields["status"], "type": "hidden", "default": "held"}
    assert activity["data"]["kelurahans"] == [[world.kel_a.code, "Klojen"]]
    assert fields["target_groups"]["type"] == "multi"
    assert "pemilih-pemula" in [code for code, _name in activity["data"]["groups"]]


def test_observer_gets_neither_form(client, world, users):
    add_checklist(world, "Kesiapan TPS", 2)
    for key in ("coordination.checklist", "outreach.activity"):
        assert form(client, users["pemantau"], key) is None


# --- the supervision answers endpoint --------------------------------------------------------

def answers_url(checklist):
    return f"/api/v1/checklists/{checklist.pk}/answers/"


def test_answers_are_idempotent(world, users):
    checklist = add_checklist(world, "Kesiapan TPS", 2)
    first_item, second_item = checklist.items.order_by("order")
    api = api_for(users["kelurahan_a"])
    body = {"region": world.kel_a.code, "answers": [
        {"item": first_item.pk, "answer": "met"},
        {"item": second_item.pk, "answer": "unmet", "finding": "Bilik rusak"}]}
    key = str(uuid.uuid4())
    first = api.post(answers_url(checklist), body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 200, first.content
    assert first.json() == {"checklist": checklist.pk, "region": world.kel_a.code, "changed": 2,
                            "answered": 2, "expected": 2}
    again = api.post(answers_url(checklist), body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert SupervisionResponse.objects.filter(kelurahan=world.kel_a).count() == 2
    other = {**body, "answers": [{"item": first_item.pk, "answer": "na"}]}
    assert api.post(answers_url(checklist), other, format="json",
                    HTTP_IDEMPOTENCY_KEY=key).status_code == 422
    assert SupervisionResponse.objects.get(item=first_item).answer == "met"
    missing = api.post(answers_url(checklist), body, format="json")
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["detail"]


def test_answers_for_another_kelurahan_or_level_are_404(world, users):
    checklist = add_checklist(world, "Kesiapan TPS", 1)
    kec = add_checklist(world, "Gudang PPK", 1, SupervisionChecklist.Level.KECAMATAN)
    api = api_for(users["kelurahan_a"])
    for target, region in ((checklist, world.kel_b.code), (checklist, world.kel_a2.code),
                           (kec, world.kec_a.code), (checklist, "nope")):
        item = target.items.get()
        response = api.post(answers_url(target), {"region": region, "answers": [
            {"item": item.pk, "answer": "met"}]}, format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert response.status_code == 404, (target.title, region)
    camat = api_for(users["kecamatan_a"])
    ok = camat.post(answers_url(kec), {"region": world.kec_a.code, "answers": [
        {"item": kec.items.get().pk, "answer": "met"}]}, format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert ok.status_code == 200, ok.content
    assert SupervisionResponse.objects.count() == 1


def test_bad_answers_are_400_with_a_message_and_nothing_saved(world, users):
    checklist = add_checklist(world, "Kesiapan TPS", 2)
    other = add_checklist(world, "Lain", 1)
    item = checklist.items.order_by("order").first()
    api = api_for(users["kelurahan_a"])
    cases = [
        ([{"item": item.pk, "answer": "met"}, {"item": other.items.get().pk, "answer": "met"}],
         "not in this checklist"),
        ([{"item": item.pk, "answer": "maybe"}], "not a valid choice"),
        ([], "may not be empty"),
    ]
    for answers, message in cases:
        response = api.post(answers_url(checklist), {"region": world.kel_a.code,
                            "answers": answers}, format="json",
                            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert response.status_code == 400 and message in str(response.json()), response.json()
    assert SupervisionResponse.objects.count() == 0 and IdempotencyKey.objects.count() == 0


# --- the outreach activity endpoint ----------------------------------------------------------

def activity(**extra):
    return {"kind": "sekolah", "title": "Sosialisasi di SMPN 5", "status": "held",
            "starts_at": PAST.isoformat(), "attendance": 80,
            "target_groups": ["pemilih-pemula"], **extra}


def test_activity_from_the_field_app_is_idempotent(world, users):
    api = api_for(users["kelurahan_a"])
    key = str(uuid.uuid4())
    first = api.post(ACTIVITIES, activity(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    assert first.json()["kelurahan"] == world.kel_a.code
    assert first.json()["target_groups"] == ["pemilih-pemula"]
    again = api.post(ACTIVITIES, activity(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Activity.objects.count() == 1
    changed = api.post(ACTIVITIES, activity(attendance=81), format="json",
                       HTTP_IDEMPOTENCY_KEY=key)
    assert changed.status_code == 422 and Activity.objects.count() == 1


def test_activity_in_another_kelurahan_and_bad_input_are_400(world, users):
    """A place named in the body outside the caller's scope is "not found" on that field
    (400), as everywhere in the API; nothing is saved, not even the key."""
    api = api_for(users["kelurahan_a"])
    other = api.post(ACTIVITIES, activity(kelurahan=world.kel_b.code), format="json",
                     HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert other.status_code == 400 and "kelurahan" in other.json(), other.json()
    bad = api.post(ACTIVITIES, activity(attendance=-5), format="json",
                   HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert bad.status_code == 400 and "attendance" in bad.json(), bad.json()
    no_title = api.post(ACTIVITIES, activity(title=""), format="json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert no_title.status_code == 400 and "title" in no_title.json()
    assert Activity.objects.count() == 0 and IdempotencyKey.objects.count() == 0
