"""The field API's write path (issue 14's load target): a C.Hasil runs in the submission's one
transaction without savepoints; a refused correction leaves everything as it was (the entry
retired in the same statement that locked it is current again, counters and reconciliation
untouched, no key stored); the counters' votes move in the UPDATE itself; entries sent at the
same moment by two sources of one TPS are both in its reconciliation (PostgreSQL)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posko.core.models import AuditEntry, IdempotencyKey
from posko.elections.models import Tps
from posko.voting import rollup, services
from posko.voting.models import Reconciliation, StatusEvent, TallyCounter, TpsDay, TpsResult
from posko.voting.services.reconcile import _entries, compute
from tests.voting_fixtures import (
    GOOD,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
    post_result,
    result_body,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the submission is the outer transaction




@pytest.fixture
def walikota(world):
    return make_contests(world, "walikota")[0]


def test_a_refused_correction_leaves_the_counted_entry_counters_and_key_as_they_were(
        world, personas, walikota, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    client = personas["kelurahan_a"].client
    assert post_result(client, world.tps_a, result_body(walikota)).status_code == 201
    first = TpsResult.objects.get()
    rec_before = Reconciliation.objects.values().get()
    key = uuid.uuid4()
    refused = post_result(client, world.tps_a, result_body(walikota, votes=(130, 90, 80)), key)
    assert refused.status_code == 400
    assert refused.json()["reason"] == [  # the API answers in the user's Indonesian
        "Tulis alasan koreksi: hasil ini menggantikan versi 1 yang diisi oleh Kelurahan A."]
    first.refresh_from_db()
    assert (first.is_current, first.is_counted, TpsResult.objects.count()) == (True, True, 1)
    assert Reconciliation.objects.values().get() == rec_before
    counter = TallyCounter.objects.get()
    assert (counter.reported, counter.votes) == (1, {"1": 120, "2": 100, "3": 80})
    assert not IdempotencyKey.objects.filter(key=key).exists()
    # The same key with a reason runs (the refusal stored nothing): version 2 is counted.
    fixed = post_result(client, world.tps_a, result_body(walikota, votes=(130, 90, 80), reason="Salah baca."),
                 key)
    assert fixed.status_code == 201 and fixed.json()["version"] == 2
    counter.refresh_from_db()
    assert (counter.reported, counter.votes) == (1, {"1": 130, "2": 90, "3": 80})
    assert Reconciliation.objects.get().counted_id == fixed.json()["id"]
    assert rollup.check(world.election) == []


def test_a_counted_correction_is_one_transaction_without_savepoints(world, personas, walikota,
                                                                   monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    client = personas["kelurahan_a"].client
    assert post_result(client, world.tps_a, result_body(walikota)).status_code == 201
    post_result(client, world.tps_a, result_body(walikota, votes=(100, 100, 100), reason="Cek."))  # warm
    with CaptureQueriesContext(connection) as captured:
        done = post_result(client, world.tps_a, result_body(walikota, votes=(121, 99, 80), reason="Foto."))
    assert done.status_code == 201 and done.json()["version"] == 3
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    assert "SAVEPOINT" not in statements and "RELEASE" not in statements
    if connection.vendor == "postgresql":
        # session, user, TPS (with its day), BEGIN, key claim, reconciliation + old entry
        # locked and retired, INSERT entry, SELECT entries, then one statement: the
        # counter's upsert (numbers and votes) + UPDATE reconciliation + INSERT audit +
        # UPDATE key (the answer), COMMIT
        assert len(statements) == 10, statements
        answer = captured.captured_queries[-2]["sql"]
        assert answer.startswith('WITH w0 AS (INSERT INTO "voting_tallycounter"'), answer
        assert "ON CONFLICT" in answer and "w1 AS (UPDATE" in answer
    counter = TallyCounter.objects.get()
    assert (counter.reported, counter.valid) == (1, 300)
    assert counter.votes == {"1": 121, "2": 99, "3": 80}
    assert rollup.check(world.election) == []


def test_two_sources_at_the_same_moment_are_both_reconciled(world, users, walikota):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    errors = []

    def send(source, votes, round_no, barrier):
        try:
            barrier.wait(timeout=10)
            services.submit_result(
                world.tps_a, walikota, actor=users["admin"], election=world.election,
                values=GOOD, votes=votes, source=source, now=at(14, round_no),
                reason="" if round_no == 0 else f"Koreksi {round_no}.")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    for round_no in range(6):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=send, args=(source, votes, round_no, barrier))
                   for source, votes in (("pemda", {1: 120, 2: 100, 3: 80}),
                                         ("saksi", {1: 120, 2: 100 + round_no % 2, 3: 80}))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        rec = Reconciliation.objects.get(tps=world.tps_a, contest=walikota)
        current, counted = _entries(world.tps_a, walikota)
        assert set(current) == {"pemda", "saksi"}
        expected = Reconciliation.objects.get(pk=rec.pk)
        compute(expected, current, counted)
        assert (rec.agreement, rec.differences, rec.counted_id) == (
            expected.agreement, expected.differences, counted.pk)
        assert rec.agreement == ("disagree" if round_no % 2 else "agree")


def report(world, users, tps, at_, **values):
    return services.record_report(tps, actor=users["kelurahan_a"], election=world.election,
                                  now=at_, **values)


def test_a_report_on_a_day_read_before_another_report_is_checked_again_under_lock(
        world, users, walikota):
    report(world, users, world.tps_a, at(6), state="siap")
    report(world, users, world.tps_a, at(7), state="dibuka")
    # The API reads the TPS with its day; another report closes the TPS before ours writes.
    stale = Tps.objects.select_related("day").get(pk=world.tps_a.pk)
    report(world, users, world.tps_a, at(13), state="ditutup")
    with pytest.raises(Exception) as refused:
        report(world, users, stale, at(13, 5), state="pemungutan")
    assert "a report can only move it forward" in str(refused.value)
    stale = Tps.objects.select_related("day").get(pk=world.tps_a.pk)
    report(world, users, world.tps_a, at(13, 10), kpps_present=7)
    report(world, users, stale, at(13, 11), linmas_present=2)  # stale, but still valid
    day = TpsDay.objects.get(tps=world.tps_a)
    assert (day.state, day.kpps_present, day.linmas_present, day.version) == (
        "ditutup", 7, 2, 5)  # neither report lost the other's number
    assert StatusEvent.objects.filter(day=day).count() == 5
    assert AuditEntry.objects.filter(object_id=str(day.pk)).count() == 5


def test_a_report_through_the_api_writes_its_event_and_audit_with_the_answer(
        world, personas, walikota, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(6))
    client = personas["kelurahan_a"].client
    url = reverse("api:voting-tps-report", args=[world.tps_a.pk])
    first = client.post(url, {"state": "siap"}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert first.status_code == 201
    client.post(url, {"kpps_present": 6}, content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))  # warm: per-process constants read
    with CaptureQueriesContext(connection) as captured:
        again = client.post(url, {"kpps_present": 7}, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert again.status_code == 201 and again.json()["kpps_present"] == 7
    assert again.json()["version"] == 3
    if connection.vendor == "postgresql":
        # session, user, TPS with its day, then one statement (core.submit_once): the key's
        # claim with its answer, the day's UPDATE if its version is unchanged, the event and
        # the audit entry — no BEGIN/COMMIT round trips (autocommit)
        assert len(captured.captured_queries) == 4, "\n".join(q["sql"][:70] for q in captured)
        assert captured.captured_queries[-1]["sql"].startswith("WITH lock AS")
        with connection.cursor() as cursor:  # parsed and planned once for the connection
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE "
                           "'WITH lock AS%%'")
            assert cursor.fetchone() == (1,)
    day = TpsDay.objects.get(tps=world.tps_a)
    assert list(StatusEvent.objects.filter(day=day).values_list("state", "kpps_present")
                .order_by("pk")) == [("siap", None), ("", 6), ("", 7)]
    assert AuditEntry.objects.filter(object_id=str(day.pk)).count() == 3
    assert IdempotencyKey.objects.filter(status_code=201).count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement path is "
                    "PostgreSQL's; SQLite takes the general path")
def test_a_report_whose_day_moved_on_before_its_statement_takes_the_general_path(
        world, personas, walikota, monkeypatch):
    """Another report changes the day between this one's read and its one statement: the
    statement writes nothing (not even the key), the general path re-reads the day under a
    lock, and both reports' numbers are kept; a replay then gets this answer."""
    from posko.core import submit_once

    monkeypatch.setattr(timezone, "now", lambda: at(6))
    client = personas["kelurahan_a"].client
    url = reverse("api:voting-tps-report", args=[world.tps_a.pk])
    assert client.post(url, {"state": "siap"}, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 201
    write = submit_once._write

    def meanwhile(*args):  # the other report commits just before this one's statement
        TpsDay.objects.filter(tps=world.tps_a).update(linmas_present=3, version=2)
        return write(*args)

    monkeypatch.setattr(submit_once, "_write", meanwhile)
    key = uuid.uuid4()
    answer = client.post(url, {"kpps_present": 7}, content_type="application/json",
                         HTTP_IDEMPOTENCY_KEY=str(key))
    assert answer.status_code == 201, answer.content
    assert (answer.json()["kpps_present"], answer.json()["linmas_present"],
            answer.json()["version"]) == (7, 3, 3)
    day = TpsDay.objects.get(tps=world.tps_a)
    assert (day.kpps_present, day.linmas_present, day.version) == (7, 3, 3)
    assert StatusEvent.objects.filter(day=day).count() == 2
    assert IdempotencyKey.objects.filter(key=key).count() == 1
    monkeypatch.setattr(submit_once, "_write", write)
    again = client.post(url, {"kpps_present": 7}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=str(key))
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == answer.json() and StatusEvent.objects.filter(day=day).count() == 2


def test_a_problem_report_takes_the_general_path_and_opens_its_incident(world, personas,
                                                                        walikota, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(9))
    client = personas["kelurahan_a"].client
    url = reverse("api:voting-tps-report", args=[world.tps_a.pk])
    for body in ({"state": "siap"}, {"state": "dibuka"},
                 {"problem": "listrik", "note": "Listrik padam"}):
        answer = client.post(url, body, content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert answer.status_code == 201, answer.content
    day = TpsDay.objects.get(tps=world.tps_a)
    assert (day.state, day.open_problems, day.version) == ("dibuka", 1, 3)
    event = StatusEvent.objects.get(day=day, problem="listrik")
    assert event.incident_url  # the incident report it opened, linked back
