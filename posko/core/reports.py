"""Printable reports: a small document model, its PDF and XLSX renderings, and the
registry of sections that modules contribute to the daily Desk Pilkada report.

A report is plain data: :class:`Report` holds :class:`Section` objects, each with
paragraphs and :class:`Table` objects. Builders produce that data; :func:`render_pdf`
(fpdf2, A4 portrait, the Pemda's letterhead on the first page, "Page n/m" and the
generation time in the footer) and :func:`render_xlsx` (one sheet per section,
spreadsheet formulas neutralised) turn it into files.

Modules add sections to the daily report with :func:`register_section` in their
``AppConfig.ready()``; :func:`build_report` calls every registered builder in order,
so a module that is not installed simply contributes nothing. Core imports no app:
the letterhead comes from a provider registered with
:func:`register_letterhead_provider`, like the Pemda provider of ``core.scope``.

The PDF uses the PDF core font Helvetica (no font file to ship, small output). Its
encoding is Windows-1252, which covers Indonesian text and the usual typography
("–", "•", "é", curly quotes); any other character is replaced by a close ASCII
equivalent or "?" (:func:`pdf_safe`).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from posko.core.exports import neutralise

# --- the document model ---------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list] = field(default_factory=list)
    caption: str = ""
    # Shown instead of the table when it has no rows (nothing is shown when empty).
    empty: str = ""
    # Relative column widths; guessed from the content when None.
    widths: list[float] | None = None


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    key: str = ""  # the registry key that built it (set by build_report)


@dataclass
class Report:
    title: str
    subtitle: str = ""
    date: datetime.date | None = None
    sections: list[Section] = field(default_factory=list)
    generated_at: datetime.datetime | None = None

    def __post_init__(self):
        if self.generated_at is None:
            self.generated_at = timezone.now()


@dataclass
class Letterhead:
    """The block at the top of the first page (kop surat)."""

    name: str  # e.g. "Pemerintah Kota Malang" (printed in capitals)
    lines: list[str] = field(default_factory=list)  # e.g. "Desk Pilkada", printed bold
    address_lines: list[str] = field(default_factory=list)


# --- letterhead provider ----------------------------------------------------------------------

_letterhead_provider: Callable[[], Letterhead | None] | None = None


def register_letterhead_provider(provider: Callable[[], Letterhead | None]) -> None:
    """``provider()`` returns the :class:`Letterhead` to print, or None for the default."""
    global _letterhead_provider
    _letterhead_provider = provider


def current_letterhead() -> Letterhead:
    """The registered provider's letterhead, or a plain "Posko / Desk Pilkada" one."""
    found = _letterhead_provider() if _letterhead_provider else None
    return found or Letterhead(name="Posko", lines=[_("Desk Pilkada")])


# --- the section registry ---------------------------------------------------------------------

SectionBuilder = Callable[[datetime.date, object, object], "Section | None"]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: object  # str or lazy translation; used when the builder leaves the title empty
    builder: SectionBuilder
    order: int


_sections: dict[str, SectionSpec] = {}


def register_section(key: str, title, builder: SectionBuilder, order: int = 100) -> None:
    """Add (or replace: registering twice is harmless) a section of the daily report.

    ``builder(report_date, user, election)`` returns a :class:`Section` about ``election``
    (None when there is no election) limited to what ``user`` may see, or None when it has
    nothing to say. Sections print by ``order``, then key.
    """
    _sections[key] = SectionSpec(key, title, builder, order)


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def registered_sections() -> list[SectionSpec]:
    return sorted(_sections.values(), key=lambda spec: (spec.order, spec.key))


def build_report(report_date: datetime.date, user, election, title: str, subtitle: str = "",
                 keys: Sequence[str] | None = None) -> Report:
    """Call every registered builder (or those named in ``keys``) in order.

    A builder's exception is not swallowed: a report sent to the Wali Kota with a section
    silently missing would be worse than an error page."""
    report = Report(title=title, subtitle=subtitle, date=report_date)
    for spec in registered_sections():
        if keys is not None and spec.key not in keys:
            continue
        section = spec.builder(report_date, user, election)
        if section is None:
            continue
        section.key = spec.key
        if not section.title:
            section.title = str(spec.title)
        report.sections.append(section)
    return report


# --- text helpers -----------------------------------------------------------------------------

PDF_ENCODING = "windows-1252"
_REPLACEMENTS = {
    "\u2192": "->", "\u2190": "<-", "\u2194": "<->", "\u21d2": "=>",
    "\u2713": "v", "\u2714": "v", "\u2717": "x", "\u2718": "x",
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2015": "-",
    "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2248": "~",
    "\u2022": "\u2022", "\u25cf": "\u2022", "\u25aa": "\u2022", "\u25e6": "\u2022",
    "\u2605": "*", "\u2606": "*", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "",
    "\ufeff": "",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def pdf_safe(value) -> str:
    """Text the PDF core fonts can print: Windows-1252, with other characters replaced."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = _CONTROL.sub("", text)
    try:
        text.encode(PDF_ENCODING)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        try:
            char.encode(PDF_ENCODING)
        except UnicodeEncodeError:
            # "ṣ" -> "s", "ﬁ" -> "fi"; anything else (emoji, CJK…) -> "?"
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            try:
                base.encode(PDF_ENCODING)
                char = base or "?"
            except UnicodeEncodeError:
                char = "?"
        out.append(char)
    return "".join(out)


def cell_text(value) -> str:
    """How a table value is printed in the PDF and shown in HTML."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d-%m-%Y %H:%M") if timezone.is_aware(value) \
            else value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def generated_label(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return _("Generated %(time)s") % {"time": f"{local:%d-%m-%Y %H:%M} {local.tzname() or ''}".strip()}


# --- PDF --------------------------------------------------------------------------------------

PDF_MAX_CELL_CHARS = 1500  # a longer cell is cut: one cell must never outgrow a page


def _pdf_class():
    class ReportPDF(FPDF):
        footer_left = ""

        def footer(self):
            self.set_y(-13)
            self.set_font("Helvetica", "", 7.5)
            self.set_text_color(90, 90, 90)
            self.set_draw_color(180, 180, 180)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.cell(0, 6, pdf_safe(self.footer_left), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, pdf_safe(_("Page %(page)s/%(pages)s") % {
                "page": self.page_no(), "pages": "{nb}"}), align="R")
            self.set_text_color(0, 0, 0)

    return ReportPDF


def _column_widths(table: Table, columns: int) -> list[float]:
    if table.widths and len(table.widths) == columns:
        return list(table.widths)
    weights = []
    for index in range(columns):
        header = str(table.header[index]) if index < len(table.header) else ""
        values = [cell_text(row[index]) for row in table.rows[:200] if index < len(row)]
        longest_word = max((len(w) for w in header.split()), default=4)
        average = sum(len(v) for v in values) / len(values) if values else len(header)
        weights.append(min(max(average, longest_word, 4), 45))
    return weights


def _text_width(pdf):
    """A fast width function for the current core font (mm), same as get_string_width."""
    widths = pdf.current_font.cw
    scale = pdf.font_size_pt * 0.001 / pdf.k

    def width(text: str) -> float:
        return sum(widths[c] for c in text.encode(PDF_ENCODING).decode("latin-1")) * scale

    return width


def _wrap(text: str, room: float, width) -> list[str]:
    """Break ``text`` into lines no wider than ``room`` (words first, long words by character)."""
    lines = []
    space = width(" ")
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = width(word)
            if line and line_width + space + word_width <= room:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            while word_width > room and len(word) > 1:  # a word wider than the cell: cut it
                fits, over = 1, len(word) - 1
                while fits < over:  # the longest prefix that fits
                    middle = (fits + over + 1) // 2
                    if width(word[:middle]) <= room:
                        fits = middle
                    else:
                        over = middle - 1
                lines.append(word[:fits])
                word = word[fits:]
                word_width = width(word)
            line, line_width = word, word_width
        lines.append(line)
    return lines


def _pdf_table(pdf, table: Table) -> None:
    """A table with a shaded header row (repeated on every page), wrapping cells and numbers
    aligned right. Drawn directly (text, rect): several times faster than a generic layout
    engine, which matters for reports with hundreds of rows."""
    columns = max([len(table.header), *(len(r) for r in table.rows)])
    if columns == 0:
        return
    header = [pdf_safe(h) for h in table.header] + [""] * (columns - len(table.header))
    right = []
    for i in range(columns):
        values = [r[i] for r in table.rows if i < len(r) and r[i] not in (None, "")]
        right.append(bool(values) and all(_is_number(v) for v in values))
    weights = _column_widths(table, columns)
    widths = [pdf.epw * w / sum(weights) for w in weights]
    size, line_h, pad_x, pad_y = 8.5, 3.9, 1.2, 1.0
    max_lines = max(1, int((pdf.page_break_trigger - pdf.t_margin - 30) / line_h))

    def layout(cells, bold):
        pdf.set_font("Helvetica", "B" if bold else "", size)
        width = _text_width(pdf)
        lines = []
        for text, column_width in zip(cells, widths, strict=True):
            wrapped = _wrap(text, column_width - 2 * pad_x, width)
            if len(wrapped) > max_lines:
                wrapped = wrapped[:max_lines - 1] + [wrapped[max_lines - 1] + " …"]
            lines.append(wrapped)
        return lines, max(len(cell) for cell in lines) * line_h + 2 * pad_y, width

    def draw(laid_out, shaded):
        lines, height, width = laid_out
        pdf.set_font("Helvetica", "B" if shaded else "", size)
        x, y = pdf.l_margin, pdf.get_y()
        for index, (cell, column_width) in enumerate(zip(lines, widths, strict=True)):
            pdf.rect(x, y, column_width, height, style="DF" if shaded else "D")
            for number, line in enumerate(cell):
                baseline = y + pad_y + number * line_h + line_h * 0.74
                left = x + column_width - pad_x - width(line) if right[index] else x + pad_x
                pdf.text(left, baseline, line)
            x += column_width
        pdf.set_xy(pdf.l_margin, y + height)

    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(228, 232, 238)
    head = layout(header, True)
    if pdf.get_y() + head[1] + line_h + 2 * pad_y > pdf.page_break_trigger:
        pdf.add_page()
    draw(head, True)
    for values in table.rows:
        cells = []
        for index in range(columns):
            text = cell_text(values[index]) if index < len(values) else ""
            if len(text) > PDF_MAX_CELL_CHARS:
                text = text[:PDF_MAX_CELL_CHARS] + "…"
            cells.append(pdf_safe(text))
        row = layout(cells, False)
        if pdf.get_y() + row[1] > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_fill_color(228, 232, 238)
            draw(head, True)
        draw(row, False)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)


def render_pdf(report: Report, letterhead: Letterhead | None = None) -> bytes:
    """The report as an A4 portrait PDF."""
    head = letterhead or current_letterhead()
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.footer_left = f"Posko · {generated_label(report.generated_at)}"
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(pdf_safe(report.title))
    pdf.set_creator("Posko")
    pdf.set_author(pdf_safe(head.name))
    pdf.add_page()

    # Letterhead (kop surat)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 6.5, pdf_safe(head.name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    for line in head.lines:
        if line:
            pdf.multi_cell(0, 5.5, pdf_safe(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    for line in head.address_lines:
        if line:
            pdf.multi_cell(0, 4.2, pdf_safe(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + 1.2, pdf.w - pdf.r_margin, y + 1.2)
    pdf.ln(5)

    # Title
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 6, pdf_safe(report.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    if report.subtitle:
        pdf.multi_cell(0, 5, pdf_safe(report.subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    for section in report.sections:
        if pdf.get_y() > pdf.h - 45:  # keep a heading with the start of its content
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_fill_color(240, 240, 240)
        pdf.multi_cell(0, 6.5, pdf_safe(section.title), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_font("Helvetica", "", 9.5)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 4.8, pdf_safe(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        for table in section.tables:
            if table.caption:
                if pdf.get_y() > pdf.h - 35:
                    pdf.add_page()
                pdf.set_font("Helvetica", "B", 9.5)
                pdf.multi_cell(0, 5, pdf_safe(table.caption), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.5)
            if not table.rows:
                if table.empty:
                    pdf.set_font("Helvetica", "I", 9.5)
                    pdf.multi_cell(0, 4.8, pdf_safe(table.empty), new_x="LMARGIN", new_y="NEXT")
                    pdf.ln(1.5)
                continue
            _pdf_table(pdf, table)
        pdf.ln(2)
    return bytes(pdf.output())


# --- XLSX -------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", title).strip().strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def _xlsx_value(value):
    value = neutralise(value)
    if isinstance(value, Decimal):
        value = float(value)
    return value


def render_xlsx(report: Report, letterhead: Letterhead | None = None) -> bytes:
    """The report as a workbook: a cover sheet, then one sheet per section."""

    bold, big = Font(bold=True), Font(bold=True, size=13)
    fill = PatternFill("solid", fgColor="E4E8EE")
    wrap = Alignment(wrap_text=True, vertical="top")
    workbook = Workbook()
    used: set[str] = set()
    cover = workbook.active
    cover.title = _sheet_title(_("Report"), used)
    if letterhead is not None:
        cover.append([_xlsx_value(letterhead.name)])
        for line in [*letterhead.lines, *letterhead.address_lines]:
            cover.append([_xlsx_value(line)])
        cover.append([])
    cover.append([_xlsx_value(report.title)])
    cover.cell(row=cover.max_row, column=1).font = big
    if report.subtitle:
        cover.append([_xlsx_value(report.subtitle)])
    if report.date:
        cover.append([_("Date"), report.date])
        cover.cell(row=cover.max_row, column=2).number_format = "DD-MM-YYYY"
    cover.append([_xlsx_value(generated_label(report.generated_at))])
    cover.append([])
    cover.append([_("Sections")])
    cover.cell(row=cover.max_row, column=1).font = bold
    for section in report.sections:
        cover.append([_xlsx_value(section.title)])
    cover.column_dimensions["A"].width = 60
    cover.column_dimensions["B"].width = 14

    for section in report.sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, used))
        sheet.append([_xlsx_value(section.title)])
        sheet.cell(row=1, column=1).font = big
        for paragraph in section.paragraphs:
            sheet.append([_xlsx_value(paragraph)])
        widths: dict[int, int] = {}
        for table in section.tables:
            sheet.append([])
            if table.caption:
                sheet.append([_xlsx_value(table.caption)])
                sheet.cell(row=sheet.max_row, column=1).font = bold
            if not table.rows:
                if table.empty:
                    sheet.append([_xlsx_value(table.empty)])
                continue
            sheet.append([_xlsx_value(h) for h in table.header])
            for column in range(1, len(table.header) + 1):
                cell = sheet.cell(row=sheet.max_row, column=column)
                cell.font, cell.fill = bold, fill
            for values in table.rows:
                sheet.append([_xlsx_value(v) for v in values])
                for column, value in enumerate(values, start=1):
                    length = min(len(cell_text(value)), 60)
                    widths[column] = max(widths.get(column, 8), length + 2)
                    if length >= 60:
                        sheet.cell(row=sheet.max_row, column=column).alignment = wrap
            for column, header in enumerate(table.header, start=1):
                widths[column] = max(widths.get(column, 8), min(len(str(header)) + 2, 40))

        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
