"""The drill-down roll-ups' exports (``elections.drilldown.DrillDownView``: logistics
readiness and requirements, workers' staffing, BPJS coverage and screening): a small one
downloads at once; one of POSKO_EXPORT_BACKGROUND_ROWS rows or more is written by a
background job with the same rows, for the requester only. (Jobs run immediately in tests.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry, Job
from tests.conftest import client_for, content_of, table
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

# url name -> export_name (the file is <export_name>-<place code>.<kind>)
DRILLDOWNS = {
    "logistics:readiness": "kesiapan-logistik",
    "logistics:requirement_summary": "kebutuhan-logistik",
    "workers:staffing": "kebutuhan-petugas",
    "workers:coverage": "cakupan-bpjs",
    "workers:screening_followup": "skrining-petugas",
}


@pytest.fixture
def staffed(world, users):
    make_worker(users["admin"], world.tps_a, name="Siti Aminah")
    make_worker(users["admin"], world.tps_a2, name="Budi Santoso")
    make_worker(users["admin"], world.tps_b, name="Agus Salim")
    return world


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("url_name", sorted(DRILLDOWNS))
def test_a_drilldown_export_is_the_same_file_at_once_or_from_a_job(
        staffed, users, settings, django_capture_on_commit_callbacks, url_name, kind):
    world = staffed
    camat = client_for(users["kecamatan_a"])  # starts at their kecamatan: rows are its kelurahan
    url = reverse(url_name)
    name = f"{DRILLDOWNS[url_name]}-{world.kec_a.code}.{kind}"

    small = camat.get(url, {"export": kind})
    assert small.status_code == 200 and name in small["Content-Disposition"]
    at_once = table(content_of(small), kind)
    assert [row[:2] for row in at_once[1:]] == [[world.kel_a.code, "Klojen"],
                                                [world.kel_a2.code, "Rampal Celaket"]]
    assert not Job.objects.exists()

    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = camat.get(url, {"export": kind})
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.requested_by, job.file_name) == ("done", users["kecamatan_a"], name), \
        job.error
    download = camat.get(f"/pekerjaan/{job.pk}/unduh/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    assert table(content_of(download), kind) == at_once
    for other in ("kelurahan_b", "admin"):  # the file is the requester's only
        assert client_for(users[other]).get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
    audit = AuditEntry.objects.filter(action="export").order_by("pk")
    assert [e.object_repr for e in audit] == [name.rsplit(".", 1)[0]] * 2
    assert audit.last().message.endswith(f" {job.pk})")  # "(background job N)", translated


def test_a_background_drilldown_export_keeps_the_place_in_the_query(
        staffed, users, settings, django_capture_on_commit_callbacks):
    world = staffed
    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    admin = client_for(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.get(reverse("workers:staffing"), {"kelurahan": world.kel_b.code, "export": "csv"})
    job = Job.objects.get(kind="core.export")
    assert (job.status, job.file_name) == ("done", f"kebutuhan-petugas-{world.kel_b.code}.csv")
    rows = table(content_of(admin.get(f"/pekerjaan/{job.pk}/unduh/")), "csv")
    assert [row[0] for row in rows[1:]] == ["TPS 001"]  # Jodipan's one TPS
    assert client_for(users["kelurahan_b"]).get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
    # outside the requester's region: still a 404 page, no job
    response = client_for(users["kelurahan_a"]).get(
        reverse("workers:staffing"), {"kelurahan": world.kel_b.code, "export": "csv"})
    assert response.status_code == 404 and Job.objects.count() == 1
