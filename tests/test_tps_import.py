"""TPS import (CSV and XLSX) and export: all-or-nothing, row-numbered errors,
bad files refused with a clear message, re-import updates, scope respected."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import Tps

pytestmark = pytest.mark.django_db

HEADER = "kode_kelurahan,nomor_tps,alamat,rt,rw,latitude,longitude,dpt_laki_laki,dpt_perempuan,lokasi_khusus,keterangan_lokasi_khusus,akses_disabilitas"
GOOD_ROWS = [
    "35.73.02.1001,2,Jl. Kauman 2,001,002,-7.9812,112.6301,250,260,,,ya",
    "35.73.02.1001,3,Jl. Kauman 3,001,003,-7.9820,112.6310,200,190,,,tidak",
    "35.73.02.1002,2,Jl. Rampal 2,004,001,,,150,155,rumah_sakit,RS Lavalette,ya",
]


def csv_file(lines, name="tps.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding), content_type="text/csv")


def post(client, upload):
    return client.post(reverse("elections:tps_import"), {"file": upload})


def snapshot():
    return sorted(Tps.objects.values_list("kelurahan_id", "number", "dpt_men", "dpt_women", "address"))


def test_import_csv_creates_then_reimport_changes_nothing(world, personas):
    client = personas["admin"].client
    response = post(client, csv_file([HEADER, *GOOD_ROWS]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Tps.objects.count() == 4 + 3
    tps = Tps.objects.get(kelurahan=world.kel_a, number=2)
    assert (tps.dpt_men, tps.dpt_women, tps.dpt_total, tps.rt) == (250, 260, 510, "001")
    assert str(tps.latitude) == "-7.981200"
    assert not Tps.objects.get(kelurahan=world.kel_a, number=3).accessible
    hospital = Tps.objects.get(kelurahan=world.kel_a2, number=2)
    assert hospital.special_location == "rumah_sakit" and hospital.special_location_note == "RS Lavalette"
    assert AuditEntry.objects.filter(action="create", object_id=str(tps.pk)).exists()
    assert AuditEntry.objects.filter(action="import").count() == 1
    message = client.get(reverse("elections:tps_list")).content.decode()
    assert "3" in message

    before = snapshot()
    response = post(client, csv_file([HEADER, *GOOD_ROWS]))
    assert response.status_code == 302
    assert snapshot() == before and Tps.objects.count() == 7
    assert AuditEntry.objects.filter(action="update").count() == 0

    changed = GOOD_ROWS[0].replace(",250,260,", ",251,260,")
    response = post(client, csv_file([HEADER, changed]))
    assert response.status_code == 302
    tps.refresh_from_db()
    assert tps.dpt_men == 251 and tps.address == "Jl. Kauman 2"
    update = AuditEntry.objects.get(action="update", object_id=str(tps.pk))
    assert (update.before["dpt_men"], update.after["dpt_men"]) == (250, 251)


def test_two_bad_rows_are_reported_and_nothing_is_saved(world, personas):
    client = personas["admin"].client
    bad = [
        GOOD_ROWS[0],
        "35.73.02.1001,3,Jl. Kauman 3,001,003,-7.98,112.63,400,300,,,ya",  # 700 > 600
        "35.73.02.1002,x,Jl. Rampal,004,001,,,150,155,,,ya",  # bad number
        GOOD_ROWS[2],
    ]
    before = snapshot()
    response = post(client, csv_file([HEADER, *bad]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Baris 3, kolom dpt_laki_laki + dpt_perempuan:" in body
    assert "700" in body and "600" in body
    assert "Baris 4, kolom nomor_tps:" in body
    assert "Baris 2," not in body and "Baris 5," not in body
    assert snapshot() == before
    assert not AuditEntry.objects.filter(action__in=["create", "import"]).exists()


@pytest.mark.parametrize(("row", "column"), [
    ("35.79.01.2001,5,Batu,,,,,100,100,,,", "kode_kelurahan"),  # other Pemda
    ("35.73.02.9999,5,?,,,,,100,100,,,", "kode_kelurahan"),  # unknown code
    ("35.73.02.1001,5,Jl,,,52.1,4.3,100,100,,,", "latitude"),  # outside Indonesia
    ("35.73.02.1001,5,Jl,,,-7.9,,100,100,,,", "longitude"),  # half a coordinate
    ("35.73.02.1001,5,Jl,1234,,,,100,100,,,", "rt"),
    ("35.73.02.1001,5,Jl,,,,,-1,100,,,", "dpt_laki_laki"),
    ("35.73.02.1001,5,Jl,,,,,100,100,penjara2,,", "lokasi_khusus"),
    ("35.73.02.1001,5,Jl,,,,,100,100,lainnya,,", "keterangan_lokasi_khusus"),
    ("35.73.02.1001,5,Jl,,,,,100,100,,,mungkin", "akses_disabilitas"),
    ("35.73.02.1001,5,Jl,,,,,,100,,,", "dpt_laki_laki"),  # required
])
def test_each_bad_cell_is_named(world, personas, row, column):
    before = snapshot()
    response = post(personas["admin"].client, csv_file([HEADER, GOOD_ROWS[0], row]))
    assert response.status_code == 400
    assert f"Baris 3, kolom {column}:" in response.content.decode()
    assert snapshot() == before


def test_duplicate_row_in_file(world, personas):
    response = post(personas["admin"].client, csv_file([HEADER, GOOD_ROWS[0], GOOD_ROWS[0]]))
    assert response.status_code == 400
    assert "Baris 3, kolom nomor_tps:" in response.content.decode()
    assert "baris 2" in response.content.decode()
    assert Tps.objects.count() == 4


@pytest.mark.parametrize(("content", "name", "expected"), [
    (b"", "tps.csv", "Berkas kosong"),
    ((HEADER + ",warna\n").encode(), "tps.csv", "warna"),
    ((HEADER + "\n").encode(), "tps.csv", "tidak berisi baris data"),
    # Neither UTF-8 nor Windows-1252 (0x81 and 0x8D are unassigned there); see
    # tests/test_core_import_hostile.py for the Windows-1252 file Excel writes, which imports.
    ((HEADER + "\n35.73.02.1001,9,Jl. Caf").encode() + b"\x81\x8d,,,,,10,10,,,\n", "tps.csv", "UTF-8"),
    (b"\x00\x01\x02\x03binary\x00" * 50, "tps.csv", "biner"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "tps.xls", ".xls"),
    (b"not really a workbook", "tps.xlsx", "XLSX"),
    (b"PK\x03\x04garbage", "tps.xlsx", "XLSX"),
    (b"nomor_tps,dpt_laki_laki,dpt_perempuan\n1,2,3\n", "tps.csv", "kode_kelurahan"),
])
def test_bad_files_get_a_clear_message_and_change_nothing(world, personas, content, name, expected):
    before = snapshot()
    response = post(personas["admin"].client, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Tidak ada yang diimpor" in body
    assert expected in body
    assert snapshot() == before
    assert not AuditEntry.objects.filter(action="import").exists()


@override_settings(POSKO_IMPORT_MAX_BYTES=1024 * 1024)
def test_oversized_file_is_refused(world, personas):
    big = SimpleUploadedFile("big.csv", b"a" * (1024 * 1024 + 1))
    response = post(personas["admin"].client, big)
    assert response.status_code == 400
    assert "terlalu besar" in response.content.decode()
    assert Tps.objects.count() == 4


def test_file_over_the_default_limit_is_refused(world, personas):
    # Default limit 10 MB: an 11 MB CSV is refused with its size, nothing is read or saved.
    big = SimpleUploadedFile("big.csv", (HEADER + "\n").encode() + b"x" * (11 * 1024 * 1024))
    response = post(personas["admin"].client, big)
    assert response.status_code == 400
    body = response.content.decode()
    assert "terlalu besar" in body and "11,0" in body and "10,0" in body
    assert Tps.objects.count() == 4


def test_fifty_megabyte_upload_is_refused_by_size_before_reading():
    from posko.core.importer import ImportFileError, read_upload

    class Upload:
        size = 50 * 1024 * 1024

        def read(self):  # pragma: no cover - must not be called
            raise AssertionError("a file over the limit must not be read")

    with pytest.raises(ImportFileError, match="50,0"):
        read_upload(Upload())


def test_semicolon_csv_with_bom_and_kelurahan_names(world, personas):
    lines = ["\ufeffKecamatan;Kelurahan;No TPS;DPT L;DPT P;Latitude;Longitude",
             "Klojen;Rampal Celaket;7;100;120;-7,9712;112,6402"]
    response = post(personas["admin"].client, csv_file(lines))
    assert response.status_code == 302, response.content.decode()[:3000]
    tps = Tps.objects.get(kelurahan=world.kel_a2, number=7)
    assert tps.dpt_total == 220 and str(tps.longitude) == "112.640200"


def test_xlsx_import(world, personas):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["35.73.02.1001", 4, "Jl. Excel", "1", "2", -7.98, 112.63, 300, 290, None, None, "ya"])
    sheet.append([None] * 12)  # trailing empty row is ignored
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("tps.xlsx", buffer.getvalue())
    response = post(personas["admin"].client, upload)
    assert response.status_code == 302, response.content.decode()[:3000]
    tps = Tps.objects.get(kelurahan=world.kel_a, number=4)
    assert (tps.dpt_total, tps.rt, tps.rw, tps.address) == (590, "001", "002", "Jl. Excel")


def test_xlsx_errors_use_row_numbers(world, personas):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["35.73.02.1001", 4, "Jl", None, None, None, None, 900, 0, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post(personas["admin"].client, SimpleUploadedFile("tps.xlsx", buffer.getvalue()))
    assert response.status_code == 400
    assert "Baris 2, kolom dpt_laki_laki + dpt_perempuan:" in response.content.decode()


def test_kelurahan_operator_imports_only_own_kelurahan(world, personas):
    client = personas["kelurahan_a"].client
    rows = [GOOD_ROWS[0], "35.73.01.1001,9,Jodipan,,,,,100,100,,,"]
    response = post(client, csv_file([HEADER, *rows]))
    assert response.status_code == 400
    assert "Baris 3, kolom kode_kelurahan:" in response.content.decode()
    assert Tps.objects.count() == 4
    assert post(client, csv_file([HEADER, GOOD_ROWS[0]])).status_code == 302
    assert Tps.objects.count() == 5


@pytest.mark.parametrize("persona", ["agency", "pemantau"])
def test_read_only_roles_cannot_import(world, personas, persona):
    client = personas[persona].client
    assert client.get(reverse("elections:tps_import")).status_code == 403
    assert post(client, csv_file([HEADER, GOOD_ROWS[0]])).status_code == 403
    assert Tps.objects.count() == 4


def test_export_round_trip_and_formula_neutralised(world, personas):
    Tps.objects.filter(pk=world.tps_a.pk).update(address="=HYPERLINK(\"http://x\",\"klik\")",
                                                 latitude="-7.981200", longitude="112.630100")
    client = personas["admin"].client
    response = client.get(reverse("elections:tps_list"), {"export": "csv", "kecamatan": world.kec_a.code})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "kode_kelurahan"
    assert len(rows) == 1 + 2  # kecamatan A only
    by_code = {r[0]: r for r in rows[1:]}
    row = by_code[world.kel_a.code]
    assert row[4].startswith("'=HYPERLINK")
    assert row[7] == "-7.981200"  # a negative number is a number, not a formula
    # The exported file imports back without changes.
    response = post(client, SimpleUploadedFile("export.csv", text.encode("utf-8")))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEntry.objects.filter(action="export").count() == 1

    response = client.get(reverse("elections:tps_list"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(values) == 1 + 3
    assert any(str(v[4]).startswith("'=") for v in values[1:])


@pytest.mark.parametrize("persona", ["kelurahan_a", "kelurahan_b", "kecamatan_a"])
def test_export_only_contains_scope(world, personas, persona):
    response = personas[persona].client.get(reverse("elections:tps_list"), {"export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    codes = {r[0] for r in list(csv.reader(io.StringIO(text)))[1:]}
    expected = {"kelurahan_a": {world.kel_a.code}, "kelurahan_b": {world.kel_b.code},
                "kecamatan_a": {world.kel_a.code, world.kel_a2.code}}[persona]
    assert codes == expected


def test_template_download(world, personas):
    client = personas["admin"].client
    response = client.get(reverse("elections:tps_import_template"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in next(sheet.iter_rows())]
    assert header[:5] == ["no", "kode_kelurahan", "kecamatan", "kelurahan", "nomor_tps"]
    response = client.get(reverse("elections:tps_import_template"), {"format": "csv"})
    assert b"kode_kelurahan" in b"".join(response.streaming_content)
