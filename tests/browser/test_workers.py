"""Issue 6, end to end on a phone: the lurah of Klojen (with personal-data access) imports
the KPPS of their kelurahan from XLSX, fixes the one bad row the import reports, exports
the BPJS enrolment list, imports the list BPJS returns with membership numbers, and sees
coverage reach 100 % for the kelurahan.

Selectors rely on URLs, ids, names and data attributes, not on wording, so the test passes
whichever language catalogue is in place."""

from __future__ import annotations

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from posko.workers.models import Worker
from tests.browser.conftest import log_in
from tests.conftest import xlsx_bytes
from tests.workers_fixtures import make_nik

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(header, rows) -> bytes:
    return xlsx_bytes(header, rows)


def upload(page: Page, name: str, data: bytes) -> None:
    page.locator("#id_file").set_input_files({"name": name, "mimeType": XLSX, "buffer": data})
    page.locator("main form button[type=submit]").click()


def test_import_fix_export_bpjs_return_and_full_coverage(page: Page, base_url, world, users):
    lurah = users["kelurahan_a"]
    lurah.personal_data_access = True
    lurah.save()
    header = ["nik", "nama", "jabatan", "kode_kelurahan", "nomor_tps", "tanggal_lahir",
              "jenis_kelamin", "telepon"]
    rows = []
    for i in range(7):
        birth = datetime.date(1975 + i, 3, 10 + i)
        sex = "P" if i % 2 else "L"
        rows.append([make_nik("357302", birth, sex, 100 + i), f"Petugas Klojen {i + 1}",
                     "ketua_kpps" if i == 0 else "anggota_kpps", world.kel_a.code, 1,
                     birth.isoformat(), sex, f"08123456{i:04d}"])
    good_nik = rows[2][0]
    rows[2][0] = good_nik[:6] + "3102" + good_nik[10:]  # 31 February: no such date

    log_in(page, base_url, lurah.username)
    page.goto(base_url + reverse("workers:worker_import"))
    upload(page, "kpps-klojen.xlsx", workbook(header, rows))
    errors = page.locator('[data-testid="import-errors"]')
    expect(errors).to_be_visible()
    expect(errors.locator("li")).to_have_count(1)
    expect(errors.locator("li")).to_contain_text("4")  # row 4 of the sheet
    expect(errors.locator("li")).to_contain_text("31/02")
    assert Worker.objects.count() == 0

    rows[2][0] = good_nik
    upload(page, "kpps-klojen.xlsx", workbook(header, rows))
    page.wait_for_url(base_url + reverse("workers:worker_list"))
    expect(page.locator('[data-testid="worker-count"]')).to_contain_text("7")
    assert Worker.objects.filter(tps=world.tps_a, status="aktif").count() == 7
    # Masked on the list.
    expect(page.locator("main table")).not_to_contain_text(good_nik)

    page.goto(base_url + reverse("workers:coverage"))
    expect(page.locator('[data-testid="coverage-percent"]')).to_have_text("0%")
    page.locator('[data-testid="bpjs-export"]').click()
    # The list holds full NIKs: the reason is asked first (UU PDP), the purpose is preset.
    page.locator("#id_reason").fill("Surat BPJS TK Malang 12/2024: pendaftaran KPPS Klojen")
    with page.expect_download() as downloading:
        page.locator('[data-testid="bpjs-export-submit"]').click()
    with open(downloading.value.path(), "rb") as fh:
        sheet = openpyxl.load_workbook(io.BytesIO(fh.read())).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(table) == 8 and good_nik in {r[0] for r in table}
    column = table[0].index("nomor_kepesertaan")
    for i, row in enumerate(table[1:], start=1):
        row[column] = f"240110000{i:02d}"  # BPJS filled in the membership numbers

    page.goto(base_url + reverse("workers:bpjs_import"))
    upload(page, "bpjs-kembali.xlsx", workbook(table[0], table[1:]))
    page.wait_for_url(base_url + reverse("workers:coverage"))
    expect(page.locator('[data-testid="coverage-percent"]')).to_have_text(re.compile(r"^100[.,]0%$"))
    expect(page.locator('[data-testid="uncovered-count"]')).to_have_text("0")
    assert Worker.objects.filter(bpjs_status="aktif").count() == 7
