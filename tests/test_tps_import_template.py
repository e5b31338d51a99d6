"""Every import template (TPS, distribution plan, workers, BPJS return list, turnout,
historical turnout, vulnerability grid) downloaded and uploaded untouched saves nothing and
says why; the same file with the example replaced by data imports. TPS rows whose kelurahan
code and name disagree are refused, naming both (issue: "the downloaded template overwrote
TPS 001 of Kel. Klojen")."""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import Tps
from posko.logistics.models import Item, PlannedDistribution
from posko.outreach.models import HistoricalTurnout, TpsTurnout
from posko.vulnerability.models import Assessment
from posko.workers import services as worker_services
from posko.workers.models import Worker

pytestmark = pytest.mark.django_db

EXAMPLE = "Baris 2: ini baris contoh dari templat; hapus atau ganti dengan data Anda"
ONLY_EXAMPLE = "Berkas hanya berisi baris contoh dari templat: tidak ada yang disimpan."
EXAMPLE_NIK = "3573024508800001"


def state():
    """Everything an import could change, and the audit rows it would write."""
    return {
        "tps": sorted(Tps.objects.values_list(
            "pk", "kelurahan_id", "number", "address", "rt", "rw", "latitude", "longitude",
            "dpt_men", "dpt_women", "notes")),
        "plan": list(PlannedDistribution.objects.values_list("tps_id", "item_id", "quantity")),
        "workers": sorted(Worker.objects.values_list("nik", "full_name", "tps_id", "bpjs_status",
                                                     "bpjs_number")),
        "turnout": list(TpsTurnout.objects.values_list("tps_id", "voted_dpt")),
        "history": list(HistoricalTurnout.objects.values_list("label", "kelurahan_id")),
        "assessments": Assessment.objects.filter(value__isnull=False).count(),
        "audit": AuditEntry.objects.filter(action__in=["create", "update", "import"]).count(),
    }


def upload(client, url_name, data: bytes, name: str):
    return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, data)})


def problems(response) -> str:
    """The import page's error box, for assertion messages."""
    text = response.content.decode()
    start = text.find('data-testid="import-errors"')
    return text[start:start + 2000] if start >= 0 else text[:500]


def download(client, url_name, fmt="xlsx") -> bytes:
    response = client.get(reverse(url_name), {"format": "csv"} if fmt == "csv" else {})
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def fill_xlsx(data: bytes, **cells) -> bytes:
    """The template with row 2's cells replaced (by header name)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for name, value in cells.items():
        sheet.cell(row=2, column=header.index(name) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def items(world):
    return Item.objects.create(election=world.election, code="kotak_suara", name="Kotak suara",
                               norm=Item.Norm.PER_CONTEST)


@pytest.fixture
def example_worker(world, users):
    """A real worker who happens to carry the example's NIK: the BPJS example must not touch
    them."""
    worker = Worker(election=world.election, role=Worker.Role.KPPS_ANGGOTA, tps=world.tps_a,
                    nik=EXAMPLE_NIK, full_name="Siti Aminah", domicile_code=world.kel_a.code)
    return worker_services.create_worker(worker, actor=users["admin"])


# (template URL, import URL, fixtures, cells that turn the example into data, what the data
# adds). Only "no" changed is not enough: a row equal to the example is still the example.
TEMPLATES = {
    "tps": ("elections:tps_import_template", "elections:tps_import", [],
            {"no": "1", "nomor_tps": "7"},
            lambda w: Tps.objects.filter(kelurahan=w.kel_a, number=7, dpt_men=250).exists()),
    "plan": ("logistics:plan_template", "logistics:plan_import", ["items"], {"no": "1"},
             lambda w: PlannedDistribution.objects.filter(tps=w.tps_a, quantity=2).exists()),
    "workers": ("workers:worker_template", "workers:worker_import", [],
                {"no": "1", "nama": "Sri Wahyuni"},
                lambda w: Worker.objects.filter(nik=EXAMPLE_NIK, tps=w.tps_a).exists()),
    "bpjs": ("workers:bpjs_template", "workers:bpjs_import", ["example_worker"],
             {"no": "1", "nomor_kepesertaan": "24019876543"},
             lambda w: Worker.objects.filter(nik=EXAMPLE_NIK, bpjs_status="aktif",
                                             bpjs_number="24019876543").exists()),
    "turnout": ("outreach:turnout_template", "outreach:turnout_import", [],
                {"no": "1", "pemilih_dpt": "300"},
                lambda w: TpsTurnout.objects.filter(tps=w.tps_a, voted_dpt=300).exists()),
    "history": ("outreach:history_template", "outreach:history_import", [],
                {"no": "1", "terdaftar": "8451"},
                lambda w: HistoricalTurnout.objects.filter(kelurahan=w.kel_a,
                                                           registered=8451).exists()),
}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_an_untouched_template_saves_nothing_and_says_it_holds_only_the_example(
        world, personas, request, kind, fmt):
    template, import_url, fixtures, _cells, _added = TEMPLATES[kind]
    for name in fixtures:
        request.getfixturevalue(name)
    client = personas["admin"].client
    data = download(client, template, fmt)
    before = state()
    response = upload(client, import_url, data, f"templat.{fmt}")
    text = response.content.decode()
    assert response.status_code == 400
    assert ONLY_EXAMPLE in text and EXAMPLE in text
    assert state() == before


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_the_template_with_its_example_replaced_by_data_imports(world, personas, request, kind):
    template, import_url, fixtures, cells, added = TEMPLATES[kind]
    for name in fixtures:
        request.getfixturevalue(name)
    client = personas["admin"].client
    data = fill_xlsx(download(client, template), **cells)
    response = upload(client, import_url, data, "data.xlsx")
    assert response.status_code == 302, problems(response)
    assert added(world)


def test_the_xlsx_template_marks_its_example_row(world, personas):
    data = download(personas["kelurahan_a"].client, "elections:tps_import_template")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["no", "kode_kelurahan", "kecamatan", "kelurahan"]
    assert rows[1][:4] == ["CONTOH", "35.73.02.1001", "Klojen", "Klojen"]  # code and name agree
    assert sheet["A2"].font.italic and "hapus atau ganti" in sheet["A2"].comment.text
    assert sheet["E2"].number_format == "@"  # nomor_tps stays text in Excel


def test_an_example_row_among_data_is_reported_by_row_and_nothing_is_saved(world, personas):
    client = personas["admin"].client
    text = download(client, "elections:tps_import_template", "csv").decode("utf-8-sig")
    lines = text.strip().splitlines()
    header = next(csv.reader([lines[0]]))
    row = dict(zip(header, next(csv.reader([lines[1]])), strict=True))
    real = {**row, "no": "2", "nomor_tps": "8", "alamat": "Jl. Kawi 8"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([header, [row[h] for h in header], [real[h] for h in header]])
    before = state()
    response = upload(client, "elections:tps_import", out.getvalue().encode(), "tps.csv")
    body = response.content.decode()
    assert response.status_code == 400
    assert EXAMPLE in body and ONLY_EXAMPLE not in body  # row 3 is data: a row error only
    assert state() == before and not Tps.objects.filter(number=8).exists()


def test_an_old_worker_template_without_the_no_column_is_still_refused(world, personas):
    """A template saved before the CONTOH mark (or with its no column deleted): the row equal
    to the example in every example column is refused all the same."""
    header = ("nik,nama,jabatan,jenis_kelamin,tanggal_lahir,telepon,alamat,domisili,"
              "kode_kelurahan,nomor_tps,kode_kecamatan,nomor_sk,tanggal_sk,mulai_tugas,akhir_tugas")
    row = (f"{EXAMPLE_NIK},Siti Aminah,anggota_kpps,P,1980-08-05,081234567890,Jl. Kahuripan 5,"
           "35.73.02.1001,35.73.02.1001,1,,123/PP.05/3573/2024,2024-11-06,2024-11-07,2024-12-06")
    before = state()
    response = upload(personas["admin"].client, "workers:worker_import",
                      f"{header}\n{row}\n".encode(), "petugas.csv")
    assert response.status_code == 400 and EXAMPLE in response.content.decode()
    assert state() == before


def test_the_example_with_only_its_no_changed_is_still_the_example(world, personas):
    client = personas["admin"].client
    data = fill_xlsx(download(client, "workers:worker_template"), no="1")
    response = upload(client, "workers:worker_import", data, "petugas.xlsx")
    assert response.status_code == 400 and EXAMPLE in response.content.decode()
    assert not Worker.objects.exists()


# --- kelurahan code and name ------------------------------------------------------------------

HEADER = "kode_kelurahan,kecamatan,kelurahan,nomor_tps,alamat,dpt_laki_laki,dpt_perempuan\n"


def test_the_old_template_row_klojen_code_with_kauman_name_is_refused(world, personas):
    before = state()
    response = upload(personas["admin"].client, "elections:tps_import",
                      (HEADER + "35.73.02.1001,Klojen,Kauman,1,Jl. Kauman No. 1,250,260\n").encode(),
                      "tps.csv")
    assert response.status_code == 400
    assert ("Baris 2, kolom kelurahan: kode 35.73.02.1001 adalah Kel. Klojen, bukan Kauman"
            in response.content.decode())
    assert state() == before
    tps = Tps.objects.get(pk=world.tps_a.pk)
    assert (tps.address, tps.dpt_men, tps.dpt_women) == ("Jl. Contoh 1", 200, 210)


def test_a_kecamatan_name_other_than_the_codes_is_refused(world, personas):
    before = state()
    response = upload(personas["admin"].client, "elections:tps_import",
                      (HEADER + "35.73.02.1001,Blimbing,Klojen,1,Jl. Kawi 1,250,260\n"
                       + "35.79.01.2001,Batu,Oro-Oro Ombo,1,Jl. Batu,10,10\n").encode(),
                      "tps.csv")
    text = response.content.decode()
    assert response.status_code == 400
    assert "Baris 2, kolom kecamatan: kode 35.73.02.1001 berada di Kec. Klojen, bukan Blimbing" in text
    # Outside the Pemda: the code is refused first, names are not compared.
    assert "Baris 3, kolom kode_kelurahan: Kode kelurahan 35.79.01.2001 tidak dikenal" in text
    assert state() == before


def test_names_are_compared_forgivingly_but_another_name_is_refused(world, personas):
    client = personas["admin"].client
    response = upload(client, "elections:tps_import",
                      (HEADER + "35.73.02.1001,Klojen,Kel. Rampal Celaket,1,Jl. Kawi 1,250,260\n"
                       + "35.79.01.2001,,Desa Klojen,1,Jl. Batu,10,10\n").encode(), "tps.csv")
    text = response.content.decode()
    assert response.status_code == 400
    assert ("Baris 2, kolom kelurahan: kode 35.73.02.1001 adalah Kel. Klojen, bukan Kel. Rampal "
            "Celaket") in text
    assert Tps.objects.get(pk=world.tps_a.pk).address == "Jl. Contoh 1"
    response = upload(client, "elections:tps_import",
                      (HEADER + "35.73.02.1001,Kec. KLOJEN,kel.  klojen,1,Jl. Kawi 1,250,260\n"
                       + "35.73.02.1002,kecamatan klojen,Kelurahan Rampal-Celaket,2,Jl. Rampal,9,9\n"
                       + "35.73.01.1001,,JODIPAN,2,Jl. Jodipan,9,9\n").encode(), "tps.csv")
    assert response.status_code == 302, problems(response)
    tps = Tps.objects.get(pk=world.tps_a.pk)
    assert (tps.address, tps.dpt_men, tps.dpt_women) == ("Jl. Kawi 1", 250, 260)
    assert Tps.objects.filter(kelurahan=world.kel_a2, number=2).exists()
    assert Tps.objects.filter(kelurahan=world.kel_b, number=2).exists()


def test_a_name_alone_with_a_prefix_finds_its_kelurahan(world, personas):
    response = upload(personas["admin"].client, "elections:tps_import",
                      (b"kecamatan,kelurahan,nomor_tps,dpt_laki_laki,dpt_perempuan\n"
                       b"Kec. Klojen,Kel. Rampal Celaket,3,100,100\n"), "tps.csv")
    assert response.status_code == 302, problems(response)
    assert Tps.objects.filter(kelurahan=world.kel_a2, number=3).exists()


def test_a_real_file_with_a_no_column_of_row_numbers_imports(world, personas):
    response = upload(personas["kelurahan_a"].client, "elections:tps_import",
                      (b"No,kode_kelurahan,nomor_tps,dpt_laki_laki,dpt_perempuan\n"
                       b"1,35.73.02.1001,5,100,110\n2,35.73.02.1001,6,120,130\n"), "tps.csv")
    assert response.status_code == 302, problems(response)
    assert set(Tps.objects.filter(kelurahan=world.kel_a).values_list("number", flat=True)) == {
        1, 5, 6}


# --- the vulnerability grid template: the user's TPS with empty indicator columns -------------

def test_the_untouched_vulnerability_template_says_nothing_is_filled_in(world, personas):
    client = personas["admin"].client
    data = download(client, "vulnerability:import_template")
    before = state()
    response = upload(client, "vulnerability:import", data, "kerawanan.xlsx")
    assert response.status_code == 400
    assert ("Belum ada nilai indikator yang diisi: semua kolom indikator pada 3 baris TPS dalam "
            "berkas ini kosong, seperti templat aslinya. Tidak ada yang disimpan."
            in response.content.decode())
    assert state() == before
    filled = fill_xlsx(data, rawan_bencana="1", tanggal=datetime.date(2024, 11, 15).isoformat())
    assert upload(client, "vulnerability:import", filled, "kerawanan.xlsx").status_code == 302
    assert Assessment.objects.filter(value=1).count() == 1
