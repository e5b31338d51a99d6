"""Large outreach imports (turnout per TPS, historical turnout) run as background jobs like the
TPS import: the page hands the file to a job, the job saves the rows, and on a bad row it
reports the row error on the job page and saves nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from posko.core import jobs
from posko.core.models import Job
from posko.outreach.imports import HistoryImporter, TurnoutImporter
from posko.outreach.models import HistoricalTurnout, TpsTurnout
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TURNOUT = "kode_kelurahan,nomor_tps,pemilih_dpt"
HISTORY = "pemilihan,tahun,kode_kelurahan,nomor_tps,terdaftar,pengguna_hak_pilih"


def upload(name, lines):
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), "text/csv")


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_both_importers_can_be_rebuilt_in_a_worker(world, users):
    turnout = TurnoutImporter(actor=users["admin"], election=world.election)
    assert turnout.job_params() == {"election": world.election.pk}
    rebuilt = TurnoutImporter.from_job(actor=users["admin"], **turnout.job_params())
    assert rebuilt.election == world.election and rebuilt.actor == users["admin"]
    history = HistoryImporter(actor=users["admin"])
    assert history.job_params() == {}
    assert HistoryImporter.from_job(actor=users["admin"]).actor == users["admin"]


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=1)
def test_a_large_turnout_file_is_imported_by_a_job(world, users,
                                                   django_capture_on_commit_callbacks):
    client = english(client_for(users["admin"]))
    rows = ["35.73.02.1001,1,300", "35.73.02.1002,1,250"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("outreach:turnout_import"),
                               {"file": upload("partisipasi.csv", [TURNOUT, *rows])})
    job = Job.objects.get(kind="core.import")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.requested_by) == ("done", users["admin"])
    assert job.message == ("Import of partisipasi.csv finished: 2 created, 0 updated, "
                           "0 unchanged.")
    assert sorted(TpsTurnout.objects.values_list("voted_dpt", flat=True)) == [250, 300]
    assert set(TpsTurnout.objects.values_list("election", flat=True)) == {world.election.pk}
    assert not list((jobs.jobs_dir() / "uploads").glob("*"))
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "2 created" in page and 'data-status="done"' in page


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=1)
def test_a_large_bad_turnout_file_fails_with_the_row_error_and_saves_nothing(
        world, users, django_capture_on_commit_callbacks):
    client = english(client_for(users["admin"]))
    rows = ["35.73.02.1001,1,300", "35.73.02.1001,7,100"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("outreach:turnout_import"),
                    {"file": upload("partisipasi.csv", [TURNOUT, *rows])})
    job = Job.objects.get(kind="core.import")
    assert job.status == "failed" and not TpsTurnout.objects.exists()
    assert job.error == ("Nothing was imported: 1 problems in partisipasi.csv. Fix them and "
                         "upload the file again.")
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert ("Row 3, column nomor_tps: There is no TPS 007 in kelurahan 35.73.02.1001 within "
            "your region.") in page


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=1)
def test_a_large_history_file_is_imported_by_a_job_all_or_nothing(
        world, users, django_capture_on_commit_callbacks):
    client = english(client_for(users["admin"]))
    good = ["Pilkada 2018,2018,35.73.02.1001,,1000,650",
            "Pilkada 2018,2018,35.73.02.1002,1,400,300"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("outreach:history_import"),
                    {"file": upload("riwayat.csv", [HISTORY, *good])})
    job = Job.objects.get(kind="core.import")
    assert job.status == "done" and HistoricalTurnout.objects.count() == 2
    bad = ["Pilkada 2020,2020,35.73.02.1001,,1000,650",
           "Pilkada 2020,2020,35.73.02.1002,,500,600"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("outreach:history_import"),
                    {"file": upload("riwayat.csv", [HISTORY, *bad])})
    failed = Job.objects.exclude(pk=job.pk).get(kind="core.import")
    assert failed.status == "failed" and HistoricalTurnout.objects.count() == 2
    page = client.get(f"/pekerjaan/{failed.pk}/").content.decode()
    assert "Row 3, column pengguna_hak_pilih: More voters (600) than registered (500)." in page
