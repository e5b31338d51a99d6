"""Reading an import file: the upload's size, the format (CSV in UTF-8, UTF-16 or
Windows-1252 with its delimiter guessed; XLSX through the bounded streaming reader), and
the file-level errors ("the file is empty", "old .xls", "not UTF-8 on line N"…). The
import engine (``core.importer``) validates the rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from posko.core import xlsx_reader

MAX_COLUMNS = 60
#: Different texts an XLSX file may hold per allowed row (3 million at 200,000 rows).
SHARED_STRINGS_PER_ROW = 15


class ImportFileError(Exception):
    """The file as a whole cannot be read; nothing was changed."""


class ImportTimeout(ImportFileError):
    """The import ran past ``POSKO_IMPORT_TIME_LIMIT``; nothing was changed."""


def _timeout_error(seconds: float | None = None) -> ImportTimeout:
    seconds = seconds or settings.POSKO_IMPORT_TIME_LIMIT
    return ImportTimeout(_(
        "The import was stopped after %(seconds)s seconds: the file takes too long to process "
        "on this server. Nothing was saved. Split the file into smaller parts (for example one "
        "per kecamatan) and import them one after the other.") % {
        "seconds": f"{round(seconds, 1):g}".replace(".", ",")})


XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_rows() -> int:
    """Data rows an import accepts (``POSKO_IMPORT_MAX_ROWS``)."""
    return settings.POSKO_IMPORT_MAX_ROWS


def _thousands(number) -> str:
    return f"{number:,}".replace(",", ".")


def _read_xlsx(data: bytes, check: Callable[[], None]) -> Iterator[list[str]]:
    limits = xlsx_reader.Limits(
        max_uncompressed=settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES,
        max_rows=max_rows(), max_columns=MAX_COLUMNS + 1,
        max_shared_strings=SHARED_STRINGS_PER_ROW * max_rows())
    try:
        yield from xlsx_reader.rows(data, limits, check)
    except xlsx_reader.XlsxError as exc:
        raise ImportFileError(str(exc)) from None


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:65536]:
        raise ImportFileError(_(
            "The file contains binary data: it is not a CSV text file or an XLSX workbook."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # Excel's plain "CSV (Comma delimited)" on an Indonesian Windows writes Windows-1252.
        # Taken as such only when no valid UTF-8 accent appears (not a damaged UTF-8 file).
        if not _HAS_UTF8_ACCENT.search(data):
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        raise ImportFileError(_(
            "The file is not UTF-8 text (unreadable byte on line %(line)s). In Excel use "
            "'Save As' → 'CSV UTF-8 (Comma delimited)', or upload the XLSX file."
        ) % {"line": line}) from None


_HAS_UTF8_ACCENT = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _read_csv(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    first_line = text[:65536].split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise ImportFileError(_(
                "Line %(line)s: a cell holds more than %(max)s characters (often a quotation "
                "mark that is never closed); the file is refused.") % {"line": reader.line_num,
                               "max": _thousands(csv.field_size_limit())}) from None
        raise ImportFileError(_(
            "The CSV file is malformed near line %(line)s: check its quotation marks, or save "
            "it again from Excel as 'CSV UTF-8 (Comma delimited)'.") % {
            "line": reader.line_num}) from None


def read_rows(data: bytes, filename: str = "", *,
              check: Callable[[], None] = lambda: None) -> Iterator[list[str]]:
    """Rows of cells (as text) of a CSV or XLSX file, header first. ``check`` is called
    while an XLSX file is read (the import's time budget)."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(_(
            "Old Excel .xls files are not supported: save the file as .xlsx or CSV UTF-8."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, check)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("The file is named .xlsx but is not an XLSX workbook."))
    return _read_csv(data)


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refusing one over the size limit before reading it."""
    limit = settings.POSKO_IMPORT_MAX_BYTES
    if upload is None:
        raise ImportFileError(_("Choose a file to import."))
    if upload.size > limit:
        raise ImportFileError(_("The file is too large (%(size)s); the limit is %(limit)s.") % {
            "size": filesizeformat(upload.size), "limit": filesizeformat(limit)})
    return upload.read()
