"""A list with workers' NIK and phone in clear leaves Posko only with a purpose and a reason,
written to the audit log with the row count (UU PDP 27/2022); the masked export stays one
click. The BPJS enrolment list (full NIK by nature) asks for the reason, its purpose preset."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

EXPORT = "workers:worker_export"
REASON = "Data honor KPPS untuk BPKAD, surat 900/123/2024"


@pytest.fixture
def workers(world, users):
    return [make_worker(users["admin"], world.tps_a, name="Siti Aminah"),
            make_worker(users["admin"], world.tps_a2, name="Budi Santoso"),
            make_worker(users["admin"], world.tps_b, name="Agus Salim")]


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def exports():
    return AuditEntry.objects.filter(action="export")


def test_without_purpose_and_reason_there_is_no_file_and_the_form_says_why(personas, workers):
    client = personas["admin"].client
    response = client.post(reverse(EXPORT), {"personal": "on", "format": "csv"})
    text = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "Pilih tujuan ekspor." in text
    assert "Tuliskan alasan mengekspor data pribadi." in text
    assert workers[0].nik not in text and not exports().exists()
    response = client.post(reverse(EXPORT), {"personal": "on", "purpose": "lainnya",
                                             "reason": "honor", "format": "csv"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Sebutkan tujuan lainnya." in text
    assert "Tuliskan alasan mengekspor data pribadi (paling sedikit 10 karakter)." in text
    assert not exports().exists()


def test_with_purpose_and_reason_the_file_comes_and_the_audit_row_says_why_and_how_many(
        world, personas, workers):
    client = personas["admin"].client
    url = reverse(EXPORT) + f"?kecamatan={world.kec_a.code}"
    form = client.get(url)
    assert form.status_code == 200 and "2 petugas dari daftar sesuai filter akan diekspor" in \
        form.content.decode()
    response = client.post(url, {"personal": "on", "purpose": "honorarium", "reason": REASON,
                                 "format": "csv"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0][0] == "NIK" and {r[0] for r in rows[1:]} == {workers[0].nik, workers[1].nik}
    entry = exports().get()
    assert entry.username == "admin" and entry.object_repr == "petugas-ad-hoc-data-pribadi"
    assert entry.after == {"rows": 2, "purpose": "Pembayaran honorarium", "reason": REASON,
                           "data": ["NIK", "telepon"], "format": "csv",
                           "filter": f"kecamatan={world.kec_a.code}"}
    assert "2 baris" in entry.message and REASON in entry.message


def test_another_purpose_is_recorded_in_the_users_words(personas, workers):
    response = personas["admin"].client.post(reverse(EXPORT), {
        "personal": "on", "purpose": "lainnya", "purpose_other": "Audit Inspektorat",
        "reason": REASON, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4
    assert exports().get().after["purpose"] == "Lainnya: Audit Inspektorat"


def test_the_old_one_click_link_leads_to_the_form_and_gives_no_file(world, personas, workers):
    client = personas["admin"].client
    response = client.get(reverse("workers:worker_list"),
                          {"export": "xlsx", "personal": "1", "kelurahan": world.kel_a.code})
    assert response.status_code == 302
    assert response["Location"] == reverse(EXPORT) + f"?kelurahan={world.kel_a.code}"
    page = client.get(response["Location"]).content.decode()
    assert "Ekspor dengan data pribadi memerlukan tujuan dan alasan: isi formulir ini." in page
    assert workers[0].nik not in page and not exports().exists()


def test_the_masked_export_is_one_click_the_personal_one_a_form(world, personas, workers):
    response = personas["kelurahan_a"].client.get(reverse("workers:worker_list"),
                                                  {"export": "csv"})
    text = body(response)
    assert response.status_code == 200 and "Siti Aminah" in text
    assert workers[0].nik not in text and workers[0].nik_masked in text
    assert exports().get().object_repr == "petugas-ad-hoc"
    page = personas["admin"].client.get(reverse("workers:worker_list"),
                                        {"kecamatan": world.kec_a.code}).content.decode()
    assert f'href="{reverse(EXPORT)}?kecamatan={world.kec_a.code}"' in page
    assert "personal=1" not in page


def test_the_personal_export_is_only_for_permitted_users_and_their_region(users, personas, workers):
    assert personas["kelurahan_a"].client.get(reverse(EXPORT)).status_code == 403
    assert personas["pemantau"].client.post(reverse(EXPORT), {
        "personal": "on", "purpose": "honorarium", "reason": REASON}).status_code == 403
    lurah = users["kelurahan_a"]
    lurah.personal_data_access = True
    lurah.save()
    response = personas["kelurahan_a"].client.post(reverse(EXPORT), {
        "personal": "on", "purpose": "verifikasi_kpu", "reason": REASON, "format": "csv"})
    niks = {r[0] for r in list(csv.reader(io.StringIO(body(response))))[1:]}
    assert niks == {workers[0].nik}
    assert exports().get().after["rows"] == 1


# --- the BPJS enrolment list -------------------------------------------------------------------

def test_the_bpjs_list_asks_for_the_reason_and_records_it_with_its_preset_purpose(
        world, personas, workers):
    client = personas["admin"].client
    url = reverse("workers:bpjs_export") + f"?kelurahan={world.kel_a.code}"
    form = client.get(url)
    text = form.content.decode()
    assert form.status_code == 200 and form["Content-Type"].startswith("text/html")
    assert "Tujuan: Pendaftaran BPJS Ketenagakerjaan" in text and workers[0].nik not in text
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Tuliskan alasan mengekspor data pribadi." in response.content.decode()
    assert not exports().exists()
    response = client.post(url, {"reason": "Surat BPJS TK Malang 12/2024 pendaftaran KPPS"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [workers[0].nik]
    entry = exports().get()
    assert entry.object_repr == "daftar BPJS"
    assert entry.after == {"rows": 1, "purpose": "Pendaftaran BPJS Ketenagakerjaan",
                           "reason": "Surat BPJS TK Malang 12/2024 pendaftaran KPPS",
                           "data": ["NIK"], "format": "xlsx", "filter": world.kel_a.code}


def test_the_bpjs_list_keeps_its_permission_and_scope(world, personas, workers):
    assert personas["kelurahan_a"].client.get(reverse("workers:bpjs_export")).status_code == 403
    assert personas["kelurahan_a"].client.post(reverse("workers:bpjs_export"), {
        "reason": REASON}).status_code == 403
    response = personas["admin"].client.post(
        reverse("workers:bpjs_export") + f"?kelurahan={world.kel_outside.code}", {"reason": REASON})
    assert response.status_code == 404 and not exports().exists()
