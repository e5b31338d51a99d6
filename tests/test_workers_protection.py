"""Imports (workers, BPJS return), screening, coverage, incidents and claims, duty log,
roll-up pages, the daily report sections and the beranda card."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from posko.core.models import AuditEntry, Job
from posko.core.reports import registered_sections
from posko.workers import cards, report, services
from posko.workers.models import Claim, DutyLog, Incident, Screening, Worker, WorkerSettings
from tests.conftest import xlsx_bytes
from tests.workers_fixtures import make_nik, make_worker

pytestmark = pytest.mark.django_db
HEADER = ["nik", "nama", "jabatan", "kode_kelurahan", "nomor_tps", "tanggal_lahir", "jenis_kelamin"]


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"


def xlsx(header, rows, name="data.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(header, rows))


def post_file(client, url, upload):
    return client.post(url, {"file": upload})


def kpps_rows(world, n, start=1):
    birth = datetime.date(1980, 1, 1)
    return [[make_nik(birth=birth + datetime.timedelta(days=i // 5000), serial=start + i % 5000), f"Petugas {i}", "anggota_kpps", world.kel_a.code,
             1, "", ""] for i in range(n)]


def test_xlsx_with_10000_rows_and_3_bad_reports_the_3_and_saves_nothing(world, personas):
    rows = kpps_rows(world, 10_000)
    rows[10][0] = "3573023102800001"  # 31/02
    rows[5000][6] = "P"  # a man's NIK
    rows[9998][4] = 7  # no TPS 007 in the kelurahan
    response = post_file(personas["admin"].client, reverse("workers:worker_import"),
                         xlsx(HEADER, rows))
    text = response.content.decode()
    assert response.status_code == 400
    assert "Row 12, column nik: NIK: birth date 31/02 does not exist" in text
    assert "Row 5002, column jenis_kelamin: NIK: the NIK is a man&#x27;s" in text
    assert "Row 10000, column nomor_tps: There is no TPS 007" in text
    assert "3 problems in data.xlsx" in text, text[text.find("import-errors"):][:1500]
    assert Worker.objects.count() == 0 and not AuditEntry.objects.filter(action="import").exists()


def test_import_creates_updates_and_is_audited_masked(world, personas):
    client = personas["kelurahan_a"].client
    rows = kpps_rows(world, 7)
    rows[0][2] = "ketua_kpps"
    response = post_file(client, reverse("workers:worker_import"), xlsx(HEADER, rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Worker.objects.filter(tps=world.tps_a, status="aktif").count() == 7
    assert Worker.objects.filter(role="kpps_ketua").count() == 1
    entries = AuditEntry.objects.filter(action="create", message="import")
    assert entries.count() == 7 and all(rows[0][0] not in str(e.after) for e in entries)
    # Again, one name changed: 1 updated, 6 unchanged.
    rows[3][1] = "Nama Baru"
    response = post_file(client, reverse("workers:worker_import"), xlsx(HEADER, rows))
    assert response.status_code == 302
    assert Worker.objects.filter(full_name="Nama Baru").count() == 1 and Worker.objects.count() == 7


def test_import_refuses_postings_outside_the_region_and_nik_posted_elsewhere(world, users, personas):
    other = make_worker(users["admin"], world.tps_b, name="Di Blimbing")
    rows = kpps_rows(world, 2, start=500)
    rows[1][0] = other.nik
    rows.append([make_nik(serial=900), "Luar", "anggota_kpps", world.kel_b.code, 1, "", ""])
    response = post_file(personas["kelurahan_a"].client, reverse("workers:worker_import"),
                         xlsx(HEADER, rows))
    text = response.content.decode()
    assert response.status_code == 400
    assert f"Row 3, column nik: NIK {other.nik_masked} already has a post" in text
    assert "TPS 001 Jodipan" in text and other.nik not in text
    assert "Row 4, column nomor_tps: There is no TPS 001 in kelurahan 35.73.01.1001 within your region" in text
    assert Worker.objects.count() == 1


def test_bpjs_export_then_returned_list_sets_coverage_and_unknown_nik_stops(world, personas, users):
    workers = [make_worker(users["admin"], world.tps_a, name=f"K{i}") for i in range(3)]
    client = personas["admin"].client
    response = client.post(reverse("workers:bpjs_export") + f"?kelurahan={world.kel_a.code}",
                           {"reason": "Pendaftaran BPJS Ketenagakerjaan KPPS Klojen"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "nik" and {r[0] for r in rows[1:]} == {w.nik for w in workers}
    assert AuditEntry.objects.filter(action="export", object_repr="daftar BPJS").exists()
    assert personas["kelurahan_a"].client.get(reverse("workers:bpjs_export")).status_code == 403
    # The returned list with one unknown NIK: nothing changes.
    header = rows[0]
    col = header.index("nomor_kepesertaan")
    for i, row in enumerate(rows[1:], start=1):
        row[col] = f"2401{i:07d}"
    bad = [*rows[1:], [make_nik(serial=7777), "Asing", *[""] * (len(header) - 2)]]
    bad[-1][col] = "24019999999"
    response = post_file(client, reverse("workers:bpjs_import"), xlsx(header, bad))
    assert response.status_code == 400
    assert "Row 5, column nik: NIK 3573" in response.content.decode()
    assert "is not an active worker of this election in your region" in response.content.decode()
    assert not Worker.objects.filter(bpjs_status="aktif").exists()
    response = post_file(client, reverse("workers:bpjs_import"), xlsx(header, rows[1:]))
    assert response.status_code == 302
    assert Worker.objects.filter(bpjs_status="aktif", bpjs_number__startswith="2401").count() == 3
    page = client.get(reverse("workers:coverage") + f"?kelurahan={world.kel_a.code}")
    assert b'data-testid="coverage-percent">100.0%' in page.content


def test_screening_by_dinkes_with_bad_input_and_scope(world, personas, users):
    worker = make_worker(users["admin"], world.tps_a)
    url = reverse("workers:screening_add", args=[worker.pk])
    good = {"date": "2024-11-20", "facility_kind": "puskesmas", "systolic": "130",
            "diastolic": "85", "blood_sugar": "110", "cholesterol": "190", "result": "layak"}
    assert personas["kelurahan_a"].client.post(url, good).status_code == 403
    response = personas["agency"].client.post(url, {**good, "systolic": "abc"})
    assert response.status_code == 400 and "Enter a whole number" in response.content.decode()
    response = personas["agency"].client.post(url, {**good, "diastolic": "140"})
    assert "diastolic pressure must be lower" in response.content.decode()
    assert Screening.objects.count() == 0
    response = personas["agency"].client.post(url, {**good, "result": "tidak_layak"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.screening_result == "tidak_layak"
    followup = personas["kecamatan_a"].client.get(reverse("workers:screening_followup")).content.decode()
    assert worker.full_name in followup
    api = personas["agency"].client.post(reverse("api:worker-screening-list"), {
        **good, "worker": worker.pk, "systolic": "abc"}, content_type="application/json")
    assert api.status_code == 400 and "systolic" in api.json()


def test_incident_of_uncovered_worker_has_no_claim_and_covered_one_does(world, personas, users):
    uncovered = make_worker(users["admin"], world.tps_a, name="Tanpa BPJS")
    covered = make_worker(users["admin"], world.tps_a, name="Dengan BPJS", bpjs_status="aktif",
                          bpjs_number="2401", bpjs_start=datetime.date(2024, 11, 1),
                          bpjs_end=datetime.date(2024, 12, 31))
    client = personas["kelurahan_a"].client
    data = {"kind": "kecelakaan", "date": "2024-11-27", "place": "TPS", "description": "Jatuh",
            "on_duty": "on"}
    client.post(reverse("workers:incident_add", args=[uncovered.pk]), data)
    client.post(reverse("workers:incident_add", args=[covered.pk]), data)
    bad, good = Incident.objects.get(worker=uncovered), Incident.objects.get(worker=covered)
    assert not bad.covered and good.covered
    page = client.get(reverse("workers:incident_detail", args=[bad.pk])).content.decode()
    assert "uncovered" in page
    claim = {"programme": "jkk", "status": "diajukan", "submitted_on": "2024-11-28", "amount": ""}
    response = client.post(reverse("workers:claim_add", args=[bad.pk]), claim)
    assert response.status_code == 400 and "no active BPJS coverage" in response.content.decode()
    response = client.post(reverse("workers:claim_add", args=[good.pk]), {**claim, "programme": "jkm"})
    assert "A JKM claim is for a death" in response.content.decode()
    response = client.post(reverse("workers:claim_add", args=[good.pk]), claim)
    assert response.status_code == 302 and Claim.objects.count() == 1
    saved = Claim.objects.get()
    edit = reverse("workers:claim_edit", args=[saved.pk])
    assert client.get(edit).status_code == 200
    assert personas["kelurahan_b"].client.get(edit).status_code == 404
    assert personas["pemantau"].client.get(edit).status_code == 403
    response = client.post(edit, {**claim, "status": "dibayar"})  # paid without the amount
    assert response.status_code == 400 and "Fill in the amount paid" in response.content.decode()
    response = client.post(edit, {**claim, "status": "dibayar", "amount": "1500000"})
    assert response.status_code == 302 and response["Location"] == good.get_absolute_url()
    saved.refresh_from_db()
    assert saved.status == "dibayar" and saved.amount == 1500000
    assert personas["kelurahan_b"].client.get(
        reverse("workers:incident_detail", args=[good.pk])).status_code == 404


def test_death_sets_status_and_duty_log_warns_over_threshold(world, personas, users):
    worker = make_worker(users["admin"], world.tps_a)
    client = personas["kelurahan_a"].client
    response = client.post(reverse("workers:duty_add", args=[worker.pk]),
                           {"date": "2024-11-27", "hours": "22.5"}, follow=True)
    assert "over the duty-hours limit" in response.content.decode()
    assert DutyLog.objects.get().hours == 22.5
    page = client.get(reverse("workers:duty_list")).content.decode()
    assert "1 worker over 20 hours" in page
    client.post(reverse("workers:incident_add", args=[worker.pk]), {
        "kind": "meninggal", "date": "2024-11-27", "description": "Serangan jantung", "on_duty": "on"})
    worker.refresh_from_db()
    assert worker.status == "meninggal"


def test_rollup_pages_scope(world, personas, users):
    make_worker(users["admin"], world.tps_a)
    for name in ("staffing", "coverage", "screening_followup"):
        url = reverse(f"workers:{name}")
        assert personas["admin"].client.get(url).status_code == 200
        assert personas["kelurahan_a"].client.get(url).status_code == 200
        assert personas["kelurahan_a"].client.get(url + f"?kelurahan={world.kel_b.code}").status_code == 404
        assert personas["kecamatan_a"].client.get(url + f"?kecamatan={world.kec_b.code}").status_code == 404
        assert personas["anonymous"].client.get(url).status_code == 302
    page = personas["admin"].client.get(reverse("workers:staffing")).content.decode()
    assert "1/14" in page and "0/7" in page  # Klojen: 1 KPPS of 2 TPS × 7; Blimbing 0 of 7
    api = personas["kelurahan_a"].client.get(reverse("api:worker-coverage")).json()
    assert api["total"]["required"] == 1 and api["total"]["covered"] == 0


def test_report_sections_and_card_are_scoped(world, users):
    make_worker(users["admin"], world.tps_a)
    keys = {s.key for s in registered_sections()}
    assert {"workers.staffing", "workers.screening", "workers.coverage"} <= keys
    section = report.coverage_section(datetime.date(2024, 11, 26), users["kelurahan_b"], world.election)
    assert section.tables[0].rows == []
    section = report.coverage_section(datetime.date(2024, 11, 26), users["kelurahan_a"], world.election)
    assert section.tables[0].rows[0][1:4] == [1, 0, 1]
    staffing = report.staffing_section(datetime.date(2024, 11, 26), users["kecamatan_a"], world.election)
    assert staffing.tables[0].rows == [["Klojen", 2, "1/14", "0/4", "0/2", "0/6", "0/5", 30]]
    screening = report.screening_section(datetime.date(2024, 11, 26), users["admin"], world.election)
    assert screening.tables[0].rows[0][:5] == ["Klojen", 1, 0, 1, 0]
    card = cards.coverage_card(users["admin"], world.election)
    assert card.value.endswith("1") and card.alert
    assert cards.coverage_card(users["kelurahan_b"], world.election) is None


def test_norms_are_editable_per_election_by_admins_only(world, personas, users):
    make_worker(users["admin"], world.tps_a)
    url = reverse("workers:settings")
    assert personas["kelurahan_a"].client.get(url).status_code == 403
    assert personas["admin"].client.get(url).status_code == 200
    data = {"kpps_per_tps": 5, "linmas_per_tps": 2, "ptps_per_tps": 1, "pps_per_kelurahan": 3,
            "ppk_per_kecamatan": 5, "kpps_min_age": 17, "kpps_max_age": 55, "adhoc_min_age": 17,
            "kpps_domicile_required": "on", "monthly_contribution": "20000",
            "duty_hours_threshold": 18, "jkm_benefit": "42000000", "jkm_regulation": "PP 82/2019"}
    assert personas["admin"].client.post(url, {**data, "kpps_per_tps": "abc"}).status_code == 400
    assert personas["admin"].client.post(url, data).status_code == 302
    page = personas["kelurahan_a"].client.get(reverse("workers:staffing")).content.decode()
    assert "1/5" in page  # TPS 001 Klojen: 1 KPPS of the new norm of 5


def test_a_stale_save_of_the_norms_is_a_conflict_and_overwrites_nothing(world, personas):
    url = reverse("workers:settings")
    client = personas["admin"].client
    assert 'name="version" value="1"' in client.get(url).content.decode()
    data = {"kpps_per_tps": 5, "linmas_per_tps": 2, "ptps_per_tps": 1, "pps_per_kelurahan": 3,
            "ppk_per_kecamatan": 5, "kpps_min_age": 17, "kpps_max_age": 55, "adhoc_min_age": 17,
            "kpps_domicile_required": "on", "monthly_contribution": "20000",
            "duty_hours_threshold": 18, "version": 1, "jkm_benefit": "42000000",
            "jkm_regulation": "PP 82/2019"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "kpps_per_tps": 9})  # loaded before the first save
    assert response.status_code == 409 and 'data-testid="conflict"' in response.content.decode()
    assert WorkerSettings.for_election(world.election).kpps_per_tps == 5


def test_api_claim_for_uncovered_incident_is_refused_and_coverage_api_scoped(world, personas, users):
    worker = make_worker(users["admin"], world.tps_a)
    client = personas["kelurahan_a"].client
    response = client.post(reverse("api:worker-incident-list"), {
        "worker": worker.pk, "kind": "sakit", "date": "2024-11-27", "description": "Demam"},
        content_type="application/json")
    assert response.status_code == 201 and response.json()["covered"] is False
    response = client.post(reverse("api:worker-claim-list"), {
        "incident": response.json()["id"], "programme": "jkk", "status": "disiapkan"},
        content_type="application/json")
    assert response.status_code == 400 and Claim.objects.count() == 0
    # Another region's worker is answered like one that does not exist.
    assert personas["kelurahan_b"].client.post(reverse("api:worker-incident-list"), {
        "worker": worker.pk, "kind": "sakit", "date": "2024-11-27", "description": "x"},
        content_type="application/json").status_code == 400
    assert client.get(reverse("api:worker-coverage") + f"?kelurahan={world.kel_b.code}").status_code == 404


def test_outside_domicile_is_flagged_per_tps_on_the_staffing_page(world, personas, users):
    make_worker(users["admin"], world.tps_a, domicile=world.kel_a2.code)
    page = personas["kelurahan_a"].client.get(reverse("workers:staffing")).content.decode()
    assert 'data-testid="outside-domicile">1 KPPS from outside the kelurahan' in page


def test_uncovered_link_lists_every_worker_without_active_coverage(world, personas, users):
    make_worker(users["admin"], world.tps_a, name="Belum Daftar")
    make_worker(users["admin"], world.tps_a, name="Sudah Diajukan", bpjs_status="diajukan")
    make_worker(users["admin"], world.tps_a, name="Sudah Aktif", bpjs_status="aktif",
                bpjs_number="2401")
    page = personas["admin"].client.get(reverse("workers:worker_list") + "?status=aktif&covered=false")
    text = page.content.decode()
    assert "Belum Daftar" in text and "Sudah Diajukan" in text and "Sudah Aktif" not in text


def test_import_audit_rows_of_created_workers_hold_the_masked_snapshot(world, personas, users):
    """The "create" audit rows of an import (built by the server on PostgreSQL, in Python on
    SQLite) carry the same snapshot: NIK and phone masked, names as typed, the flags."""
    header = [*HEADER, "telepon", "domisili"]
    woman = make_nik(birth=datetime.date(1990, 3, 4), sex="P", serial=4321)
    man = make_nik(birth=datetime.date(1984, 12, 30), serial=4322)
    rows = [[woman, "Siti Ümmü Äisyah", "anggota_kpps", world.kel_a.code, 1, "", "", "081234567678",
             world.kel_b.code],
            [man, "Budi", "ketua_kpps", world.kel_a.code, 1, "1984-12-30", "L", "12345", ""]]
    response = post_file(personas["admin"].client, reverse("workers:worker_import"), xlsx(header, rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="create", message="import")}
    assert len(entries) == 2
    for nik, phone in ((woman, "0812•••••678"), (man, "•••••")):
        worker = Worker.objects.get(nik=nik)
        entry = entries[str(worker.pk)]
        assert entry.before is None and entry.user == users["admin"]
        assert entry.object_repr == f"{worker.full_name} ({worker.role})"
        assert (entry.kecamatan_code, entry.kelurahan_code) == (world.kel_a.kecamatan_id, world.kel_a.code)
        assert entry.after == {
            "election": worker.election_id, "role": worker.role, "tps": world.tps_a.pk,
            "kelurahan": world.kel_a.code, "kecamatan": world.kel_a.kecamatan_id,
            "nik": nik[:4] + "••••••••" + nik[-4:], "full_name": worker.full_name, "sex": worker.sex,
            "birth_date": worker.birth_date.isoformat(), "phone": phone,
            "domicile_code": worker.domicile_code, "flags": worker.flags, "registered_tps": None}
    woman_worker = Worker.objects.get(nik=woman)
    assert woman_worker.full_name == "Siti Ümmü Äisyah" and woman_worker.sex == "P"
    assert woman_worker.flags and woman_worker.domicile_code == world.kel_b.code


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=100)
def test_a_large_worker_file_is_imported_by_a_background_job(world, personas,
                                                              django_capture_on_commit_callbacks):
    """Above the size threshold the page queues a job (same checks, all or nothing) and
    sends the user to its progress page; the job page shows the row errors."""
    client = personas["admin"].client
    rows = kpps_rows(world, 7)
    rows[2][0] = "3573023102800001"  # 31/02
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, reverse("workers:worker_import"), xlsx(HEADER, rows))
    failed = Job.objects.get(kind="core.import")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{failed.pk}/"
    assert failed.status == "failed" and Worker.objects.count() == 0
    assert "Row 4, column nik: NIK: birth date 31/02 does not exist" in client.get(
        f"/pekerjaan/{failed.pk}/").content.decode()
    rows = kpps_rows(world, 7)
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client, reverse("workers:worker_import"), xlsx(HEADER, rows))
    done = Job.objects.filter(kind="core.import").latest("pk")
    assert done.status == "done", done.error
    assert done.params["params"] == {"election": world.election.pk}
    assert Worker.objects.filter(tps=world.tps_a).count() == 7


@override_settings(POSKO_IMPORT_BACKGROUND_BYTES=1)
def test_a_large_bpjs_return_file_is_imported_by_a_background_job(world, personas, users,
                                                                  django_capture_on_commit_callbacks):
    """The BPJS return importer opts in too (rebuilt from the election's id): the page queues
    a job, a bad row is shown on the job page and nothing is saved; a good file is saved."""
    workers = [make_worker(users["admin"], world.tps_a, name=f"K{i}") for i in range(3)]
    client = personas["admin"].client
    header = ["nik", "nama", "nomor_kepesertaan", "program", "mulai_kepesertaan",
              "akhir_kepesertaan"]
    rows = [[w.nik, w.full_name, f"2401{i:07d}", "JKK, JKM", "2024-11-01", "2024-12-31"]
            for i, w in enumerate(workers, start=1)]
    bad = [*rows, [make_nik(serial=7777), "Asing", "24019999999", "JKK, JKM", "2024-11-01",
                   "2024-12-31"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, reverse("workers:bpjs_import"), xlsx(header, bad))
    failed = Job.objects.get(kind="core.import")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{failed.pk}/"
    assert failed.status == "failed"
    assert not Worker.objects.filter(bpjs_status="aktif").exists()  # all or nothing
    page = client.get(f"/pekerjaan/{failed.pk}/").content.decode()
    assert "Row 5, column nik: NIK 3573" in page
    assert "is not an active worker of this election in your region" in page
    with django_capture_on_commit_callbacks(execute=True):
        post_file(client, reverse("workers:bpjs_import"), xlsx(header, rows))
    done = Job.objects.filter(kind="core.import").latest("pk")
    assert done.status == "done", done.error
    assert done.params["params"] == {"election": world.election.pk}
    assert Worker.objects.filter(bpjs_status="aktif", bpjs_number__startswith="2401").count() == 3


def test_incident_list_by_kind_in_scope_with_export_and_the_api_filter(world, personas, users):
    admin = users["admin"]
    a = make_worker(admin, world.tps_a, name="Di Klojen")
    b = make_worker(admin, world.tps_b, name="Di Blimbing")
    for worker, kind in ((a, "sakit"), (a, "kecelakaan"), (b, "sakit")):
        services.record_incident(Incident(worker=worker, kind=kind, date=datetime.date(2024, 11, 27),
                                          description="Di TPS"), actor=admin)
    client = personas["kelurahan_a"].client
    url = reverse("workers:incident_list")
    page = client.get(url).content.decode()
    assert page.count("Di Klojen") == 2 and "Di Blimbing" not in page
    page = client.get(url + "?kind=kecelakaan").content.decode()
    assert page.count("Di Klojen") == 1
    response = client.get(url + "?kind=sakit&export=csv")
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    assert response.status_code == 200 and "Di Klojen" in text and "Di Blimbing" not in text
    assert len(text.strip().splitlines()) == 2  # the header and the one sakit row
    api = client.get(reverse("api:worker-incident-list") + "?kind=sakit").json()
    rows = api.get("results", api) if isinstance(api, dict) else api
    assert [r["worker"] for r in rows] == [a.pk]
    # Another region's worker as a filter value is answered like one that does not exist.
    assert client.get(reverse("api:worker-incident-list") + f"?worker={b.pk}").status_code == 400


def test_coverage_of_a_worker_by_the_bpjs_manager_and_a_stale_save(world, personas, users):
    worker = make_worker(users["admin"], world.tps_a)
    url = reverse("workers:coverage_edit", args=[worker.pk])
    client = personas["admin"].client
    assert personas["kelurahan_b"].client.get(url).status_code == 404
    assert personas["pemantau"].client.get(url).status_code == 403
    assert f'name="version" value="{worker.version}"' in client.get(url).content.decode()
    data = {"bpjs_status": "aktif", "bpjs_jkk": "on", "bpjs_jkm": "on", "bpjs_number": "",
            "bpjs_start": "2024-11-01", "bpjs_end": "2024-12-31", "bpjs_funding": "apbd",
            "version": worker.version}
    response = client.post(url, data)  # active without the membership number
    assert response.status_code == 400 and "membership number" in response.content.decode()
    response = client.post(url, {**data, "bpjs_number": "24010000001"})
    assert response.status_code == 302 and response["Location"] == worker.get_absolute_url()
    worker.refresh_from_db()
    assert worker.bpjs_number == "24010000001" and worker.bpjs_months == 3  # 61 days
    response = client.post(url, {**data, "bpjs_number": "24010000002"})  # the old version
    assert response.status_code == 409 and 'data-testid="conflict"' in response.content.decode()
    worker.refresh_from_db()
    assert worker.bpjs_number == "24010000001"
