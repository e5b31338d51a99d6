"""Hostile and broken import files, through the import pages as the user sees them
(Indonesian): zip bombs, huge cells, a lying <dimension>, formulas, damaged archives,
oversized CSV fields, other encodings, too many rows, and the time budget. Each case
checks that nothing was half-saved."""

from __future__ import annotations

import datetime
import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from posko.core.importer import read_rows
from posko.core.models import AuditEntry
from posko.elections.imports import TpsImporter
from posko.elections.models import Tps
from posko.logistics.imports import PlanImporter
from posko.outreach.imports import HistoryImporter, TurnoutImporter
from posko.vulnerability.imports import AssessmentImporter
from posko.workers.imports import BpjsReturnImporter, WorkerImporter
from tests.conftest import xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["kode_kelurahan", "nomor_tps", "alamat", "rt", "rw", "latitude", "longitude",
          "dpt_laki_laki", "dpt_perempuan", "lokasi_khusus", "keterangan_lokasi_khusus",
          "akses_disabilitas"]
ROWS = [["35.73.02.1001", 2, "Jl. Kauman 2", "001", "002", None, None, 250, 260, None, None, "ya"],
        ["35.73.02.1001", 3, "Jl. Kauman 3", "001", "003", None, None, 200, 190, None, None, "ya"],
        ["35.73.02.1002", 2, "Jl. Rampal 2", "004", "001", None, None, 150, 155, None, None, "ya"]]
SHEET = "xl/worksheets/sheet1.xml"
ROOT = Path(__file__).resolve().parent.parent


def workbook(rows, header=HEADER) -> bytes:
    """An XLSX as openpyxl (and Excel) write it: shared strings off, <dimension> on."""
    return xlsx_bytes(header, rows)


def excel_workbook(rows, header=HEADER, *, dimension: str | None = None) -> bytes:
    """An XLSX written the way Excel writes it: texts in sharedStrings.xml (``t="s"``),
    relative part names, a <dimension>, and date cells as serial numbers with a date
    style. Values: str, int, float, bool, datetime.date, None."""
    strings: dict[str, int] = {}
    sheet_rows = []
    for r, row in enumerate([header, *rows], start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{openpyxl.utils.get_column_letter(c + 1)}{r}"
            if value is None:
                continue
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime.date):
                serial = (value - datetime.date(1899, 12, 30)).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    last = f"{openpyxl.utils.get_column_letter(len(header))}{len(rows) + 1}"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"/>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                       f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                       'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
                           'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/styles" '
            f'Target="styles.xml"/><Relationship Id="rId3" Type="{rel}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0"/>'
                         '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">' + "".join(
            f"<si><t>{escape(text)}</t></si>" for text in strings) + "</sst>",
        SHEET: f'<worksheet xmlns="{main}"><dimension ref="{dimension or "A1:" + last}"/>'
               f'<sheetData>{"".join(sheet_rows)}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return out.getvalue()


def rewrite(data: bytes, name: str, change) -> bytes:
    """The workbook with member ``name`` replaced by ``change(old_bytes)`` (others copied)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def with_cell(data: bytes, row: int, xml: str) -> bytes:
    """Put a raw ``<c>`` element at the start of sheet row ``row``."""
    def change(sheet: bytes) -> bytes:
        return re.sub(rb'(<row r="%d"[^>]*>)' % row, lambda m: m.group(1) + xml.encode(), sheet)
    return rewrite(data, SHEET, change)


def bomb(cell_bytes: int) -> bytes:
    """A well-formed workbook whose second row holds one text cell of ``cell_bytes`` letters."""
    big = b'<c r="C2" t="inlineStr"><is><t>' + b"A" * cell_bytes + b"</t></is></c>"
    return with_cell(workbook(ROWS[:1]), 2, big.decode())


def post(client, content: bytes, name="tps.xlsx", url="elections:tps_import"):
    return client.post(reverse(url), {"file": SimpleUploadedFile(name, content)})


def snapshot():
    return (sorted(Tps.objects.values_list("kelurahan_id", "number", "address")),
            AuditEntry.objects.count())


def refused(response, *expected: str) -> str:
    body = response.content.decode()
    assert response.status_code == 400, body[:2000]
    assert "Tidak ada yang diimpor" in body
    for text in expected:
        assert text in body, body[body.find("import-errors"):][:1500]
    for python in ("Error", "Exception", "Traceback", "field larger", "KeyError"):
        assert python not in body.split("import-errors", 1)[1].split("</div>", 1)[0]
    return body


# --- zip bombs and huge cells -------------------------------------------------------------

@override_settings(POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES=1_000_000)
def test_zip_bomb_is_refused_by_unpacked_size_before_parsing(world, personas):
    data = bomb(5_000_000)  # 5 MB of XML in a few kilobytes
    assert len(data) < 20_000
    before = snapshot()
    started = time.perf_counter()
    response = post(personas["admin"].client, data)
    refused(response, "Berkas XLSX mengembang menjadi 5 MB saat dibuka; batasnya 1 MB")
    assert time.perf_counter() - started < 2
    assert snapshot() == before


def test_real_bomb_of_a_gigabyte_declared_is_refused_at_once(world, personas):
    # A sheet whose entry declares 2.5 GB (zipfile never inflates past the declared size,
    # so the declaration is what counts): refused without inflating anything.
    data = bomb(10)
    offset = zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).header_offset
    data = bytearray(data)
    # Uncompressed size in the local header (offset 22) and in the central directory (24).
    data[offset + 22:offset + 26] = (2_500_000_000).to_bytes(4, "little")
    position = 0
    while (position := data.find(b"PK\x01\x02", position + 1)) > 0:
        name_length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + name_length] == SHEET.encode():
            data[position + 24:position + 28] = (2_500_000_000).to_bytes(4, "little")
    started = time.perf_counter()
    response = post(personas["admin"].client, bytes(data))
    refused(response, "Berkas XLSX mengembang menjadi 2.500 MB saat dibuka; batasnya 210 MB")
    assert time.perf_counter() - started < 2


def test_compression_ratio_of_a_bomb_is_refused(world, personas):
    # Under the size limit, but 3 MB of one letter packs 1,000 to 1: no workbook does that.
    before = snapshot()
    refused(post(personas["admin"].client, bomb(3_000_000)),
            "Berkas XLSX dimampatkan", "kali, jauh melebihi buku kerja sungguhan")
    assert snapshot() == before


def test_cell_longer_than_excel_allows_is_refused_while_reading(world, personas):
    before = snapshot()
    refused(post(personas["admin"].client, bomb(40_000)),
            "Baris 2, kolom C: sel berisi lebih dari 32.767 karakter")
    assert snapshot() == before


def test_shared_text_longer_than_excel_allows_is_refused(world, personas):
    big = "B" * 40_000
    data = excel_workbook([["35.73.02.1001", 2, big, None, None, None, None, 1, 1]])
    refused(post(personas["admin"].client, data),
            "Berkas XLSX memuat teks lebih dari 32.767 karakter")
    assert Tps.objects.count() == 4


@override_settings(POSKO_IMPORT_MAX_ROWS=10)
def test_more_different_texts_than_a_file_within_the_limits_needs(world, personas):
    # 15 texts per allowed row: 150 here; the file declares 400.
    strings = "".join(f"<si><t>teks {i}</t></si>" for i in range(400))
    data = rewrite(excel_workbook(ROWS[:1]), "xl/sharedStrings.xml", lambda _old: (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + strings + "</sst>").encode())
    refused(post(personas["admin"].client, data), "lebih dari 150 teks berbeda")


def test_entity_expansion_is_refused(world, personas):
    laughs = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><t>&b;</t></si></sst>')
    data = rewrite(excel_workbook(ROWS[:1]), "xl/sharedStrings.xml",
                   lambda _old: laughs.encode())
    refused(post(personas["admin"].client, data), "deklarasi tipe dokumen")


def test_zip_with_too_many_members_is_refused(world, personas):
    data = workbook(ROWS[:1])
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as archive:
        for i in range(1_001):
            archive.writestr(f"xl/media/x{i}.bin", b"")
    refused(post(personas["admin"].client, out.getvalue()), "Berkas XLSX berisi 1.010 bagian")


@pytest.mark.parametrize("damage", ["no workbook part", "cut in half", "bad checksum",
                                    "broken XML", "shared string index out of range"])
def test_damaged_workbook_gets_a_plain_message(world, personas, damage):
    data = workbook(ROWS[:1])
    if damage == "no workbook part":  # openpyxl answered "(KeyError)"
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                if info.filename != "xl/workbook.xml":
                    target.writestr(info, source.read(info.filename))
        data = out.getvalue()
    elif damage == "cut in half":
        data = data[: len(data) // 2]
    elif damage == "bad checksum":
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                target.writestr(info.filename, source.read(info.filename))
        data = out.getvalue()
        at = data.find(b"Kauman")
        data = data[:at] + b"Kauwan" + data[at + 6:]  # stored, so the CRC no longer matches
    elif damage == "broken XML":
        data = rewrite(data, SHEET, lambda s: s.replace(b"</row>", b"</rov>", 1))
    else:
        data = with_cell(data, 2, '<c r="A2" t="s"><v>999</v></c>')
    refused(post(personas["admin"].client, data), "Berkas XLSX rusak atau bukan XLSX")
    assert Tps.objects.count() == 4


# --- rows and formulas ----------------------------------------------------------------------

def dimension_lie() -> bytes:
    """Three data rows under a <dimension> that claims one row and six columns."""
    return excel_workbook(ROWS, dimension="A1:F2")


def test_rows_past_a_lying_dimension_are_all_imported(world, personas):
    data = dimension_lie()
    assert b'ref="A1:F2"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    response = post(personas["admin"].client, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Tps.objects.count() == 4 + 3
    assert set(Tps.objects.filter(number__gt=1).values_list("address", flat=True)) == {
        "Jl. Kauman 2", "Jl. Kauman 3", "Jl. Rampal 2"}


def test_the_reader_gives_every_kind_of_cell_as_the_importers_expect():
    # A guard for the reader that replaced openpyxl's: the same texts as before.
    data = excel_workbook([["Café", 7, 1.5, True, datetime.date(2024, 11, 15), None, "'=A1"],
                           ["x"]], header=["a", "b", "c", "d", "e", "f", "g"])
    data = rewrite(data, SHEET, lambda sheet: sheet.replace(b'<row r="3">', b'<row r="5">')
                   .replace(b"</sheetData>", b'<row r="6"><c r="C6" t="inlineStr"><is><r><t>Jl. '
                            b'</t></r><r><t>Ijen</t></r><rPh><t>x</t></rPh></is></c>'
                            b'<c r="E6"><v>3.5730101E+15</v></c><c r="F6" t="b"><v>0</v></c>'
                            b'</row><row><c t="inlineStr"><is><t>no</t></is></c><c><v>1</v></c>'
                            b"</row></sheetData>"))
    assert list(read_rows(data, "a.xlsx")) == [
        ["a", "b", "c", "d", "e", "f", "g"],
        ["Café", "7", "1.5", "ya", "2024-11-15 00:00:00", "", "'=A1"],
        (), (),  # rows 3 and 4 are missing from the file
        ["x"],
        ["", "", "Jl. Ijen", "", "3573010100000000", "tidak"],
        ["no", "1"],  # cells and rows written without references
    ]


def test_the_engine_reads_every_row_and_column_whatever_the_dimension_says():
    rows = list(read_rows(dimension_lie(), "tps.xlsx"))
    assert len(rows) == 4 and rows[3][:3] == ["35.73.02.1002", "2", "Jl. Rampal 2"]
    assert len(rows[1]) == 12  # past column F too


def test_formula_cell_is_reported_and_nothing_is_saved(world, personas):
    data = excel_workbook(ROWS[:2] + [[None] * 12])
    data = rewrite(data, SHEET, lambda sheet: re.sub(
        # No result stored (as openpyxl and other generators write it): was imported as "".
        rb'<c r="C2" t="s"><v>\d+</v></c>', b'<c r="C2" t="str"><f>"Jl. "&amp;"Kauman"</f></c>',
        sheet
    ).replace(
        # A result stored by Excel is refused too: it may be stale, and the user fixes it
        # in a moment with Paste Special.
        b'<c r="H3"><v>200</v></c>', b'<c r="H3"><f>100+100</f><v>200</v></c>'
    ).replace(
        # A template's drag-filled =IF(...;"") that shows nothing is an empty row, not an error.
        b'<row r="4"></row>', b'<row r="4"><c r="A4" t="str"><f>IF(B4="","",B4)</f><v></v></c>'
                              b'</row>'))
    cells = list(read_rows(data, "tps.xlsx"))
    assert type(cells[1][2]).__name__ == "FormulaCell" and cells[2][7] == "200"
    before = snapshot()
    body = refused(post(personas["admin"].client, data),
                   "Baris 2, kolom alamat: rumus tidak didukung",
                   "Baris 3, kolom dpt_laki_laki: rumus tidak didukung",
                   "tempel sebagai nilai")
    assert "Baris 4" not in body
    assert snapshot() == before


# --- CSV ---------------------------------------------------------------------------------

CSV_HEADER = ",".join(HEADER)


def test_csv_with_a_gigantic_field_gets_a_plain_message(world, personas):
    content = (CSV_HEADER + "\n35.73.02.1001,5,\"" + "x" * 200_000 + "\n").encode()
    before = snapshot()
    refused(post(personas["admin"].client, content, "tps.csv"),
            "Baris 2: sel berisi lebih dari 131.072 karakter",
            "tanda kutip yang tidak ditutup")
    assert snapshot() == before


def test_csv_saved_by_excel_in_windows_1252_is_imported_but_damaged_utf8_is_not(world, personas):
    client = personas["admin"].client
    content = (CSV_HEADER + "\n35.73.02.1001,5,Jl. Café – Kauman,,,,,10,10,,,\n").encode("cp1252")
    response = post(client, content, "tps.csv")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Tps.objects.get(kelurahan=world.kel_a, number=5).address == "Jl. Café – Kauman"
    # Real UTF-8 accents plus one bad byte: a damaged UTF-8 file, not an Excel ANSI one.
    content = (CSV_HEADER + "\n35.73.02.1001,6,Jl. Café,,,,,10,10,,,\n"
               "35.73.02.1001,7,Jl. ").encode() + b"\xe9" + b",,,,,10,10,,,\n"
    before = snapshot()
    refused(post(client, content, "tps.csv"),
            "Berkas bukan teks UTF-8 (ada byte yang tidak terbaca di baris 3)")
    assert snapshot() == before


# --- row limit ------------------------------------------------------------------------------

@override_settings(POSKO_IMPORT_MAX_ROWS=2)
def test_xlsx_with_more_rows_than_allowed_is_refused_before_parsing(world, personas):
    before = snapshot()
    refused(post(personas["admin"].client, workbook(ROWS)),
            "Lembar kerja memiliki lebih dari 2 baris")
    assert snapshot() == before


@override_settings(POSKO_IMPORT_MAX_ROWS=2)
def test_csv_with_more_rows_than_allowed_is_refused(world, personas):
    lines = [CSV_HEADER] + [",".join("" if v is None else str(v) for v in row) for row in ROWS]
    before = snapshot()
    refused(post(personas["admin"].client, "\n".join(lines).encode(), "tps.csv"),
            "Berkas memiliki lebih dari 2 baris; bagi berkas menjadi beberapa bagian")
    assert snapshot() == before


# --- time budget ----------------------------------------------------------------------------

TIMEOUT_TEXT = "Impor dihentikan setelah"


@override_settings(POSKO_IMPORT_TIME_LIMIT=1e-9)
def test_import_over_the_time_limit_is_stopped_with_a_message(world, personas):
    before = snapshot()
    body = refused(post(personas["admin"].client, workbook(ROWS)), TIMEOUT_TEXT,
                   "Tidak ada yang disimpan", "Bagi berkas menjadi beberapa bagian")
    assert "Impor dihentikan setelah 0 detik" in body
    assert snapshot() == before


@override_settings(POSKO_IMPORT_TIME_LIMIT=0.5)
def test_time_out_after_writing_rolls_everything_back(world, personas, monkeypatch):
    write = TpsImporter.write

    def slow_write(self, objects):
        result = write(self, objects)  # the rows and their audit entries are written...
        assert Tps.objects.count() == 4 + 3
        time.sleep(0.6)  # ...then the budget runs out before the commit
        return result

    monkeypatch.setattr(TpsImporter, "write", slow_write)
    before = snapshot()
    refused(post(personas["admin"].client, workbook(ROWS)), "Impor dihentikan setelah 0,5 detik")
    assert snapshot() == before


@override_settings(POSKO_IMPORT_TIME_LIMIT=0.5)
def test_database_statement_running_at_the_deadline_is_interrupted(world, personas, monkeypatch):
    write = TpsImporter.write
    if connection.vendor == "postgresql":
        endless = "SELECT pg_sleep(30)"
    else:
        endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                   "WHERE i < 1000000000) SELECT count(*) FROM n")

    def stuck_write(self, objects):
        result = write(self, objects)
        with connection.cursor() as cursor:
            cursor.execute(endless)
        return result

    monkeypatch.setattr(TpsImporter, "write", stuck_write)
    before = snapshot()
    started = time.perf_counter()
    refused(post(personas["admin"].client, workbook(ROWS)), TIMEOUT_TEXT)
    assert time.perf_counter() - started < 5
    assert snapshot() == before
    # The connection is still usable afterwards.
    assert post(personas["admin"].client, workbook(ROWS)).status_code == 400


# --- every importer goes through the engine -----------------------------------------------

IMPORT_PAGES = [
    ("elections:tps_import", TpsImporter),
    ("logistics:plan_import", PlanImporter),
    ("workers:worker_import", WorkerImporter),
    ("workers:bpjs_import", BpjsReturnImporter),
    ("vulnerability:import", AssessmentImporter),
    ("outreach:turnout_import", TurnoutImporter),
    ("outreach:history_import", HistoryImporter),
]


@pytest.mark.parametrize(("url", "importer"), IMPORT_PAGES)
@override_settings(POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES=1_000_000)
def test_every_import_page_refuses_a_bomb_and_reports_formulas(world, personas, url, importer):
    client = personas["admin"].client
    assert client.get(reverse(url)).status_code == 200  # (sets up e.g. the default instrument)
    before = AuditEntry.objects.count()
    refused(post(client, bomb(2_000_000), url=url), "Berkas XLSX mengembang menjadi 2 MB")
    header = [column.name for column in importer.columns]
    data = workbook([["=1+1"] + ["x"] * (len(header) - 1)], header=header)
    refused(post(client, data, url=url), f"Baris 2, kolom {header[0]}: rumus tidak didukung")
    assert AuditEntry.objects.count() == before


# --- settings --------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "message"), [
    ("POSKO_IMPORT_TIME_LIMIT", "0", "POSKO_IMPORT_TIME_LIMIT='0' must be at least 1"),
    ("POSKO_IMPORT_MAX_ROWS", "200rb", "POSKO_IMPORT_MAX_ROWS='200rb' is not a whole number"),
])
def test_import_limits_are_read_strictly_from_the_environment(tmp_path, variable, value, message):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL",
                        "DJANGO_SETTINGS_MODULE"}}
    env.update({"DEBUG": "true", "POSKO_DATA_DIR": str(tmp_path), variable: value})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr
