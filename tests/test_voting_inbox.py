"""The C.Hasil inbox (``POSKO_FANOUT=job``, production's default): the field API answers
202 after one statement that stores the Idempotency-Key's answer and the row; a job turns
each row into a checked, counted C.Hasil version. What the phone's user would notice: the
answer, that nothing is lost or doubled (replays, twins), every refusal's message with
nothing saved, another region's 404, and a row refused later keeping its reason."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posko.core import schedule
from posko.core.models import AuditEntry, IdempotencyKey, Job
from posko.voting import rollup
from posko.voting.models import Reconciliation, ResultSubmission, TpsResult
from posko.voting.services import inbox
from tests.voting_fixtures import (
    GOOD,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
    post_result,
    result_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queued(settings, monkeypatch):
    settings.POSKO_FANOUT = "job"
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    monkeypatch.setattr(inbox, "GRACE_SECONDS", 0)
    monkeypatch.setattr(inbox, "_last_trigger", [float("-inf")])


@pytest.fixture
def walikota(world):
    return make_contests(world, "walikota")[0]




def test_a_c_hasil_is_answered_202_with_its_row_and_key_in_one_statement(world, personas,
                                                                         walikota):
    client = personas["kelurahan_a"].client
    with CaptureQueriesContext(connection) as captured:
        answer = post_result(client, world.tps_a, result_body(walikota))
    assert answer.status_code == 202, answer.content
    data = answer.json()
    assert (data["status"], data["tps"], data["contest"], data["source"]) == (
        "diterima", world.tps_a.pk, walikota.pk, "pemda")
    assert data["detail"].startswith("Diterima. C.Hasil diperiksa dan dihitung")
    assert not TpsResult.objects.exists()  # not yet: the job does it
    row = ResultSubmission.objects.get()
    assert (row.values["valid"], row.votes, row.entered_by, row.processed_at) == (
        300, {"1": 120, "2": 100, "3": 80}, personas["kelurahan_a"].user, None)
    assert (row.kelurahan_id, row.received_at) == (world.kel_a.code, at(14))
    assert IdempotencyKey.objects.get().status_code == 202
    writes = [q["sql"] for q in captured.captured_queries
              if "core_idempotencykey" in q["sql"] or "voting_resultsubmission\" (" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(writes) == 1  # the key's claim, its answer and the row: one statement
        assert 'INSERT INTO "voting_resultsubmission"' in writes[0]


def test_the_job_turns_the_row_into_a_checked_counted_entry(world, personas, walikota):
    client = personas["kelurahan_a"].client
    post_result(client, world.tps_a, result_body(walikota, votes=(817, 100, 80)))  # a misread: 17 → 817
    assert inbox.process_pending() == (1, 0)
    result = TpsResult.objects.get()
    assert (result.status, result.version, result.is_counted, result.entered_at) == (
        "perlu_verifikasi", 1, True, at(14))
    assert result.checks[0]["code"] == "pairs_valid"  # named in the language of the job
    assert result.entered_by == personas["kelurahan_a"].user
    row = ResultSubmission.objects.get()
    assert (row.result, row.refusals, row.processed_at is not None) == (result, [], True)
    assert AuditEntry.objects.filter(object_id=str(result.pk), action="create",
                                     user=personas["kelurahan_a"].user).exists()
    assert Reconciliation.objects.get().counted_id == result.pk
    assert rollup.check(world.election) == []
    assert inbox.process_pending() == (0, 0)  # nothing twice


def test_a_replay_gets_the_first_answer_even_once_processed_and_another_body_a_422(
        world, personas, walikota):
    client = personas["kelurahan_a"].client
    key = uuid.uuid4()
    first = post_result(client, world.tps_a, result_body(walikota), key)
    again = post_result(client, world.tps_a, result_body(walikota), key)
    assert (again.status_code, again["Idempotent-Replayed"]) == (202, "true")
    assert again.json() == first.json()
    inbox.process_pending()
    # Sent again now, it would be a correction without a reason: still the first answer.
    later = post_result(client, world.tps_a, result_body(walikota), key)
    assert (later.status_code, later.json()) == (202, first.json())
    other = post_result(client, world.tps_a, result_body(walikota, votes=(121, 99, 80)), key)
    assert other.status_code == 422
    assert other.json()["detail"].startswith("Idempotency-Key ini sudah dipakai untuk kiriman lain.")
    assert (ResultSubmission.objects.count(), TpsResult.objects.count()) == (1, 1)


def test_a_correction_sent_before_the_first_is_processed_needs_its_reason(world, personas,
                                                                           walikota):
    client = personas["kelurahan_a"].client
    post_result(client, world.tps_a, result_body(walikota))
    key = uuid.uuid4()
    refused = post_result(client, world.tps_a, result_body(walikota, votes=(130, 90, 80)), key)
    assert refused.status_code == 400
    assert refused.json()["reason"] == [  # the API answers in the user's Indonesian
        "Tulis alasan koreksi: hasil ini menggantikan versi 1 yang diisi oleh Kelurahan A."]
    assert ResultSubmission.objects.count() == 1
    assert not IdempotencyKey.objects.filter(key=key).exists()  # a retry with a reason runs
    fixed = post_result(client, world.tps_a, result_body(walikota, votes=(130, 90, 80), reason="Salah baca."),
                 key)
    assert fixed.status_code == 202
    assert inbox.process_pending() == (2, 0)
    versions = list(TpsResult.objects.order_by("version").values_list(
        "version", "is_current", "reason"))
    assert versions == [(1, False, ""), (2, True, "Salah baca.")]


def test_bad_input_another_region_and_no_key_are_refused_with_nothing_saved(
        world, personas, walikota):
    client = personas["kelurahan_a"].client
    cases = [
        (result_body(walikota, votes=(120, 100)), "votes",
         "Suara paslon 3 (3. Calon 3 – Wakil 3) belum diisi."),
        ({**result_body(walikota), "valid": "tiga ratus"}, "valid", "Isi dengan bilangan bulat."),
        ({**result_body(walikota), "invalid": -1}, "invalid", "Nilai ini paling kecil 0."),
    ]
    for payload, field, message in cases:
        answer = post_result(client, world.tps_a, payload)
        assert answer.status_code == 400, answer.content
        assert message in str(answer.json()[field])
    assert post_result(client, world.tps_b, result_body(walikota)).status_code == 404
    no_key = client.post(reverse("api:voting-tps-results", args=[world.tps_a.pk]),
                         result_body(walikota), content_type="application/json")
    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["detail"]
    assert not ResultSubmission.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_row_that_can_no_longer_be_accepted_keeps_its_reason(world, users, walikota):
    # Written straight into the inbox (as a row left from before a pair was added would be).
    ResultSubmission.for_tps(world.tps_a, contest=walikota, source="pemda",
                             values={**GOOD}, votes={"1": 120, "2": 100},
                             entered_by=users["kelurahan_a"], received_at=at(14)).save()
    assert inbox.process_pending() == (1, 1)
    row = ResultSubmission.objects.get()
    assert row.result is None and row.processed_at is not None
    assert row.refusals == [["votes", "The votes of pair 3 (3. Calon 3 – Wakil 3) are missing."]]
    assert not TpsResult.objects.exists()


def test_the_job_is_queued_once_after_a_burst_and_processes_every_row(
        world, personas, walikota, django_capture_on_commit_callbacks):
    client = personas["kelurahan_a"].client
    with django_capture_on_commit_callbacks(execute=True):
        assert post_result(client, world.tps_a, result_body(walikota)).status_code == 202
        assert post_result(client, world.tps_a, result_body(walikota, source="saksi")).status_code == 202
    job = Job.objects.get(kind=inbox.JOB)  # the second was within the debounce: not queued
    assert job.status == Job.Status.DONE, job.error
    assert job.message == "2 kiriman C.Hasil diproses, 0 ditolak."
    assert not ResultSubmission.objects.filter(processed_at__isnull=True).exists()
    assert sorted(TpsResult.objects.values_list("source", flat=True)) == ["pemda", "saksi"]


def test_the_minute_sweep_queues_a_job_only_when_rows_wait(world, users, walikota):
    def swept():
        Job.objects.filter(kind=inbox.JOB).delete()
        schedule.Schedule.objects.filter(key=inbox.JOB).delete()
        schedule.run_due("test-worker", now=at(15))
        return Job.objects.filter(kind=inbox.JOB).exists()

    assert swept() is False
    ResultSubmission.for_tps(world.tps_a, contest=walikota, source="pemda", values={**GOOD},
                             votes={"1": 120, "2": 100, "3": 80},
                             entered_by=users["kelurahan_a"], received_at=at(14)).save()
    assert swept() is True


def test_the_tps_page_and_api_show_what_waits_and_what_was_refused(world, personas, users,
                                                                   walikota):
    client = personas["kelurahan_a"].client
    post_result(client, world.tps_a, result_body(walikota))
    page = client.get(reverse("voting:tps", args=[world.tps_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="result-inbox"') == 1
    assert "Diterima, sedang diperiksa" in html
    api = client.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).json()
    assert [(r["source"], r["processed_at"], r["refusals"]) for r in api["inbox"]] == [
        ("pemda", None, [])]
    inbox.process_pending()
    ResultSubmission.for_tps(world.tps_a, contest=walikota, source="saksi", values={**GOOD},
                             votes={"1": 120}, entered_by=users["kelurahan_a"],
                             received_at=at(14)).save()
    inbox.process_pending()
    html = client.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert html.count('data-testid="result-inbox"') == 1  # the processed one is a result now
    assert "Ditolak saat diproses" in html and "Suara paslon 2" in html
    api = client.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).json()
    assert [r["source"] for r in api["inbox"]] == ["saksi"] and api["inbox"][0]["refusals"]
    # Another kelurahan's user sees neither.
    other = personas["kelurahan_b"].client
    assert other.get(reverse("voting:tps", args=[world.tps_a.pk])).status_code == 404
    assert other.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).status_code == 404


def test_the_job_costs_a_fixed_number_of_statements_per_row(world, personas, walikota):
    """PostgreSQL: a savepoint, the entry retired, the new version, the current entries,
    then the reconciliation, the counters and the audit entry as one statement, release
    (and a read the first time a TPS's row needs it)."""
    client = personas["kelurahan_a"].client

    def statements(rows: int) -> int:
        for n in range(rows):
            post_result(client, world.tps_a, result_body(walikota, votes=(120 + n, 100, 80 - n),
                                           reason=f"Koreksi {n}"))
        with CaptureQueriesContext(connection) as captured:
            assert inbox.process_pending() == (rows, 0)
        return len(captured.captured_queries)

    statements(1)  # warm: per-process constants
    per_row = (statements(3) - statements(1)) / 2
    if connection.vendor == "postgresql":
        assert per_row <= 7  # 10 before the writes went together; the batch's own are fixed
    assert TpsResult.objects.filter(is_current=True).get().version == 5
    assert rollup.check(world.election) == []


def test_an_acknowledged_row_is_processed_even_if_its_sender_is_closed_a_moment_later(
        world, personas, walikota):
    """The right to report was checked when the 202 was sent (as the rehearsal retires its
    devices right after the last answer): the entry is not lost."""
    lurah = personas["kelurahan_a"]
    assert post_result(lurah.client, world.tps_a, result_body(walikota)).status_code == 202
    lurah.user.is_active = False
    lurah.user.save()
    assert inbox.process_pending() == (1, 0)
    assert TpsResult.objects.get().entered_by == lurah.user
