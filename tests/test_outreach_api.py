"""Outreach API: activities (create from a phone, list, update), coverage, targets and
turnout, with the same scope and messages as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from posko.outreach.models import Activity, TpsTurnout
from tests.conftest import SEES_KEL_A
from tests.outreach_fixtures import PAST, add_activity, png

pytestmark = pytest.mark.django_db
ACTIVITIES = reverse("api:outreach-activity-list")


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def _client(personas, name):
    client = personas[name].client
    client.cookies["django_language"] = "en"
    return client


def test_a_lurah_creates_a_held_activity_from_a_phone_with_a_photo(world, personas):
    client = _client(personas, "kelurahan_a")
    response = client.post(ACTIVITIES, {
        "title": "Sosialisasi di SMPN 5", "kind": "sekolah", "status": "held",
        "starts_at": PAST.isoformat(), "attendance": 80, "target_groups": ["pemilih-pemula"],
        "photos": [png()]})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kelurahan"] == world.kel_a.code and data["organiser_kind"] == "kelurahan"
    assert data["counts_for_kelurahan"] is True
    assert Activity.objects.get().attachments.count() == 1


def test_bad_input_is_a_400_with_the_service_messages(world, personas):
    client = _client(personas, "kelurahan_a")
    response = client.post(ACTIVITIES, {
        "title": "x", "kind": "tatap_muka", "status": "held", "starts_at": PAST.isoformat(),
        "attendance": -4, "target_groups": ["lansia"]}, content_type="application/json")
    assert response.status_code == 400
    assert "Attendance cannot be negative." in response.json()["attendance"]
    response = client.post(ACTIVITIES, {
        "title": "x", "kind": "tatap_muka", "status": "held", "starts_at": PAST.isoformat(),
        "attendance": 4000, "target_groups": ["lansia"]}, content_type="application/json")
    assert response.status_code == 400 and "more than usual" in response.json()["attendance"][0]
    assert not Activity.objects.exists()
    assert _client(personas, "pemantau").post(ACTIVITIES, {}, content_type="application/json"
                                              ).status_code == 403


def test_list_and_detail_follow_scope(world, users, personas):
    activity = add_activity(world, users["kelurahan_a"])
    for name, persona in personas.items():
        listing = persona.client.get(ACTIVITIES)
        detail = persona.client.get(reverse("api:outreach-activity-detail", args=[activity.pk]))
        if name == "anonymous":
            assert listing.status_code in (401, 403)
            continue
        ids = [r["id"] for r in listing.json()["results"]]
        assert (activity.pk in ids) == (name in SEES_KEL_A), name
        assert detail.status_code == (200 if name in SEES_KEL_A else 404), name


def test_patch_with_version(world, users, personas):
    activity = add_activity(world, users["kelurahan_a"])
    url = reverse("api:outreach-activity-detail", args=[activity.pk])
    client = _client(personas, "kelurahan_a")
    response = client.patch(url, {"title": "Baru", "version": 1}, content_type="application/json")
    assert response.status_code == 200 and response.json()["version"] == 2
    response = client.patch(url, {"title": "Lagi", "version": 1}, content_type="application/json")
    assert response.status_code == 409
    assert _client(personas, "pemantau").patch(url, {"title": "z"},
                                               content_type="application/json").status_code == 403
    assert _client(personas, "kelurahan_b").patch(url, {"title": "z"},
                                                  content_type="application/json").status_code == 404


def test_coverage_targets_and_turnout(world, users, personas):
    add_activity(world, users["kelurahan_a"], attendance=41)
    admin = _client(personas, "admin")
    data = admin.get(reverse("api:outreach-coverage-list")).json()
    first = {r["code"]: r for r in data["results"]}[world.kel_a.code]
    assert first["reach_per_1000"] == "100.0" and first["groups_reached"] == ["pemilih-pemula"]
    lurah_b = _client(personas, "kelurahan_b").get(reverse("api:outreach-coverage-list")).json()
    assert [r["code"] for r in lurah_b["results"]] == [world.kel_b.code]
    assert admin.get(reverse("api:outreach-target-list")).json()["target_percent"] == "83.00"
    turnout = reverse("api:outreach-turnout-list")
    bad = {"tps": world.tps_a.pk, "voted_dpt": 400, "voted_dptb": 20}
    response = admin.post(turnout, bad, content_type="application/json")
    assert response.status_code == 400 and "more than the 410 registered" in str(response.json())
    assert not TpsTurnout.objects.exists()
    response = admin.post(turnout, {"tps": world.tps_a.pk, "voted_dpt": 300},
                          content_type="application/json")
    assert response.status_code == 201 and response.json()["voted"] == 300
    # Another region's TPS is answered like one that does not exist (400 on the field).
    assert _client(personas, "kelurahan_b").post(
        turnout, {"tps": world.tps_a.pk, "voted_dpt": 1},
        content_type="application/json").status_code == 400
    rows = admin.get(reverse("api:outreach-turnout-kelurahan")).json()["results"]
    assert {r["code"]: r["turnout"] for r in rows}[world.kel_a.code] == "73.17"
