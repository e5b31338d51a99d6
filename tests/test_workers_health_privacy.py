"""Health measurements of workers (blood pressure, blood sugar, cholesterol, the screening
note) are specific personal data (UU PDP): only Dinkes operators and admins given the
personal-data permission may see them, after an audited reveal with a reason, on the page,
in an export and through the API. Everyone else sees the screening result only."""

from __future__ import annotations

import csv
import datetime
import importlib
import io
import re

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from posko.accounts.models import Agency, Role, User
from posko.core.models import AuditEntry
from posko.workers import rules, services
from posko.workers.models import Screening
from tests.conftest import client_for
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

PRESSURE, SUGAR, CHOLESTEROL, NOTE = "187/123", 312, 287, "Hipertensi tahap 2, rujuk ke RSUD"
ALLOWED = {"admin_flag", "dinkes"}
PERSONAS = ["admin_flag", "admin", "dinkes", "other_agency", "pemantau", "camat", "lurah"]
REASON = "Tindak lanjut hipertensi KPPS Klojen"


@pytest.fixture
def people(users):
    admin_flag = User.objects.create_user(username="admin_pdp", password="x", role=Role.ADMIN,
                                          personal_data_access=True)
    dishub = Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    other = User.objects.create_user(username="dishub", password="x", role=Role.AGENCY,
                                     agency=dishub)
    found = {"admin_flag": admin_flag, "admin": users["admin"], "dinkes": users["agency"],
             "other_agency": other, "pemantau": users["pemantau"], "camat": users["kecamatan_a"],
             "lurah": users["kelurahan_a"]}
    return {name: (user, client_for(user)) for name, user in found.items()}


@pytest.fixture
def screened(world, users):
    worker = make_worker(users["admin"], world.tps_a, name="Sri Rahayu")
    services.record_screening(Screening(
        worker=worker, date=datetime.date(2024, 11, 20), facility_kind="puskesmas",
        facility_name="Puskesmas Arjuno", systolic=187, diastolic=123, blood_sugar=SUGAR,
        cholesterol=CHOLESTEROL, result="tidak_layak", note=NOTE), actor=users["agency"])
    return worker


def shows_measurements(text: str) -> bool:
    def number(value):  # a whole value, not digits inside a CSRF token or a request id
        return re.search(rf"(?<![0-9A-Za-z]){value}(?![0-9A-Za-z])", text) is not None

    found = [PRESSURE in text, number(SUGAR), number(CHOLESTEROL), NOTE in text]
    assert all(found) or not any(found), found  # all or nothing
    return all(found)


def views() -> int:
    return AuditEntry.objects.filter(action="view").count()


def test_who_may_see_health_data(people):
    assert {name for name, (user, _c) in people.items() if rules.can_see_health(user)} == ALLOWED


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_worker_page_shows_the_result_and_measurements_only_after_an_audited_reveal(
        people, screened, persona):
    user, client = people[persona]
    page = client.get(reverse("workers:worker_detail", args=[screened.pk])).content.decode()
    assert "tidak layak" in page and "Puskesmas Arjuno" in page
    assert not shows_measurements(page)
    assert ("Tampilkan hasil pengukuran kesehatan" in page) == (persona in ALLOWED)
    url = reverse("workers:worker_reveal_health", args=[screened.pk])
    response = client.post(url, {"reason": REASON})
    if persona not in ALLOWED:
        assert response.status_code == 403 and views() == 0
        return
    assert response.status_code == 200 and shows_measurements(response.content.decode())
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="view")
    assert (entry.username, entry.object_id) == (user.username, str(screened.pk))
    assert entry.after == {"data": "health", "screenings": 1, "reason": REASON}
    # The next visit is masked again.
    again = client.get(reverse("workers:worker_detail", args=[screened.pk])).content.decode()
    assert not shows_measurements(again)


def test_a_reveal_needs_a_reason_and_another_regions_worker_is_404(people, screened, personas):
    _user, client = people["dinkes"]
    url = reverse("workers:worker_reveal_health", args=[screened.pk])
    response = client.post(url, {"reason": ""})
    text = response.content.decode()
    assert response.status_code == 400 and not shows_measurements(text)
    assert "Tuliskan alasan membuka hasil pengukuran kesehatan." in text
    response = client.post(url, {"reason": "cek"})
    assert response.status_code == 400 and not shows_measurements(response.content.decode())
    assert ("Tuliskan alasan membuka hasil pengukuran kesehatan (paling sedikit 10 karakter)."
            in response.content.decode())
    assert views() == 0
    assert personas["kelurahan_b"].client.post(url, {"reason": REASON}).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_export_never_holds_measurements(people, screened, persona):
    _user, client = people[persona]
    response = client.get(reverse("workers:worker_list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Sri Rahayu" in text and "tidak layak" in text
    assert not shows_measurements(text) and "Tekanan darah" not in text


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_health_export_asks_why_and_only_allowed_users_get_it(people, screened, persona):
    user, client = people[persona]
    url = reverse("workers:worker_export")
    data = {"health": "on", "purpose": "kesehatan", "reason": REASON, "format": "csv"}
    if not (user.can_see_personal_data or rules.can_see_health(user)):
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
        return
    form = client.get(url).content.decode()
    assert ('name="health"' in form) == (persona in ALLOWED)
    response = client.post(url, {**data, "personal": "on"} if persona == "admin" else data)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert shows_measurements(text) == (persona in ALLOWED)
    assert ("Tekanan darah (mmHg)" in rows[0]) == (persona in ALLOWED)
    entry = AuditEntry.objects.get(action="export")
    assert entry.after["rows"] == 1 and entry.after["reason"] == REASON
    assert ("kesehatan" in entry.after["data"]) == (persona in ALLOWED)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_gives_measurements_only_with_a_reason_to_allowed_users(people, screened, persona):
    user, client = people[persona]
    url = reverse("api:worker-screening-list")
    listed = client.get(url).json()
    rows = listed.get("results", listed) if isinstance(listed, dict) else listed
    assert [r["result"] for r in rows] == ["tidak_layak"]
    assert not {"systolic", "diastolic", "blood_sugar", "cholesterol", "note"} & set(rows[0])
    detail_url = reverse("api:worker-screening-detail", args=[rows[0]["id"]])
    assert "systolic" not in client.get(detail_url).json()
    revealed = client.get(url, {"reason": REASON})
    detail = client.get(detail_url, {"reason": REASON})
    if persona not in ALLOWED:
        assert revealed.status_code == 403 and detail.status_code == 403 and views() == 0
        return
    row = revealed.json().get("results", revealed.json())[0] \
        if isinstance(revealed.json(), dict) else revealed.json()[0]
    assert (row["systolic"], row["diastolic"], row["blood_sugar"], row["note"]) == (
        187, 123, SUGAR, NOTE)
    assert detail.json()["cholesterol"] == CHOLESTEROL
    entries = AuditEntry.objects.filter(action="view", username=user.username)
    assert entries.count() == 2 and all(e.after["reason"] == REASON for e in entries)
    short = client.get(url, {"reason": "cek"})
    assert short.status_code == 400 and "reason" in short.json()


def test_the_audit_log_holds_no_measurements(people, screened):
    entry = AuditEntry.objects.get(action="create", content_type__model="screening")
    assert entry.after["result"] == "tidak_layak"
    assert not {"systolic", "diastolic", "blood_sugar", "cholesterol", "note"} & set(entry.after)
    _user, admin = people["admin"]
    page = admin.get(reverse("audit_entry", args=[entry.pk])).content.decode()
    assert not shows_measurements(page)


def test_the_migration_removes_measurements_already_in_the_audit_log(screened):
    content_type = ContentType.objects.get_for_model(Screening)
    old = AuditEntry.objects.create(
        action="create", content_type=content_type, object_id="1", object_repr="x",
        after={"result": "layak", "systolic": 150, "diastolic": 90, "blood_sugar": 99,
               "cholesterol": 200, "note": "obat"})
    other = AuditEntry.objects.create(action="update", object_repr="y", after={"systolic": 1})
    migration = importlib.import_module("posko.workers.migrations.0002_scrub_screening_audit")
    migration.scrub(apps, None)
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.after == {"result": "layak"} and other.after == {"systolic": 1}
