"""The BPJS enrolment list (full NIK) and the worker list with personal data as background
jobs: a small list downloads at once as before; one of POSKO_EXPORT_BACKGROUND_ROWS rows or more
is written by a job that keeps the reason and the purpose (its audit row names them and the
job), for the requester only, never cached. (Jobs run immediately in tests.)"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from posko.accounts.models import Role, User
from posko.core.models import AuditEntry, Job
from tests.conftest import client_for, content_of, table
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

REASON = "Surat BPJS TK Malang 12/2024 pendaftaran KPPS"


@pytest.fixture
def workers(world, users):
    return [make_worker(users["admin"], world.tps_a, name="Siti Aminah"),
            make_worker(users["admin"], world.tps_a, name="Budi Santoso"),
            make_worker(users["admin"], world.tps_b, name="Agus Salim")]


def sheet_rows(response) -> list[list]:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.active.title == "BPJS"
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_bpjs_list_is_the_same_file_at_once_or_from_a_job_with_its_reason(
        world, users, workers, settings, django_capture_on_commit_callbacks):
    admin = client_for(users["admin"])
    url = reverse("workers:bpjs_export") + f"?kelurahan={world.kel_a.code}"
    small = admin.post(url, {"reason": REASON})
    assert small.status_code == 200 and small["Cache-Control"] == "no-store"
    assert f'filename="daftar-bpjs-{world.kel_a.code}.xlsx"' in small["Content-Disposition"]
    at_once = sheet_rows(small)
    assert sorted(row[0] for row in at_once[1:]) == sorted(w.nik for w in workers[:2])
    assert not Job.objects.exists()

    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    assert admin.post(url, {"reason": ""}).status_code == 400  # still no reason, no job
    assert not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"reason": REASON})
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.file_name) == ("done", f"daftar-bpjs-{world.kel_a.code}.xlsx"), \
        job.error
    assert workers[0].nik not in job.label
    download = admin.get(f"/pekerjaan/{job.pk}/unduh/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    assert sheet_rows(download) == at_once

    other_admin = User.objects.create_user(username="admin2", password="x-rahasia-123",
                                           role=Role.ADMIN)
    for other in (users["kelurahan_b"], users["kecamatan_a"], other_admin):
        assert client_for(other).get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404

    small_entry, job_entry = AuditEntry.objects.filter(action="export").order_by("pk")
    expected = {"rows": 2, "purpose": "Pendaftaran BPJS Ketenagakerjaan", "reason": REASON,
                "data": ["NIK"], "format": "xlsx", "filter": world.kel_a.code}
    assert (small_entry.object_repr, small_entry.after) == ("daftar BPJS", expected)
    assert (job_entry.object_repr, job_entry.after) == ("daftar BPJS", {**expected, "job": job.pk})
    assert job_entry.username == "admin"


def test_a_bpjs_job_whose_requester_lost_the_right_writes_no_file(
        world, users, workers, settings, django_capture_on_commit_callbacks):
    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    editor = users["kecamatan_a"]
    editor.personal_data_access = True
    editor.save()
    client = client_for(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("workers:bpjs_export"), {"reason": REASON})
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and job.status == "queued"
    editor.personal_data_access = False  # before the worker gets to the job
    editor.save()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == "failed" and not job.file_path
    with translation.override(job.language):
        assert job.error == gettext("This export is no longer allowed for the account that "
                                    "asked for it.")
    assert not AuditEntry.objects.filter(action="export").exists()
    assert client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404


# --- the worker list with personal data (workers:worker_export) ------------------------------

PERSONAL_REASON = "Data honor KPPS untuk BPKAD, surat 900/123/2024"


def test_the_personal_export_is_the_same_file_at_once_or_from_a_job_with_its_reason(
        world, users, workers, settings, django_capture_on_commit_callbacks):
    admin = client_for(users["admin"])
    url = reverse("workers:worker_export") + f"?kelurahan={world.kel_a.code}"
    form = {"personal": "on", "purpose": "honorarium", "reason": PERSONAL_REASON,
            "format": "csv"}
    small = admin.post(url, form)
    assert small.status_code == 200 and small["Cache-Control"] == "no-store"
    assert 'filename="petugas-ad-hoc-data-pribadi.csv"' in small["Content-Disposition"]
    at_once = table(content_of(small), "csv")
    assert at_once[0][0] == "NIK"
    assert sorted(row[0] for row in at_once[1:]) == sorted(w.nik for w in workers[:2])
    assert not Job.objects.exists()

    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, form)
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert response["Cache-Control"] == "no-store"
    assert (job.status, job.file_name) == ("done", "petugas-ad-hoc-data-pribadi.csv"), job.error
    assert workers[0].nik not in job.label
    download = admin.get(f"/pekerjaan/{job.pk}/unduh/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    assert table(content_of(download), "csv") == at_once

    other_admin = User.objects.create_user(username="admin2", password="x-rahasia-123",
                                           role=Role.ADMIN)
    for other in (users["kelurahan_b"], users["kecamatan_a"], other_admin):
        assert client_for(other).get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404

    small_entry, job_entry = AuditEntry.objects.filter(action="export").order_by("pk")
    expected = {"rows": 2, "purpose": "Pembayaran honorarium", "reason": PERSONAL_REASON,
                "data": ["NIK", "telepon"], "format": "csv",
                "filter": f"kelurahan={world.kel_a.code}"}
    assert (small_entry.object_repr, small_entry.after) == ("petugas-ad-hoc-data-pribadi",
                                                            expected)
    assert (job_entry.object_repr, job_entry.after) == ("petugas-ad-hoc-data-pribadi",
                                                        {**expected, "job": job.pk})
    assert job_entry.username == "admin" and PERSONAL_REASON in job_entry.message


def test_the_personal_export_without_a_reason_creates_no_job(users, workers, settings):
    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    response = client_for(users["admin"]).post(reverse("workers:worker_export"), {
        "personal": "on", "purpose": "honorarium", "reason": "", "format": "xlsx"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    with translation.override("id"):
        message = gettext("Give the reason for exporting personal data.")
    assert message in response.content.decode()
    assert workers[0].nik not in response.content.decode()
    assert not Job.objects.exists() and not AuditEntry.objects.filter(action="export").exists()


def test_a_personal_export_job_whose_requester_lost_the_right_writes_no_file(
        world, users, workers, settings, django_capture_on_commit_callbacks):
    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    editor = users["kecamatan_a"]
    editor.personal_data_access = True
    editor.save()
    client = client_for(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("workers:worker_export"), {
            "personal": "on", "purpose": "verifikasi_kpu", "reason": PERSONAL_REASON,
            "format": "xlsx"})
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and job.status == "queued"
    editor.personal_data_access = False  # before the worker gets to the job
    editor.save()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == "failed" and not job.file_path
    with translation.override(job.language):
        assert job.error == gettext("This export is no longer allowed for the account that "
                                    "asked for it.")
    assert not AuditEntry.objects.filter(action="export").exists()
    assert client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
