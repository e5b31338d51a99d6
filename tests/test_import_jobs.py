"""Large imports run as background jobs: the page hands the file to a job and shows its
progress page; the job reports the same row errors, saves all or nothing, and deletes the
upload. (Jobs run immediately in tests; the real worker is tested in test_jobs_worker.py.)"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import load_workbook

from posko.core import jobs
from posko.core.importer import Importer
from posko.core.models import AuditEntry, Job
from posko.elections.models import Tps
from posko.logistics.models import Item, PlannedDistribution
from posko.vulnerability.models import Assessment
from tests.conftest import client_for

HEADER = "kode_kelurahan,nomor_tps,alamat,dpt_laki_laki,dpt_perempuan"


def upload(lines):
    return SimpleUploadedFile("tps-besar.csv", ("\n".join(lines) + "\n").encode(), "text/csv")


def english(client):
    client.cookies["django_language"] = "en"
    return client


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=100)
def test_a_large_file_is_imported_by_a_job_with_the_same_result(world, users,
                                                                django_capture_on_commit_callbacks):
    rows = [f"35.73.02.1001,{n},Jl. Besar {n},200,210" for n in range(10, 40)]
    client = english(client_for(users["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tps/import/", {"file": upload([HEADER, *rows])})
    job = Job.objects.get(kind="core.import")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.requested_by, job.label) == ("done", users["admin"], "Import of tps-besar.csv")
    assert job.message == "Import of tps-besar.csv finished: 30 created, 0 updated, 0 unchanged."
    assert Tps.objects.filter(kelurahan=world.kel_a, number__gte=10).count() == 30
    assert AuditEntry.objects.filter(action="import").count() == 1
    assert not list((jobs.jobs_dir() / "uploads").glob("*"))  # the upload is deleted
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "30 created" in page and 'data-status="done"' in page


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=100)
def test_a_large_bad_file_fails_with_row_errors_and_saves_nothing(world, users,
                                                                 django_capture_on_commit_callbacks):
    rows = [f"35.73.02.1001,{n},Jl. Besar {n},200,210" for n in range(10, 40)]
    rows[3] = "35.73.02.1001,13,Jl. Besar 13,banyak,210"
    rows[7] = "99.99.99.9999,17,Jl. Besar 17,200,210"
    before = Tps.objects.count()
    client = english(client_for(users["admin"]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/tps/import/", {"file": upload([HEADER, *rows])})
    job = Job.objects.get(kind="core.import")
    assert job.status == "failed" and Tps.objects.count() == before
    assert job.error == ("Nothing was imported: 2 problems in tps-besar.csv. Fix them and upload "
                         "the file again.")
    page = client.get(f"/pekerjaan/{job.pk}/").content.decode()
    assert "Row 5, column dpt_laki_laki:" in page and "Row 9, column kode_kelurahan:" in page


def test_small_files_stay_in_the_request(world, users):
    client = client_for(users["admin"])
    response = client.post("/tps/import/", {"file": upload([HEADER, "35.73.02.1001,10,Jl. A,1,1"])})
    assert response.status_code == 302 and response["Location"] == "/tps/"
    assert not Job.objects.exists()


def test_an_importer_with_its_own_arguments_must_say_how_to_rebuild_it():
    class Plain(Importer):
        pass

    class WithElection(Importer):
        def __init__(self, *, actor, election):
            super().__init__(actor=actor)

    assert Plain(actor=None).job_params() == {}
    assert WithElection(actor=None, election=1).job_params() is None


@override_settings(POSKO_EXPORT_BACKGROUND_ROWS=1)
def test_a_large_export_is_prepared_by_a_job_in_the_requesters_scope(world, users,
                                                                     django_capture_on_commit_callbacks):
    for persona in ("admin", "kelurahan_a"):
        client = english(client_for(users[persona]))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get("/tps/?export=csv")
        job = Job.objects.filter(requested_by=users[persona]).latest("pk")
        assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
        assert job.status == "done", job.error
        content = b"".join(client.get(f"/pekerjaan/{job.pk}/unduh/").streaming_content).decode("utf-8-sig")
        lines = content.strip().splitlines()
        rows = {tps.pk for tps in Tps.objects.visible_to(users[persona]).filter(election=world.election)}
        assert len(lines) == 1 + len(rows)  # header + exactly the rows this user sees
        if persona == "admin":
            assert world.kel_b.name in content
    lurah_file = content
    assert world.kel_b.name not in lurah_file and world.kel_a.name in lurah_file
    assert AuditEntry.objects.filter(action="export", message__contains="background job").count() == 2


@override_settings(POSKO_EXPORT_BACKGROUND_ROWS=1)
def test_a_background_export_keeps_the_filter(world, users, django_capture_on_commit_callbacks):
    client = client_for(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/tps/?export=xlsx&kecamatan={world.kec_b.code}")
    job = Job.objects.latest("pk")
    assert (job.status, job.file_name, job.done_count) == ("done", "tps.xlsx", 1)


def _vulnerability_rows(world, bad: bool):
    rows = ["kode_kelurahan,nomor_tps,indikator,nilai,tanggal"]
    rows.append(f"{world.kel_a.code},1,rawan_bencana,1,2024-11-15")
    if bad:
        rows.append(f"{world.kel_a.code},1,banjir_bandang,1,2024-11-15")
    return rows


def _plan_rows(world, bad: bool):
    Item.objects.create(election=world.election, code="tinta", name="Tinta Pemilu",
                        norm=Item.Norm.PER_TPS, quantity=2)
    rows = ["kode_kelurahan,nomor_tps,barang,jumlah,tanggal_rencana",
            f"{world.kel_a.code},1,tinta,2,2024-11-25"]
    if bad:
        rows.append(f"{world.kel_a.code},1,tinta,x,2024-11-25")
    return rows


MODULE_IMPORTS = {
    "vulnerability": ("/kerawanan/impor/", _vulnerability_rows,
                      lambda: Assessment.objects.filter(value__isnull=False).count(),
                      "Row 3, column indikator:"),
    "logistics plan": ("/logistik/rencana/impor/", _plan_rows,
                       lambda: PlannedDistribution.objects.count(), "Row 3, column jumlah:"),
}


@pytest.mark.parametrize("name", sorted(MODULE_IMPORTS))
@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=10)
def test_module_imports_of_one_election_run_as_jobs(world, users, django_capture_on_commit_callbacks, name):
    url, rows_for, saved, error = MODULE_IMPORTS[name]
    client = english(client_for(users["admin"]))
    lines = rows_for(world, bad=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload(lines)})
    failed = Job.objects.get(kind="core.import")
    assert response["Location"] == f"/pekerjaan/{failed.pk}/"
    assert failed.status == "failed" and saved() == 0  # all or nothing
    assert error in client.get(f"/pekerjaan/{failed.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": upload(lines[:-1])})
    done = Job.objects.filter(kind="core.import").latest("pk")
    assert done.status == "done", done.error
    assert done.params["params"] == {"election": world.election.pk} and saved() == 1


@override_settings(POSKO_EXPORT_BACKGROUND_ROWS=1)
def test_a_large_custom_export_is_a_job_in_scope_too(world, users, django_capture_on_commit_callbacks):
    """Views that export a table of their own (TableExportMixin), e.g. the vulnerability matrix."""
    client = client_for(users["kelurahan_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/kerawanan/matriks/")
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.file_name) == ("done", "kerawanan-matriks.xlsx"), (job.error, job.params)
    data = b"".join(client.get(f"/pekerjaan/{job.pk}/unduh/").streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    kelurahan = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert kelurahan == {world.kel_a.code}  # the lurah's TPS only
    assert job.done_count == len(Tps.objects.visible_to(users["kelurahan_a"]).filter(election=world.election))
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_repr == "kerawanan-matriks" and f"(background job {job.pk})" in entry.message \
        or f"(pekerjaan latar belakang {job.pk})" in entry.message
