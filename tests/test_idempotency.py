"""Idempotency-Key on field submissions (core.idempotency): a retry gets the first answer and
writes nothing; another payload under the same key is refused; keys are per user; a failed
request stores nothing; old keys are purged."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from posko.core import idempotency
from posko.core.models import IdempotencyKey
from posko.incidents.models import Category, IncidentSettings, Report
from posko.outreach.models import TpsTurnout
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

REPORTS = "api:incident-report-list"


@pytest.fixture
def category(world):
    return Category.objects.create(code="politik_uang", name="Politik uang")


def body(world, **extra):
    return {"category": "politik_uang", "tps": world.tps_a.pk, "severity": "sedang",
            "occurred_at": "2024-11-27T08:00:00+07:00", "title": "Amplop di dekat TPS",
            "description": "Amplop dibagikan di dekat TPS.", **extra}


def post(client, url, data, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(key)} if key is not None else {}
    return client.post(url, data, content_type="application/json", **headers, **extra)


def test_a_retry_gets_the_first_answer_and_writes_nothing(world, personas, category):
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    first = post(client, reverse(REPORTS), body(world), key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = post(client, reverse(REPORTS), body(world), key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Report.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.user, stored.key, stored.status_code) == (
        personas["kelurahan_a"].user, key, 201)
    assert stored.endpoint == "POST /api/v1/laporan/"


def test_the_same_key_with_another_payload_is_refused(world, personas, category):
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    assert post(client, reverse(REPORTS), body(world), key).status_code == 201
    other = post(client, reverse(REPORTS), body(world, title="Laporan lain"), key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    elsewhere = post(client, reverse("api:outreach-turnout-list"),
                     {"tps": world.tps_a.pk, "voted_dpt": 10}, key)
    assert elsewhere.status_code == 422
    assert Report.objects.count() == 1 and not TpsTurnout.objects.exists()


def test_key_order_in_the_body_does_not_matter(world, personas, category):
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    data = body(world)
    assert post(client, reverse(REPORTS), data, key).status_code == 201
    reordered = dict(reversed(list(data.items())))
    assert post(client, reverse(REPORTS), reordered, key)["Idempotent-Replayed"] == "true"


def test_keys_are_per_user(world, personas, category):
    key = uuid.uuid4()
    assert post(personas["kelurahan_a"].client, reverse(REPORTS), body(world), key).status_code == 201
    admin = post(personas["admin"].client, reverse(REPORTS), body(world), key)
    assert admin.status_code == 201 and "Idempotent-Replayed" not in admin
    assert Report.objects.count() == 2


def test_a_failed_submission_stores_nothing_and_can_be_sent_again(world, personas, category):
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    bad = post(client, reverse(REPORTS), body(world, description="pendek"), key)
    assert bad.status_code == 400 and not IdempotencyKey.objects.exists()
    # Another region's TPS: answered like a TPS that does not exist, nothing stored.
    foreign = post(client, reverse(REPORTS), body(world, tps=world.tps_b.pk), key)
    assert foreign.status_code == 400 and not IdempotencyKey.objects.exists()
    good = post(client, reverse(REPORTS), body(world), key)
    assert good.status_code == 201 and Report.objects.count() == 1


def test_a_malformed_key_is_refused_and_a_missing_one_is_allowed_here(world, personas, category):
    client = personas["kelurahan_a"].client
    response = post(client, reverse(REPORTS), body(world), "bukan-uuid")
    assert response.status_code == 400 and "UUID" in response.json()["detail"]
    assert not Report.objects.exists()
    assert post(client, reverse(REPORTS), body(world)).status_code == 201  # optional here


def _view(required):
    calls = []

    def respond():
        calls.append(1)
        return Response({"ok": len(calls)}, status=201)

    def call(key=None, data=None, user=None):
        factory = RequestFactory()
        headers = {"HTTP_IDEMPOTENCY_KEY": str(key)} if key else {}
        django_request = factory.post("/api/v1/x/", data or {"a": 1},
                                      content_type="application/json", **headers)
        request = Request(django_request, parsers=[JSONParser()])
        request.user = user
        return idempotency.idempotent(request, respond, required=required)

    return call, calls


def test_a_required_key_that_is_missing_is_a_400_and_nothing_runs(users):
    call, calls = _view(required=True)
    response = call(user=users["kelurahan_a"])
    assert response.status_code == 400 and "Idempotency-Key" in response.data["detail"]
    assert calls == []
    assert call(key=uuid.uuid4(), user=users["kelurahan_a"]).status_code == 201
    assert calls == [1]


def test_files_are_part_of_the_fingerprint(users):
    factory = RequestFactory()

    def fingerprint(content):
        upload = SimpleUploadedFile("c-hasil.jpg", content, content_type="image/jpeg")
        django_request = factory.post("/api/v1/x/", {"tps": "1", "photo": upload})
        request = Request(django_request, parsers=[MultiPartParser(), FormParser()])
        return idempotency.fingerprint(request)

    assert fingerprint(b"foto-1") == fingerprint(b"foto-1")
    assert fingerprint(b"foto-1") != fingerprint(b"foto-2")


def test_old_keys_are_purged(users):
    user = users["kelurahan_a"]
    old = IdempotencyKey.objects.create(user=user, key=uuid.uuid4(), endpoint="POST /x",
                                        fingerprint="a" * 64, status_code=201, response="{}")
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=15))
    recent = IdempotencyKey.objects.create(user=user, key=uuid.uuid4(), endpoint="POST /x",
                                           fingerprint="b" * 64, status_code=201, response="{}")
    assert idempotency.purge_old_keys() == 1
    assert list(IdempotencyKey.objects.all()) == [recent]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: a second writer "
                    "does not wait; SQLite runs one write transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_the_same_key_while_the_first_is_being_written_is_a_409(world, users, category):
    IncidentSettings.for_election(world.election)  # not created by the first request (a lock)
    key = uuid.uuid4()
    inside, release = threading.Event(), threading.Event()
    results = {}
    original = idempotency._store

    def slow_store(row_id, response):
        original(row_id, response)
        inside.set()
        release.wait(10)  # the first request holds its transaction open

    def first():
        try:
            results["first"] = post(client_for(users["kelurahan_a"]), reverse(REPORTS),
                                    body(world), key).status_code
        finally:
            connection.close()

    idempotency._store = slow_store
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(10)
        idempotency._store = original
        second = post(client_for(users["kelurahan_a"]), reverse(REPORTS), body(world), key)
        release.set()
        thread.join(10)
    finally:
        idempotency._store = original
        release.set()
    assert second.status_code == 409 and "Idempotency-Key" in second.json()["detail"]
    assert results["first"] == 201
    assert Report.objects.count() == 1
    replay = post(client_for(users["kelurahan_a"]), reverse(REPORTS), body(world), key)
    assert replay["Idempotent-Replayed"] == "true"


def test_an_insert_sent_with_the_answer_is_the_sql_django_would_send(world, users, monkeypatch):
    """``save_with_answer`` compiles a model's INSERT once and reuses its text: the text and
    values must be Django's own, for JSON, times, foreign keys and blanks; a value that is an
    expression is compiled again (and not cached)."""
    from django.db.models import Value
    from django.db.models import sql as django_sql
    from django.db.models.functions import Upper

    from posko.core import audit

    def django_sends(obj):
        meta = obj._meta
        query = django_sql.InsertQuery(type(obj))
        query.insert_values([f for f in meta.local_concrete_fields
                             if not f.generated and f is not meta.auto_field], [obj])
        [(text, params)] = query.get_compiler(connection.alias).as_sql()
        return text, [getattr(p, "obj", p) for p in params]

    def ours(obj):
        text, params = idempotency._write_sql(obj)
        return text, [getattr(p, "obj", p) for p in params]

    at = timezone.make_aware(datetime.datetime(2024, 11, 27, 14, 0))
    monkeypatch.setattr(timezone, "now", lambda: at)  # auto_now_add: one moment on both sides
    entries = [audit.build("update", world.tps_a, actor=users["admin"], before={"a": [1, "x"]},
                           after={"b": None}, message="Koreksi"),
               audit.build("create", None, actor=None)]
    ours(entries[0])  # compiles and caches the text
    for entry in entries:
        assert ours(entry) == django_sends(entry)
    expression = audit.build("create", None, actor=None, message=Upper(Value("x")))
    text, _params = idempotency._write_sql(expression)
    assert "UPPER(" in text and "UPPER(" not in idempotency._INSERTS[(type(expression),
                                                                      connection.vendor)]


def test_an_update_is_the_sql_django_would_send_with_its_text_compiled_once(world, monkeypatch):
    """``update_sql`` (a TPS report's guarded UPDATE, a summary saved with the answer)
    reuses its text per model, condition and NULLs: text and values must be Django's own,
    a NULL written as Django writes it, and the statement must change the row."""
    from django.db.models import Q
    from django.db.models import sql as django_sql

    def django_sends(obj, **where):
        query = django_sql.UpdateQuery(type(obj))
        query.add_update_fields([(f, None, f.pre_save(obj, False))
                                 for f in obj._meta.local_concrete_fields
                                 if not f.generated and not f.primary_key])
        query.add_q(Q(pk=obj.pk, **where))
        text, params = query.get_compiler(connection.alias).as_sql()
        return text, [getattr(p, "obj", p) for p in params]

    def ours(obj, **where):
        text, params = idempotency.update_sql(obj, **where)
        return text, [getattr(p, "obj", p) for p in params]

    at = timezone.make_aware(datetime.datetime(2024, 11, 27, 14, 0))
    monkeypatch.setattr(timezone, "now", lambda: at)  # auto_now: one moment on both sides
    tps = world.tps_a
    idempotency._UPDATES.clear()
    for latitude in (None, "-7.9666", None):
        tps.latitude, tps.notes = latitude, f"catatan {latitude}"
        ours(tps, number=tps.number)  # the first of a shape compiles and caches
        sent = ours(tps, number=tps.number)
        assert sent == django_sends(tps, number=tps.number)
        with connection.cursor() as cursor:
            cursor.execute(*sent)
            assert cursor.rowcount == 1
        assert type(tps).objects.get(pk=tps.pk).notes == f"catatan {latitude}"
    assert len(idempotency._UPDATES) == 2  # with and without a NULL latitude
    with connection.cursor() as cursor:  # the condition no longer holds: nothing changes
        cursor.execute(*idempotency.update_sql(tps, number=tps.number + 1))
        assert cursor.rowcount == 0
