"""The XLSX rendering of a report (one sheet per section, formulas neutralised)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from posko.core.exports import neutralise
from posko.core.reports.document import (
    Letterhead,
    Report,
    cell_text,
    generated_label,
)

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
