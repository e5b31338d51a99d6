"""Import templates (the XLSX/CSV files every import page offers) and their example row.

A template is the header and one example row: users learn the format from the example.
The example row is marked in the first column, ``no`` (the row-number column Indonesian
spreadsheets start with), by CONTOH; the XLSX also shows it in grey italics with a note.
An importer calls :meth:`ExampleRowMixin.refuse_example` first thing in ``build``: a row
marked CONTOH, or (unless the importer opts out) a row equal to the example in every
example column — a template saved without its ``no`` column, or one downloaded before the
mark existed — is refused with "Baris 2: ini baris contoh dari templat; …". So an untouched
template never changes data, and a file holding nothing but the example says so in one
message instead of "0 created, 1 updated".

The engine (``core.importer``) knows nothing of this: the mixin wraps ``run`` and the
importers' own ``build``.
"""

from __future__ import annotations

import io
import re

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from posko.core.exports import csv_response
from posko.core.importer import Column, ImportResult, parse_text

EXAMPLE_MARK = "CONTOH"
_MARK = re.compile(r"\s*contoh\b", re.IGNORECASE)

#: The first column of every template: a row number (ignored), CONTOH on the example row.
NO_COLUMN = Column(
    "no", gettext_lazy("No."), parse_text(40), aliases=("no_urut", "nomor_urut"),
    example=EXAMPLE_MARK,
    help=gettext_lazy("Row number, ignored. CONTOH marks the template's example row, which "
                      "is never imported."))

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def with_no(columns: list[Column]) -> list[Column]:
    """The columns of an import file, the ``no`` column first."""
    return [NO_COLUMN, *columns]


def example_row_message() -> str:
    return _("this is the template's example row; delete it or replace it with your data")


def _parsed_examples(columns) -> tuple[tuple[str, object], ...]:
    """(column, parsed example) pairs, the last columns first: they vary most from row to
    row (the first ones are often the same kelurahan), so a data row fails fast."""
    pairs = [(c.name, c.parse(c.example)) for c in columns
             if c.name != NO_COLUMN.name and c.example]
    return tuple(reversed(pairs))


def is_marked(values: dict) -> bool:
    mark = values.get(NO_COLUMN.name)
    return bool(mark) and isinstance(mark, str) and bool(_MARK.match(mark))


class ExampleRowMixin:
    """For an :class:`~posko.core.importer.Importer` whose columns carry examples: put it
    first in the bases and call ``self.refuse_example(row, values, error)`` at the top of
    ``build``."""

    #: Also refuse an unmarked row equal to the example in every example column. Off for
    #: an importer whose example is a plausible real row.
    match_untouched_example = True

    def refuse_example(self, row: int, values: dict, error) -> bool:
        """True (and a row error) when the row is the template's example."""
        marked = is_marked(values)
        if not marked and self.match_untouched_example:
            expected = getattr(self, "_examples", None)
            if expected is None:
                expected = self._examples = _parsed_examples(self.columns)
            marked = len(expected) >= 3 and all(
                name in values and values[name] == value for name, value in expected)
        if not marked:
            self._other_rows = getattr(self, "_other_rows", 0) + 1
            return False
        self._example_rows = getattr(self, "_example_rows", set()) | {row}
        error(None, example_row_message())
        return True

    def run(self, data: bytes, *args, **kwargs) -> ImportResult:
        self._example_rows, self._other_rows = set(), 0
        result = super().run(data, *args, **kwargs)
        example_rows = self._example_rows
        if (example_rows and not self._other_rows and not result.file_error
                and {e.row for e in result.errors} <= example_rows):
            result.file_error = " ".join([_(
                "The file holds only the template's example row: nothing was saved. Put your "
                "data in place of the example (or below it, then delete the example row) and "
                "upload the file again.")] + [str(e) for e in result.errors[:3]])
        return result


# --- the files ------------------------------------------------------------------------

def template_xlsx(sheet_title: str, columns: list[Column]) -> bytes:
    """The header in bold and the example row in grey italics, every cell text (so Excel
    keeps 001, a 16-digit NIK and 35.73.02.1001 as typed), a note on the CONTOH cell."""

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([c.name for c in columns])
    sheet.append([str(c.example) for c in columns])
    bold, example = Font(bold=True), Font(italic=True, color="808080")
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = bold
        cell = sheet.cell(row=2, column=index)
        cell.font = example
        cell.number_format = "@"
        width = max(len(column.name), len(str(column.example))) + 3
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 40)
        if column.name == NO_COLUMN.name:
            cell.comment = Comment(
                _("Example row: delete it or replace it with your data. A row marked CONTOH "
                  "is never imported."), "Posko")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_response(request, stem: str, sheet_title: str, columns: list[Column]):
    """The template as XLSX, or CSV with ``?format=csv``."""
    if request.GET.get("format") == "csv":
        return csv_response(f"{stem}.csv", [c.name for c in columns],
                            [[c.example for c in columns]])
    response = HttpResponse(template_xlsx(sheet_title, columns), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response
