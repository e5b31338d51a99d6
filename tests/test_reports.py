"""The report builder (posko.core.reports), its section registry, and the daily Desk
Pilkada report (coordination's sections, HTML preview, PDF and XLSX, scope)."""

from __future__ import annotations

import datetime
import io
import re
import zlib
import zoneinfo

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from posko.accounts.models import Agency
from posko.coordination import report as coordination_report
from posko.coordination.models import (
    Decision,
    Meeting,
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    Task,
)
from posko.core import reports
from posko.core.models import AuditEntry, Job
from posko.core.reports import Letterhead, Report, Section, Table
from posko.elections.models import Election, Stage

pytestmark = pytest.mark.django_db

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
DAY = datetime.date(2024, 11, 20)


def wib(day: datetime.date, hour=0, minute=0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=WIB)


# --- reading a PDF's text without a PDF library ----------------------------------------------

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(",
            b")": b")", b"\\": b"\\"}


def _read_string(content: bytes, i: int) -> tuple[str, int]:
    """The literal string starting after the "(" at ``i - 1``, unescaped, and where it ends."""
    depth, out, n = 1, bytearray(), len(content)
    while i < n:
        c = content[i:i + 1]
        if c == b"\\":
            nxt = content[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
            elif octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
            else:
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out).decode("cp1252", errors="replace"), i + 1
        out += c
        i += 1
    return bytes(out).decode("cp1252", errors="replace"), i


def _text_objects(content: bytes):
    """The text of each BT … ET text object of a content stream (its strings joined)."""
    i, n, current = 0, len(content), []
    while i < n:
        c = content[i:i + 1]
        if c == b"(":
            text, i = _read_string(content, i + 1)
            current.append(text)
            continue
        token = re.match(rb"[A-Za-z*'\"]+", content[i:i + 3])
        if token:
            if token.group() == b"ET" and current:
                yield "".join(current)
                current = []
            i += len(token.group())
            continue
        i += 1
    if current:
        yield "".join(current)


def pdf_text(data: bytes) -> str:
    """The text drawn in the PDF, one line per text object (streams are zlib-inflated)."""
    assert data.startswith(b"%PDF-")
    lines = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        # The end-of-line before "endstream" stays in the capture: a compressed stream may
        # itself end in a CR or LF byte, and decompressobj ignores what follows the data.
        raw = match.group(1)
        try:
            raw = zlib.decompressobj().decompress(raw)
        except zlib.error:
            pass
        if b"Tj" in raw or b"TJ" in raw:
            lines.extend(_text_objects(raw))
    return "\n".join(lines)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))


# --- the builder ---------------------------------------------------------------------------------

def sample_report(rows=3) -> Report:
    return Report(
        title="Laporan Uji – “Desk” • café",
        subtitle="Rabu, 20 November 2024",
        date=DAY,
        sections=[
            Section("Bagian Satu", ["Paragraf (dengan kurung) dan \\ garis miring.", "Panah → ✓ 😀"],
                    [Table(["Nama", "Jumlah"], [[f"Baris {i}", i] for i in range(rows)],
                           caption="Tabel A")]),
            Section("Bagian Dua", [], [Table(["Kolom"], [], empty="Tidak ada data.")]),
        ],
    )


def test_pdf_has_letterhead_title_sections_and_page_numbers():
    head = Letterhead("Pemerintah Kota Malang", ["Desk Pilkada"], ["Jl. Tugu No. 1, Malang 65119"])
    with translation.override("en"):
        data = reports.render_pdf(sample_report(), head)
    text = pdf_text(data)
    assert data.startswith(b"%PDF-") and pdf_pages(data) == 1
    for expected in ("PEMERINTAH KOTA MALANG", "Desk Pilkada", "Jl. Tugu No. 1, Malang 65119",
                     "Laporan Uji – “Desk” • café", "Rabu, 20 November 2024", "Bagian Satu",
                     "Paragraf (dengan kurung) dan \\ garis miring.", "Tabel A", "Nama", "Baris 2",
                     "Bagian Dua", "Tidak ada data.", "Page 1/1"):
        assert expected in text, expected
    # Characters outside Windows-1252 are replaced, never a crash.
    assert "Panah -> v ?" in text
    assert re.search(r"Generated \d\d-\d\d-\d{4} \d\d:\d\d WIB", text)


def test_pdf_page_numbers_count_every_page():
    with translation.override("en"):
        data = reports.render_pdf(sample_report(rows=150), Letterhead("Pemda Uji"))
    pages = pdf_pages(data)
    text = pdf_text(data)
    assert pages >= 3
    assert f"Page 1/{pages}" in text and f"Page {pages}/{pages}" in text
    assert "{nb}" not in text
    assert "Baris 149" in text
    assert text.count("Nama") >= pages - 1  # the header row repeats on every page of the table


def test_pdf_safe():
    assert reports.pdf_safe("Jalan – “Ijen” • é") == "Jalan – “Ijen” • é"
    assert reports.pdf_safe("a → b ✓ ṣ 😀\x00") == "a -> b v s ?"


def test_xlsx_has_a_sheet_per_section_and_neutralised_cells():
    report = sample_report()
    report.sections[0].tables[0].rows.append(["=HYPERLINK(\"http://x\")", 7])
    data = reports.render_xlsx(report, Letterhead("Pemerintah Kota Malang"))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[1:] == ["Bagian Satu", "Bagian Dua"]
    cover = [row[0] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert "Pemerintah Kota Malang" in cover and report.title in cover
    values = [row for row in book["Bagian Satu"].iter_rows(values_only=True)]
    assert ("Nama", "Jumlah") in values and ("Baris 2", 2) in values
    assert ("'=HYPERLINK(\"http://x\")", 7) in values
    assert ("Tidak ada data.",) in [tuple(v for v in row if v is not None)
                                    for row in book["Bagian Dua"].iter_rows(values_only=True)]


# --- the registry --------------------------------------------------------------------------------

@pytest.fixture
def dummy_sections():
    calls = []

    def dummy(day, user, election):
        calls.append((day, user))
        return Section("", [f"Isi bagian tiruan untuk {day.isoformat()}"])

    def nothing(day, user, election):
        calls.append(("nothing", day))
        return None

    reports.register_section("test.dummy", "Bagian Tiruan", dummy, order=5)
    reports.register_section("test.nothing", "Bagian Kosong", nothing, order=6)
    yield calls
    reports.unregister_section("test.dummy")
    reports.unregister_section("test.nothing")


def test_registry_calls_builders_in_order_and_skips_none(dummy_sections, users):
    report = reports.build_report(DAY, users["admin"], Election.active(), title="Uji")
    keys = [s.key for s in report.sections]
    assert keys[0] == "test.dummy" and "test.nothing" not in keys
    assert report.sections[0].title == "Bagian Tiruan"
    assert ("nothing", DAY) in dummy_sections and (DAY, users["admin"]) in dummy_sections
    assert keys == sorted(keys, key=lambda k: next(s.order for s in reports.registered_sections()
                                                   if s.key == k))
    only = reports.build_report(DAY, users["admin"], Election.active(), title="Uji", keys=["test.dummy"])
    assert [s.key for s in only.sections] == ["test.dummy"]


def test_registered_section_appears_in_the_daily_report(dummy_sections, personas):
    client = personas["pemantau"].client
    page = client.get(reverse("coordination:report"), {"date": "2024-11-20"}).content.decode()
    assert "Bagian Tiruan" in page and "Isi bagian tiruan untuk 2024-11-20" in page
    assert "Bagian Kosong" not in page
    pdf = client.get(reverse("coordination:report"), {"date": "2024-11-20", "format": "pdf"})
    assert "Isi bagian tiruan untuk 2024-11-20" in pdf_text(pdf.content)


@override_settings(POSKO_EXPORT_BACKGROUND_ROWS=1)
def test_a_large_daily_report_is_prepared_by_a_job_for_its_requester(dummy_sections, personas,
                                                                     django_capture_on_commit_callbacks):
    """A province's desk (as many TPS as a large export): the PDF/XLSX comes from a job, in
    the requester's scope; only they can download it; it is audited like the direct file."""
    client = personas["pemantau"].client
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("coordination:report"), {"date": "2024-11-20", "format": "pdf"})
    job = Job.objects.get(kind="coordination.daily_report")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.file_name) == ("done", "laporan-harian-2024-11-20.pdf"), job.error
    pdf = b"".join(client.get(f"/pekerjaan/{job.pk}/unduh/").streaming_content)
    assert "Isi bagian tiruan untuk 2024-11-20" in pdf_text(pdf)
    assert personas["admin"].client.get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
    assert AuditEntry.objects.filter(action="export", object_repr="laporan harian",
                                     message="pdf: 2024-11-20").count() == 1
    # The HTML preview stays in the request.
    assert client.get(reverse("coordination:report"), {"date": "2024-11-20"}).status_code == 200


def test_coordination_registers_its_sections_and_letterhead_at_startup(monkeypatch):
    monkeypatch.setattr(reports.document, "_sections", {})
    monkeypatch.setattr(reports.document, "_letterhead_provider", None)
    apps.get_app_config("coordination").ready()
    assert {"coordination.stages", "coordination.completed", "coordination.overdue",
            "coordination.meetings", "coordination.checklists"} <= set(reports.document._sections)
    assert reports.document._letterhead_provider is coordination_report.letterhead


# --- the daily report ----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _sections_registered():
    coordination_report.register()  # what CoordinationConfig.ready() does


@pytest.fixture
def desk(world, users):
    """A day of Desk Pilkada work on 20 Nov 2024."""
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    satpol = Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP")
    kpu = Agency.objects.create(name="KPU Kota Malang", short_name="KPU", kind="mitra")
    election = world.election
    Stage.objects.create(election=election, name="Kampanye", start_date=datetime.date(2024, 9, 25),
                         end_date=datetime.date(2024, 11, 23), owner=kpu)
    Stage.objects.create(election=election, name="Masa tenang", start_date=datetime.date(2024, 11, 24),
                         end_date=datetime.date(2024, 11, 26), owner=kpu)
    before = wib(DAY - datetime.timedelta(days=30), 8)

    def task(title, agency, **kw):
        kw.setdefault("created_at", before)
        kw.setdefault("due_at", wib(DAY + datetime.timedelta(days=5), 16))
        return Task.objects.create(election=election, title=title, agency=agency, **kw)

    t = {
        "done_a": task("Selesai Klojen", dinkes, kelurahan=world.kel_a, kecamatan=world.kec_a,
                       status="selesai", completed_at=wib(DAY, 10, 30)),
        "done_b": task("Selesai Jodipan", dinkes, kelurahan=world.kel_b, kecamatan=world.kec_b,
                       status="selesai", completed_at=wib(DAY, 11)),
        "done_before": task("Selesai kemarin", dinkes, status="selesai",
                            completed_at=wib(DAY - datetime.timedelta(days=1), 15)),
        "late_a": task("Terlambat Klojen", satpol, kelurahan=world.kel_a, kecamatan=world.kec_a,
                       due_at=wib(DAY - datetime.timedelta(days=3), 16)),
        "late_b": task("Terlambat Jodipan", satpol, kelurahan=world.kel_b, kecamatan=world.kec_b,
                       due_at=wib(DAY - datetime.timedelta(days=2), 16)),
        # Due that day, done only the next day: overdue at the end of the day.
        "late_then_done": task("Terlambat lalu selesai", dinkes, due_at=wib(DAY, 16), status="selesai",
                               completed_at=wib(DAY + datetime.timedelta(days=1), 9)),
        # Created after the day: not part of that day's picture.
        "created_later": task("Dibuat kemudian", dinkes, created_at=wib(DAY + datetime.timedelta(days=2)),
                              due_at=wib(DAY - datetime.timedelta(days=1), 16)),
    }
    meeting = Meeting.objects.create(election=election, title="Rakor Kesiapan Logistik",
                                     starts_at=wib(DAY, 9), place="Balai Kota", chair="Sekda")
    meeting.agencies.set([dinkes, satpol])
    Decision.objects.create(meeting=meeting, text="Satpol PP menertibkan APK", agency=satpol,
                            task=t["late_a"], order=1)
    Decision.objects.create(meeting=meeting, text="Dinkes siagakan ambulans", agency=dinkes, order=2)
    Meeting.objects.create(election=election, title="Rapat hari lain", starts_at=wib(DAY + datetime.timedelta(days=1), 9),
                           place="Balai Kota", chair="Sekda")
    checklist = SupervisionChecklist.objects.create(election=election, stage=Stage.objects.get(name="Kampanye"),
                                                    title="Pengawasan APK", level="kelurahan")
    items = [SupervisionItem.objects.create(checklist=checklist, text=f"Butir {i}", order=i)
             for i in range(2)]
    answer = SupervisionResponse.objects.create
    answer(item=items[0], kecamatan=world.kec_a, kelurahan=world.kel_a, answer="met",
           responded_at=wib(DAY, 8))
    answer(item=items[1], kecamatan=world.kec_a, kelurahan=world.kel_a, answer="unmet",
           responded_at=wib(DAY, 8))
    answer(item=items[0], kecamatan=world.kec_a, kelurahan=world.kel_a2, answer="met",
           responded_at=wib(DAY, 8))
    answer(item=items[1], kecamatan=world.kec_a, kelurahan=world.kel_a2, answer="met",
           responded_at=wib(DAY + datetime.timedelta(days=1), 8))  # after the day: not counted
    answer(item=items[0], kecamatan=world.kec_b, kelurahan=world.kel_b, answer="na",
           responded_at=wib(DAY, 8))
    return {"tasks": t, "meeting": meeting, "satpol": satpol, "dinkes": dinkes}


def section(report, key) -> Section:
    return next(s for s in report.sections if s.key == key)


def test_daily_report_sections_for_the_whole_pemda(desk, users):
    with translation.override("en"):
        report = coordination_report.daily_report(DAY, users["admin"], Election.active())
    stages = section(report, "coordination.stages")
    assert [row[0] for row in stages.tables[0].rows] == ["Kampanye"]
    assert stages.tables[0].rows[0][3] == "KPU"
    assert "H-7" in stages.paragraphs[0]

    completed = section(report, "coordination.completed")
    assert [row[0] for row in completed.tables[0].rows] == ["Selesai Klojen", "Selesai Jodipan"]
    assert completed.tables[0].rows[0][3] == "10:30"

    overdue = section(report, "coordination.overdue")
    assert overdue.tables[0].rows == [["Satpol PP", 2], ["Dinkes", 1]]
    listed = {row[0] for table in overdue.tables[1:] for row in table.rows}
    assert listed == {"Terlambat Klojen", "Terlambat Jodipan", "Terlambat lalu selesai"}
    satpol = next(t for t in overdue.tables[1:] if t.caption.startswith("Satpol PP"))
    assert [row[0] for row in satpol.rows] == ["Terlambat Klojen", "Terlambat Jodipan"]
    assert satpol.rows[0][3] == 3  # days overdue

    meetings = section(report, "coordination.meetings")
    assert [row[1] for row in meetings.tables[0].rows] == ["Rakor Kesiapan Logistik"]
    decisions = meetings.tables[1].rows
    assert [row[1] for row in decisions] == ["Satpol PP menertibkan APK", "Dinkes siagakan ambulans"]
    assert decisions[0][5] == "Not started" and decisions[1][5] == "no task yet"

    checklists = section(report, "coordination.checklists")
    rows = {row[0]: row for row in checklists.tables[1].rows}
    # Klojen: 2 items × 2 kelurahan expected, 3 answered by the end of the day, 2 met of 3 applicable.
    assert rows["Klojen"] == ["Klojen", 4, 3, 75, 2, 1, 67]
    assert rows["Blimbing"] == ["Blimbing", 2, 1, 50, 0, 0, None]
    assert rows["Total"] == ["Total", 6, 4, 67, 2, 1, 67]


def test_overdue_lists_the_oldest_ten_per_agency(world, users):
    agency = Agency.objects.get(name="Dinas Kesehatan")
    for i in range(12):
        Task.objects.create(election=world.election, title=f"Lama {i:02d}", agency=agency,
                            created_at=wib(DAY - datetime.timedelta(days=40)),
                            due_at=wib(DAY - datetime.timedelta(days=20 - i), 16))
    overdue = coordination_report.overdue_section(DAY, users["admin"], Election.active())
    assert overdue.tables[0].rows == [["Dinkes", 12]]
    assert [row[0] for row in overdue.tables[1].rows] == [f"Lama {i:02d}" for i in range(10)]


def test_daily_report_pdf_and_audit(desk, personas, settings):
    settings.POSKO_LETTERHEAD_ADDRESS = "Jl. Tugu No. 1 Malang | Telp. (0341) 326611"
    client = personas["admin"].client
    client.cookies["django_language"] = "en"
    response = client.get(reverse("coordination:report"), {"date": "2024-11-20", "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "laporan-harian-2024-11-20.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in ("PEMERINTAH KOTA MALANG", "Jl. Tugu No. 1 Malang", "Telp. (0341) 326611",
                     "Desk Pilkada daily report", "Current stages", "Kampanye", "Selesai Klojen",
                     "Selesai Jodipan", "Overdue tasks by agency", "Terlambat Klojen",
                     "Rakor Kesiapan Logistik", "Satpol PP menertibkan APK", "Pengawasan APK",
                     "Klojen", "Page 1/"):
        assert expected in text, expected
    assert "Selesai kemarin" not in text and "Rapat hari lain" not in text
    assert "Dibuat kemudian" not in text
    entry = AuditEntry.objects.get(action="export")
    assert entry.object_repr == "laporan harian" and entry.username == "admin"
    assert entry.message == "pdf: 2024-11-20"


def test_daily_report_xlsx(desk, personas):
    response = personas["admin"].client.get(reverse("coordination:report"),
                                            {"date": "2024-11-20", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    # The cover, then the five coordination sections first (other modules' sections follow).
    assert book.sheetnames[0] and len(book.sheetnames[1:6]) == 5
    assert all(name.startswith(("Tahapan", "Tugas", "Rapat", "Daftar")) for name in book.sheetnames[1:6]), \
        book.sheetnames
    cells = {v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for v in row if v is not None}
    assert {"Selesai Klojen", "Terlambat Jodipan", "Rakor Kesiapan Logistik",
            "Dinkes siagakan ambulans", "Pengawasan APK"} <= cells
    assert AuditEntry.objects.filter(action="export", message="xlsx: 2024-11-20").count() == 1


def test_preview_page_has_no_audit_row_and_links_to_files(desk, personas):
    response = personas["admin"].client.get(reverse("coordination:report"), {"date": "2024-11-20"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Selesai Klojen" in page and "Rakor Kesiapan Logistik" in page
    assert "?date=2024-11-20&amp;format=pdf" in page and "?date=2024-11-20&amp;format=xlsx" in page
    assert not AuditEntry.objects.filter(action="export").exists()


def test_a_lurah_report_covers_only_what_the_lurah_sees(desk, personas):
    client = personas["kelurahan_a"].client
    page = client.get(reverse("coordination:report"), {"date": "2024-11-20"}).content.decode()
    pdf = pdf_text(client.get(reverse("coordination:report"),
                              {"date": "2024-11-20", "format": "pdf"}).content)
    xlsx = load_workbook(io.BytesIO(client.get(reverse("coordination:report"),
                                               {"date": "2024-11-20", "format": "xlsx"}).content))
    cells = {v for sheet in xlsx.worksheets for row in sheet.iter_rows(values_only=True) for v in row}
    for text in (page, pdf):
        assert "Selesai Klojen" in text and "Terlambat Klojen" in text
        assert "Selesai Jodipan" not in text and "Terlambat Jodipan" not in text
    assert "Selesai Klojen" in cells and "Selesai Jodipan" not in cells
    with translation.override("en"):
        report = coordination_report.daily_report(DAY, personas["kelurahan_a"].user, Election.active())
    rows = section(report, "coordination.checklists").tables[1].rows
    assert rows == [["Klojen", 2, 2, 100, 1, 1, 50]]  # only the lurah's own kelurahan
    # The admin's report does list the other kelurahan's work.
    admin_page = personas["admin"].client.get(reverse("coordination:report"),
                                              {"date": "2024-11-20"}).content.decode()
    assert "Selesai Jodipan" in admin_page


def test_kecamatan_level_checklists_count_once_per_kecamatan(desk, users, world):
    stage = Stage.objects.get(name="Kampanye")
    checklist = SupervisionChecklist.objects.create(election=world.election, stage=stage,
                                                    title="Rapat camat", level="kecamatan")
    item = SupervisionItem.objects.create(checklist=checklist, text="Rapat dengan PPK")
    SupervisionResponse.objects.create(item=item, kecamatan=world.kec_a, answer="met",
                                       responded_at=wib(DAY, 9))
    # An answer filed against a kelurahan does not count for a kecamatan-level checklist.
    SupervisionResponse.objects.create(item=item, kecamatan=world.kec_b, kelurahan=world.kel_b,
                                       answer="met", responded_at=wib(DAY, 9))

    def rows(persona):
        report = coordination_report.daily_report(DAY, users[persona], Election.active())
        return {row[0]: row[1:4] for row in section(report, "coordination.checklists").tables[1].rows}

    with translation.override("en"):
        assert rows("admin")["Klojen"] == [5, 4, 80] and rows("admin")["Blimbing"] == [3, 1, 33]
        assert rows("kecamatan_a") == {"Klojen": [5, 4, 80]}
        assert rows("kelurahan_a") == {"Klojen": [2, 2, 100]}  # the lurah sees no camat answers


def test_report_dates(world, personas, monkeypatch):
    client = personas["admin"].client
    url = reverse("coordination:report")
    assert client.get(url, {"date": "20-11-2024"}).status_code == 400
    assert client.get(url, {"date": "2024-02-30", "format": "pdf"}).status_code == 400
    assert not AuditEntry.objects.filter(action="export").exists()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: DAY)
    page = client.get(url).content.decode()
    assert 'value="2024-11-20"' in page and "?date=2024-11-19" in page


@pytest.mark.parametrize("persona", ["admin", "kecamatan_a", "kelurahan_a", "kelurahan_b", "agency",
                                     "pemantau", "anonymous"])
def test_report_personas(world, personas, persona):
    response = personas[persona].client.get(reverse("coordination:report"), {"date": "2024-11-20"})
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/masuk/")
    else:
        assert response.status_code == 200


def test_report_queries_do_not_grow_with_rows(desk, users, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            coordination_report.daily_report(DAY, users["admin"], Election.active())
        return len(queries)

    count()  # the Pemda is cached after the first query
    before = count()
    for i in range(5):
        agency = Agency.objects.create(name=f"Instansi {i}")
        for j in range(12):
            Task.objects.create(election=world.election, title=f"Tugas {i}-{j}", agency=agency,
                                created_at=wib(DAY - datetime.timedelta(days=30)),
                                due_at=wib(DAY - datetime.timedelta(days=j + 1), 16))
        Meeting.objects.create(election=world.election, title=f"Rapat {i}", place="Balai Kota",
                               chair="Sekda", starts_at=wib(DAY, 10 + i)).agencies.set([agency])
    assert count() == before


def test_report_without_active_election(world, users):
    world.election.is_active = False
    world.election.save()
    with translation.override("en"):
        report = coordination_report.daily_report(DAY, users["admin"], Election.active())
    assert section(report, "coordination.stages").paragraphs == ["There is no active election."]
    reports.render_pdf(report, coordination_report.letterhead())  # still prints
