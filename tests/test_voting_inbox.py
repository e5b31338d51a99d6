"""The C.Hasil inbox (``POSKO_FANOUT=job``, production's default): the field API answers
202 after one statement that stores the Idempotency-Key's answer and the row; a job turns
each row into a checked, counted C.Hasil version. What the phone's user would notice: the
answer, that nothing is lost or doubled (replays, twins), every refusal's message with
nothing saved, another region's 404, and a row refused later keeping its reason."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posko.core import jobs, schedule
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


def test_the_job_costs_a_fixed_number_of_statements_per_batch(world, personas, walikota):
    """PostgreSQL: a batch is stored with the same statements whatever its size (lock the
    reconciliations and entries, retire, insert the versions, insert the audit entries, the
    counters and reconciliations together, mark the rows); elsewhere a savepoint per row."""
    client = personas["kecamatan_a"].client  # both kelurahan's TPS
    captured_last = []

    def statements(rows: int) -> int:
        for n in range(rows):
            post_result(client, world.tps_a, result_body(walikota, votes=(120 + n, 100, 80 - n),
                                           reason=f"Koreksi {n}"))
            post_result(client, world.tps_a2, result_body(walikota, votes=(120 + n, 100, 80 - n),
                                            reason=f"Koreksi {n}"))
        with CaptureQueriesContext(connection) as captured:
            assert inbox.process_pending() == (2 * rows, 0)
        captured_last[:] = captured.captured_queries
        return len(captured.captured_queries)

    statements(1)  # warm: per-process constants
    few, many = statements(1), statements(4)
    if connection.vendor == "postgresql":
        # The savepoints of the job's transaction (here: inside the test's) and of its batch,
        # read the rows, lock, retire, insert, audit, together, mark: 12 for 2 rows or 8.
        assert few == many <= 12, (few, many, "\n".join(q["sql"][:60] for q in captured_last))
    else:
        assert many > few
    assert TpsResult.objects.filter(tps=world.tps_a, is_current=True).get().version == 6
    assert rollup.check(world.election) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="batches are PostgreSQL's")
def test_a_batch_leaves_what_row_by_row_leaves(world, users, walikota, monkeypatch):
    """Firsts, corrections of an entry stored and of one earlier in the same batch, a
    witness, a verifier's count a witness's new version keeps, refusals (a missing pair, a
    second first version without a reason), a sum that fails its check: the batch stores
    exactly what submit_result row by row stores — versions, counts, statuses, checks,
    reconciliations, running tallies and the audit log."""
    from django.db import transaction

    from posko.voting.services import verify

    lurah = users["kecamatan_a"]
    pemda_a = inbox.submit_result(world.tps_a, walikota, actor=lurah, election=world.election,
                                  values={**GOOD}, votes={1: 120, 2: 100, 3: 80}, now=at(13, 30))
    saksi_a = inbox.submit_result(world.tps_a, walikota, actor=lurah, election=world.election,
                                  values={**GOOD}, votes={1: 121, 2: 99, 3: 80}, source="saksi",
                                  now=at(13, 40))
    verify.choose(world.tps_a, walikota, saksi_a.pk, actor=lurah, reason="Foto saksi jelas",
                  now=at(13, 50))
    assert pemda_a.pk

    def row(tps, source="pemda", votes=(120, 100, 80), reason="", minute=0, **values):
        ResultSubmission.for_tps(
            tps, contest=walikota, source=source, values={**GOOD, **values},
            votes={str(n): v for n, v in enumerate(votes, 1) if v is not None},
            reason=reason, entered_by=lurah, received_at=at(14, minute)).save()

    row(world.tps_a, "saksi", (122, 98, 80), "Saksi mengirim ulang", 1)  # keeps the count
    row(world.tps_a, votes=(119, 101, 80), reason="Salah baca", minute=2)
    row(world.tps_a2, minute=3)  # a first entry
    row(world.tps_a2, votes=(125, 95, 80), minute=4)  # a second first: no reason, refused
    row(world.tps_a2, votes=(125, 95, 80), reason="Dibetulkan", minute=5)
    row(world.tps_a2, votes=(126, 94, 80), reason="Dibetulkan lagi", minute=6, valid=299)
    row(world.tps_a2, "saksi", (125, 95, 80), minute=7)
    row(world.tps_a2, votes=(120, 100, None), reason="Tanpa paslon 3", minute=8)

    versions = dict(Reconciliation.objects.values_list("tps_id", "version"))

    def state():
        results = sorted(
            (r.tps_id, r.source, r.version, r.is_current, r.is_counted, r.status, r.checks,
             r.flags, r.votes, r.reason, r.valid) for r in TpsResult.objects.all())
        # Not the version: a batch moves it once for all its rows (a verifier looking at the
        # numbers before the batch is refused either way).
        recs = sorted((r.tps_id, r.agreement, r.status, r.differences, r.version > versions.get(
            r.tps_id, 0), (r.counted.source, r.counted.version) if r.counted else None)
            for r in Reconciliation.objects.select_related("counted"))
        audits = [(e.action, e.object_repr, e.message, _plain(e.before), _plain(e.after))
                  for e in AuditEntry.objects.filter(timestamp__gte=at(13, 55)).order_by("id")]
        rows = [(r.refusals, r.result.version if r.result else None)
                for r in ResultSubmission.objects.order_by("id")]
        counters = sorted((c.kelurahan_id, c.reported, c.voters, c.valid, c.votes)
                          for c in rollup.TallyCounter.objects.all())
        return results, recs, audits, rows, counters

    class Undo(Exception):
        pass

    def processed(as_batch: bool):
        with monkeypatch.context() as patched:
            if not as_batch:
                patched.setattr(inbox, "_as_batch", lambda rows: False)
            try:
                with transaction.atomic():
                    with CaptureQueriesContext(connection) as captured:
                        assert inbox.process_pending() == (8, 2)
                    found = state()
                    raise Undo
            except Undo:
                pass
        return found, [q["sql"] for q in captured.captured_queries]

    (batch, batch_queries), (one_by_one, row_queries) = processed(True), processed(False)
    for part, by_batch, by_row in zip(("results", "reconciliations", "audit", "inbox",
                                       "counters"), batch, one_by_one, strict=True):
        assert by_batch == by_row, part
    # The batch's own statements (the test's open writes make the per-process constants
    # read again per row here; the per-batch count is held in the test above).
    assert sum(q.startswith("SAVEPOINT") for q in batch_queries) == 2
    assert sum(q.startswith("SAVEPOINT") for q in row_queries) == 1 + 8  # one per row
    results, _recs, _audits, rows, _counters = batch
    assert [refusals[0][0] if refusals else version for refusals, version in rows] == [
        2, 2, 1, "reason", 2, 3, 1, "votes"]
    assert rollup.check(world.election) == []


def _plain(snapshot):
    """An audit snapshot without what differs between two runs (ids, times)."""
    return None if snapshot is None else {key: value for key, value in snapshot.items()
                                          if key not in ("id", "entered_at", "updated_at")}


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="batches are PostgreSQL's")
def test_a_batch_that_fails_in_the_database_is_undone_and_stored_row_by_row(
        world, personas, walikota, monkeypatch, caplog):
    """A deadlock with another worker half-way through a batch: what the batch wrote is
    rolled back and every row is stored once, row by row."""
    from django.db import OperationalError

    from posko.voting.services import batch

    client = personas["kecamatan_a"].client
    for tps in (world.tps_a, world.tps_a2):
        assert post_result(client, tps, result_body(walikota)).status_code == 202
    assert post_result(client, world.tps_a, result_body(walikota, votes=(121, 99, 80),
                                                         reason="Koreksi")).status_code == 202
    written = batch.bulk.create

    def then_deadlock(objs):
        written(objs)
        if isinstance(objs[0], TpsResult):  # the new versions are in, their audit not yet
            raise OperationalError("deadlock detected")

    monkeypatch.setattr(batch.bulk, "create", then_deadlock)
    assert inbox.process_pending() == (3, 0)
    assert "going row by row" in caplog.text
    assert sorted(TpsResult.objects.values_list("tps_id", "version", "is_current")) == sorted(
        [(world.tps_a.pk, 1, False), (world.tps_a.pk, 2, True), (world.tps_a2.pk, 1, True)])
    assert AuditEntry.objects.filter(content_type__model="tpsresult").count() == 3
    assert all(row.result_id for row in ResultSubmission.objects.all())
    assert rollup.check(world.election) == []


def test_processed_rows_are_purged_after_30_days_refused_rows_kept(
        world, personas, users, walikota, django_capture_on_commit_callbacks):
    client = personas["kelurahan_a"].client
    assert post_result(client, world.tps_a, result_body(walikota)).status_code == 202
    ResultSubmission.for_tps(world.tps_a, contest=walikota, source="saksi", values={**GOOD},
                             votes={"1": 120}, entered_by=users["kelurahan_a"],
                             received_at=at(14)).save()
    assert post_result(client, world.tps_a, result_body(
        walikota, source="saksi", reason="Foto ulang")).status_code == 202  # waits: kept
    assert inbox.process_pending(limit=2) == (2, 1)
    processed_at = ResultSubmission.objects.filter(processed_at__isnull=False).first().processed_at
    assert inbox.purge(now=processed_at + timedelta(days=29)) == 0
    assert inbox.purge(now=processed_at + timedelta(days=31)) == 1
    left = ResultSubmission.objects.order_by("id")
    assert [(row.source, bool(row.refusals), row.processed_at is None) for row in left] == [
        ("saksi", True, False), ("saksi", False, True)]
    assert TpsResult.objects.count() == 1  # the version stays
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue(inbox.PURGE_JOB, label="purge")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message.endswith("dihapus dari kotak masuk.")


def test_an_empty_inbox_costs_one_read_and_no_warning(caplog):
    """The job looks again after its last row: nothing to do, nothing logged."""
    with CaptureQueriesContext(connection) as captured:
        assert inbox.process_pending() == (0, 0)
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and "rolled back" not in caplog.text
