"""The offline field app (issue 18), server side: the app shell with the forms modules declare
(core.field_forms) and only the user's TPS; the manifest and the service worker served with
the headers an install needs; the token the sending loop asks for; the SHA-256 the phone
computes for a photo checked by the server (mismatch: 422, nothing saved); the logistics
receipt idempotent (a replay confirms nothing twice)."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from posko.core import field_forms
from posko.logistics.models import Item, Shipment
from posko.logistics.services import requirements
from posko.voting.models import ResultPhoto
from tests.conftest import PASSWORD
from tests.voting_fixtures import make_contests

pytestmark = pytest.mark.django_db
APP = "/lapangan/"


def login(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.login(username=user.username, password=PASSWORD)
    return client


def blocks(response) -> tuple[list, dict]:
    text = response.content.decode()

    def block(name):
        marker = f'id="{name}" type="application/json">'
        start = text.index(marker) + len(marker)
        return json.loads(text[start:text.index("</script>", start)])

    return block("fieldapp-forms"), block("fieldapp-config")


def test_app_shell_lists_the_modules_forms_and_only_the_users_tps(client, world, users):
    make_contests(world, "walikota")
    response = login(client, users["kelurahan_a"]).get(APP)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-cache")
    forms, config = blocks(response)
    keys = [form["key"] for form in forms]
    assert keys == ["voting.status", "voting.results", "logistics.receipt", "incidents.report",
                    "coordination.checklist", "outreach.activity"]
    assert config["tps"] == [[world.tps_a.pk, "TPS 001 · Klojen"]]
    status = forms[0]
    assert status["url"] == "/api/v1/voting/tps/{tps}/report/"
    assert status["capture_time"] == "happened_at"
    results = forms[1]
    photo = next(f for f in results["fields"] if f["type"] == "photo")
    assert photo["upload"]["url"] == "/api/v1/voting/tps/{tps}/photos/"
    assert list(results["data"]["pairs"].values())[0][0][0] == 1
    assert forms[3]["capture_gps"] == ["latitude", "longitude"]
    # The receipt's seal and box-label fields get the camera button (typing stays possible)
    receipt = {f["name"]: f for f in forms[2]["fields"]}
    assert receipt["seal_numbers"]["scan"] == "code_128 qr_code"
    assert receipt["box_codes"]["scan"] == "qr_code"
    assert "scan" not in receipt["receiver_name"]
    assert b"posko/scan.js" in response.content and b"data-decoder=" in response.content
    assert b"<script>" not in response.content  # CSP: only src= scripts and JSON blocks


def test_read_only_role_gets_no_write_forms(client, users, world):
    forms, _config = blocks(login(client, users["pemantau"]).get(APP))
    assert [f["key"] for f in forms] == []


def test_app_needs_a_login(client, world):
    response = client.get(APP)
    assert response.status_code == 302 and "/masuk/" in response["Location"]


def test_manifest_and_service_worker_are_public_with_install_headers(client, world):
    manifest = client.get(APP + "manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["scope"] == body["start_url"] == APP and body["display"] == "standalone"
    assert {icon["sizes"] for icon in body["icons"]} == {"192x192", "512x512"}
    worker = client.get(APP + "sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == APP
    text = worker.content.decode()
    assert '"/static/posko/fieldapp/app.js"' in text and "&quot;" not in text
    # the form renderer app.js needs offline is precached with it
    assert '"/static/posko/fieldapp/fields.js"' in text


def test_every_page_says_whether_a_session_is_there_for_the_apps_cached_page(client, users,
                                                                            world):
    """core.shell.register_head: a page without a session drops the app's cached page from
    the phone, a page with one asks for it again (static/posko/fieldapp/session.js; in
    Chromium: tests/browser/test_fieldapp_session.py)."""
    script = '<script src="/static/posko/fieldapp/session.js" data-shell="/lapangan/"'
    page = client.get("/masuk/").content.decode()
    assert page.count(script) == 1 and 'data-session="out"' in page
    page = login(client, users["kelurahan_a"]).get("/").content.decode()
    assert page.count(script) == 1 and 'data-session="in"' in page
    # Opened offline with no page cached: a page that says what to do (in the user's
    # language, here English), with the login link inside the JavaScript string.
    worker = client.get(APP + "sw.js").content.decode()
    assert "Log in to Posko once with a signal" in worker and '"/masuk/"' not in worker
    assert 'href=\\"/masuk/\\"' in worker and 'event.data === "shell"' in worker


def test_token_sends_to_login_without_a_session(client, users, world):
    response = client.get(APP + "token/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")
    response = login(client, users["kelurahan_a"]).get(APP + "token/")
    assert response.status_code == 200 and response.json()["csrf"]
    assert response["Cache-Control"] == "no-store"


def test_registry_refuses_a_photo_without_an_upload_url():
    with pytest.raises(ValueError):
        field_forms.register_form(field_forms.FieldForm(
            key="x", label="x", url="/x/", fields=[field_forms.Field("p", "p", "photo")]))
    with pytest.raises(ValueError):
        field_forms.Field("p", "p", "colour")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def api(users):
    client = APIClient()
    client.force_authenticate(users["kelurahan_a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_photo_sha256_from_the_phone_is_checked(api, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (contest,) = make_contests(world, "walikota")
    data = jpeg()
    url = f"/api/v1/voting/tps/{world.tps_a.pk}/photos/"

    def post(sha, key):
        return api.post(url, {"contest": contest.pk, "image": SimpleUploadedFile(
            "c.jpg", data, content_type="image/jpeg")}, format="multipart",
            HTTP_IDEMPOTENCY_KEY=key, HTTP_X_CONTENT_SHA256=sha)

    key = str(uuid.uuid4())
    wrong = post("0" * 64, key)
    assert wrong.status_code == 422
    assert "arrived damaged" in wrong.json()["detail"] and hashlib.sha256(data).hexdigest() \
        in wrong.json()["detail"]
    assert ResultPhoto.objects.count() == 0
    assert post("not-a-hash", key).status_code == 422
    good = post(hashlib.sha256(data).hexdigest().upper(), key)  # the same key may be sent again
    assert good.status_code == 201, good.content
    assert good.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert ResultPhoto.objects.count() == 1


def test_receipt_confirm_is_idempotent(api, world):
    item = Item.objects.create(election=world.election, code="kotak", name="Kotak suara",
                               unit="buah", norm=Item.Norm.PER_TPS, quantity=2, order=1)
    requirements.recompute(world.election)
    created = api.post("/api/v1/logistics/shipments/", {
        "from_level": "pps", "to_level": "tps", "tps": world.tps_a.pk,
        "lines": [{"item": item.pk, "dispatched": 2}]}, format="json")
    assert created.status_code == 201
    shipment = Shipment.objects.get(pk=created.json()["id"])
    url = f"/api/v1/logistics/shipments/{shipment.pk}/confirm/"
    body = {"version": 1, "receiver_name": "Ketua KPPS",
            "lines": [{"item": item.pk, "received": 2, "damaged": 0}]}
    key = str(uuid.uuid4())
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.RECEIVED and shipment.version == 2
    other = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert other.status_code == 409 and other.json()["current_version"] == 2
    changed = api.post(url, {**body, "receiver_name": "X"}, format="json",
                       HTTP_IDEMPOTENCY_KEY=key)
    assert changed.status_code == 422


def test_other_kelurahans_shipment_confirm_is_404(api, world, users):
    item = Item.objects.create(election=world.election, code="kotak", name="Kotak suara",
                               unit="buah", norm=Item.Norm.PER_TPS, quantity=2, order=1)
    other = APIClient()
    other.force_authenticate(users["kelurahan_b"])
    created = other.post("/api/v1/logistics/shipments/", {
        "from_level": "pps", "to_level": "tps", "tps": world.tps_b.pk,
        "lines": [{"item": item.pk, "dispatched": 2}]}, format="json")
    assert created.status_code == 201
    response = api.post(f"/api/v1/logistics/shipments/{created.json()['id']}/confirm/",
                        {"version": 1, "receiver_name": "x", "lines": []}, format="json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 404


def shell_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(APP).status_code == 200
    return len(captured.captured_queries)


def test_app_shell_runs_a_fixed_number_of_queries(client, world, users):
    from posko.elections.models import Tps
    from posko.logistics.services.shipments import create_shipment
    from tests.test_fieldforms_supervision_outreach import add_checklist

    make_contests(world, "walikota")
    add_checklist(world, "Kesiapan TPS", 3)
    item = Item.objects.create(election=world.election, code="kotak", name="Kotak suara",
                               unit="buah", norm=Item.Norm.PER_TPS, quantity=2, order=1)
    create_shipment(world.election, "pps", "tps", world.tps_a, {item.pk: 2},
                    actor=users["kelurahan_a"])
    login(client, users["kelurahan_a"])
    shell_queries(client)  # warm the per-process constants
    few = shell_queries(client)
    for n in range(2, 32):
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=n,
                                 dpt_men=100, dpt_women=100, address="x")
        add_checklist(world, f"Checklist {n}", 3)
        create_shipment(world.election, "pps", "tps", tps, {item.pk: 2},
                        actor=users["kelurahan_a"])
    many = shell_queries(client)
    forms, config = blocks(client.get(APP))
    assert len(config["tps"]) == 31
    receipt = next(f for f in forms if f["key"] == "logistics.receipt")
    assert len(receipt["data"]["shipments"]) == 31
    checklist = next(f for f in forms if f["key"] == "coordination.checklist")
    assert len(checklist["data"]["checklists"]) == 31
    assert many == few, (f"{few} queries with 1 TPS, {many} with 31 TPS, 31 shipments and "
                         f"31 checklists")


def test_a_form_left_out_of_the_registry_is_simply_not_offered(client, world, users):
    saved = {f.key: f for f in field_forms.registered()}
    field_forms.unregister_form("logistics.receipt")
    try:
        forms, _config = blocks(login(client, users["kelurahan_a"]).get(APP))
        assert [f["key"] for f in forms] == ["voting.status", "voting.results", "incidents.report",
                                             "coordination.checklist", "outreach.activity"]
    finally:
        field_forms.register_form(saved["logistics.receipt"])


@pytest.mark.parametrize("module", ["fieldapp", "voting"])
def test_posko_without_the_field_app_and_the_field_app_without_voting(module):
    """Removing posko.fieldapp leaves a working Posko; removing a module that declares field
    forms (voting) leaves the field app in place (tests/shell_without.py, own interpreter)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "POSKO_TEST_WITHOUT": module, "PYTHONPATH": str(root)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, str(root / "tests" / "shell_without.py")], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["login"] == 200 and seen["home"] == 200
    assert ("fieldapp" in seen["namespaces"]) == (module != "fieldapp")
    assert module not in seen["namespaces"]
