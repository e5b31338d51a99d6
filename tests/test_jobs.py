"""Background jobs (core/jobs.py, core/schedule.py): enqueue on commit, run once, progress,
result files for the requester only and until they expire, failures with the user's
message, retries, the admin's retry button, periodic work claimed once, orphaned jobs,
and the beranda warning when no worker runs. Jobs run immediately here (POSKO_JOBS)."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from posko.core import jobs, schedule
from posko.core.models import Job, Schedule, WorkerBeat
from tests.conftest import client_for

CALLS = []


def export_job(ctx, rows=3):
    ctx.progress("menulis", done=0, total=rows, force=True)
    ctx.save_file("laporan.csv", b"a;b\n" * rows, "text/csv")
    ctx.progress("menulis", done=rows, total=rows, force=True)
    CALLS.append(rows)
    return f"{rows} baris."


def failing_job(ctx, kind="user"):
    if kind == "user":
        raise jobs.JobError("Berkas tidak bisa dibaca.")
    raise RuntimeError("boom")


def flaky_job(ctx, fail_times=1):
    if ctx.job.attempts <= fail_times:
        raise jobs.RetryLater("Server surel tidak menjawab.")
    return "terkirim"


@pytest.fixture(autouse=True)
def registered():
    jobs.register_job("test.export", export_job)
    jobs.register_job("test.fail", failing_job)
    jobs.register_job("test.flaky", flaky_job, retries=2, backoff=1)
    CALLS.clear()
    yield
    for key in ("test.export", "test.fail", "test.flaky"):
        jobs._specs.pop(key, None)


def run(django_capture_on_commit_callbacks, key, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue(key, **kwargs)
    job.refresh_from_db()
    return job


def test_nothing_runs_before_the_transaction_commits(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.enqueue("test.export", label="Ekspor", user=users["admin"], params={"rows": 2})
    assert Job.objects.get(pk=job.pk).status == "queued" and CALLS == [] and len(callbacks) == 1


def test_a_job_runs_once_with_its_ids_and_keeps_its_file(users, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, "test.export", label="Ekspor TPS",
              user=users["kelurahan_a"], params={"rows": 4})
    assert (job.status, job.message, job.done_count, job.total_count) == ("done", "4 baris.", 4, 4)
    assert job.attempts == 1 and job.expires_at > timezone.now()
    assert jobs.run_job.call(job.pk) == "skipped" and CALLS == [4]  # delivered twice: run once

    owner = client_for(users["kelurahan_a"])
    page = owner.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert 'data-status="done"' in page and "4 baris." in page and 'data-testid="job-download"' in page
    download = owner.get(f"/pekerjaan/{job.pk}/unduh/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"a;b\n" * 4
    assert 'filename="laporan.csv"' in download["Content-Disposition"]


@pytest.mark.parametrize("persona", ["admin", "kelurahan_b", "kecamatan_a", "pemantau"])
def test_only_the_requester_downloads(users, django_capture_on_commit_callbacks, persona):
    job = run(django_capture_on_commit_callbacks, "test.export", label="Ekspor",
              user=users["kelurahan_a"])
    client = client_for(users[persona])
    assert client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
    # Admins see every job's page (not its file); other users only their own jobs.
    assert client.get(f"/pekerjaan/{job.pk}/").status_code == (200 if persona == "admin" else 404)


def test_an_expired_file_is_gone(users, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, "test.export", label="Ekspor", user=users["admin"])
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client = client_for(users["admin"])
    assert client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 410
    assert jobs.purge_expired_files() == 1
    job.refresh_from_db()
    assert job.file_path == "" and client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404


def test_old_finished_jobs_are_deleted_but_not_recent_ones_or_those_with_a_file(
        users, django_capture_on_commit_callbacks, settings):
    settings.POSKO_JOB_KEEP_DAYS = 7
    old = run(django_capture_on_commit_callbacks, "test.fail", label="Impor", user=users["admin"])
    recent = run(django_capture_on_commit_callbacks, "test.fail", label="Impor", user=users["admin"])
    with_file = run(django_capture_on_commit_callbacks, "test.export", label="Ekspor", user=users["admin"])
    queued = Job.objects.create(kind="test.fail", label="Antre")
    eight_days = timezone.now() - datetime.timedelta(days=8)
    Job.objects.filter(pk__in=[old.pk, with_file.pk, queued.pk]).update(finished_at=eight_days)
    assert jobs.purge_old_jobs() == 1
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, with_file.pk, queued.pk}


def test_failures_keep_the_users_message_or_say_where_the_error_is(users, django_capture_on_commit_callbacks):
    user_error = run(django_capture_on_commit_callbacks, "test.fail", label="Impor", user=users["admin"])
    assert (user_error.status, user_error.error) == ("failed", "Berkas tidak bisa dibaca.")
    crash = run(django_capture_on_commit_callbacks, "test.fail", label="Impor", user=users["admin"],
                params={"kind": "crash"})
    assert crash.status == "failed" and "boom" not in crash.error
    assert f"(job {crash.pk})" in crash.error or f"(pekerjaan {crash.pk})" in crash.error


def test_passing_failures_are_retried_then_given_up(users, django_capture_on_commit_callbacks):
    ok = run(django_capture_on_commit_callbacks, "test.flaky", label="Surel", params={"fail_times": 1})
    assert (ok.status, ok.attempts, ok.message) == ("done", 2, "terkirim")
    given_up = run(django_capture_on_commit_callbacks, "test.flaky", label="Surel",
                   params={"fail_times": 5})
    assert (given_up.status, given_up.attempts) == ("failed", 3)
    assert given_up.error == "Server surel tidak menjawab."


def test_admin_runs_a_failed_job_again(users, django_capture_on_commit_callbacks):
    job = run(django_capture_on_commit_callbacks, "test.fail", label="Impor", user=users["kelurahan_a"])
    assert client_for(users["kelurahan_a"]).post(f"/pekerjaan/{job.pk}/ulang/").status_code == 403
    jobs.register_job("test.fail", export_job)  # the cause was fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["admin"]).post(f"/pekerjaan/{job.pk}/ulang/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 2, "")


def test_job_list_shows_own_jobs_and_all_to_admins(users, django_capture_on_commit_callbacks):
    mine = run(django_capture_on_commit_callbacks, "test.export", label="Ekspor milik lurah A",
               user=users["kelurahan_a"])
    run(django_capture_on_commit_callbacks, "test.export", label="Ekspor milik lurah B",
        user=users["kelurahan_b"])
    page = client_for(users["kelurahan_a"]).get("/pekerjaan/").content.decode()
    assert "Ekspor milik lurah A" in page and "Ekspor milik lurah B" not in page
    admin = client_for(users["admin"]).get("/pekerjaan/?status=done").content.decode()
    assert "Ekspor milik lurah A" in admin and "Ekspor milik lurah B" in admin
    assert client_for(None).get(f"/pekerjaan/{mine.pk}/").status_code == 302


def test_periodic_work_is_claimed_once_per_period(db, django_capture_on_commit_callbacks):
    schedule.register_periodic("test.every_minute", datetime.timedelta(minutes=1), "test.export", "Tiap menit")
    try:
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            first = schedule.run_due("w1", now)
            second = schedule.run_due("w2", now + datetime.timedelta(seconds=30))
            third = schedule.run_due("w2", now + datetime.timedelta(seconds=61))
        assert "test.every_minute" in first and "test.every_minute" not in second
        assert "test.every_minute" in third
        assert Schedule.objects.get(key="test.every_minute").last_worker == "w2"
        assert Job.objects.filter(label="Tiap menit", status="done").count() == 2
    finally:
        schedule._periodic.pop("test.every_minute", None)


def test_jobs_of_a_vanished_worker_end_as_failed(db):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    gone = Job.objects.create(kind="test.export", label="A", status="running", worker="host:1",
                              started_at=long_ago, language="en")
    alive = Job.objects.create(kind="test.export", label="B", status="running", worker="host:2",
                               started_at=long_ago)
    with translation.override("id"):  # the worker's language does not matter: the job's does
        assert jobs.fail_orphans({"host:2"}, older_than=datetime.timedelta(minutes=2)) == 1
    gone.refresh_from_db()
    alive.refresh_from_db()
    assert gone.status == "failed" and "nothing of it was saved" in gone.error
    assert alive.status == "running"


@override_settings(POSKO_JOBS="database")
def test_beranda_warns_admins_when_no_worker_runs(users):
    admin = client_for(users["admin"])
    assert "Background worker not running" in _english(admin).get("/").content.decode()
    assert "Background worker not running" not in _english(client_for(users["kelurahan_a"])).get("/").content.decode()
    now = timezone.now()
    WorkerBeat.objects.create(worker="host:9", backend="database", started_at=now, last_seen=now)
    assert "Background worker not running" not in _english(admin).get("/").content.decode()


def _english(client):
    client.cookies["django_language"] = "en"
    return client
