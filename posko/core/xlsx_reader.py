"""A bounded, streaming reader of an XLSX workbook's first worksheet, for imports.

openpyxl's read-only mode was not safe for files from strangers: it trusts the sheet's
``<dimension>`` (rows past it were dropped without a word), builds every cell's text
whatever its size, and decompresses whatever the archive holds (a 2.5 MB upload held a
2.5 GB cell). This reader, built on expat:

- checks the archive before decompressing anything: number of members, the sum of their
  declared sizes (``zipfile`` stops a member at its declared size) and the compression
  ratio; then counts the sheet's rows in one pass of plain byte counting;
- refuses a DTD (no entity expansion), a cell or shared string longer than Excel's own
  limit (32,767 characters, stopped as soon as it is exceeded: memory stays bounded) and
  more shared strings than a workbook within the limits can need;
- reads every ``<row>`` whatever ``<dimension>`` says, keeps row numbers as in Excel
  (missing rows come back empty), and marks formula cells (:class:`FormulaCell`);
- turns values into the text openpyxl gave before (numbers without ``.0``, dates of
  date-formatted cells as ``YYYY-MM-DD HH:MM:SS``, booleans as ``ya``/``tidak``);
- calls ``check()`` after every chunk, so an import's time budget holds while reading.

Every refusal is an :class:`XlsxError` whose message is for the user.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

CHUNK = 256 * 1024
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
_ZIP_END = b"PK\x05\x06"
_EMPTY: tuple = ()  # a missing row


class XlsxError(Exception):
    """The workbook is refused; the message says why, for the user."""


class FormulaCell(str):
    """The text of a cell that holds a formula (its cached result, often empty)."""

    __slots__ = ()


@dataclass(frozen=True)
class Limits:
    max_uncompressed: int  # sum of the members' sizes, bytes
    max_rows: int  # data rows (the header row comes on top)
    max_columns: int  # cells past this column are not read
    max_members: int = 1_000
    max_ratio: int = 100  # uncompressed / compressed, for members over ratio_floor
    ratio_floor: int = 1024 * 1024
    max_cell_chars: int = EXCEL_MAX_CELL_CHARS
    max_shared_strings: int = 3_000_000


def damaged() -> XlsxError:
    return XlsxError(_("The XLSX file is damaged or is not an XLSX workbook."))


def _no_dtd(*_args):
    raise XlsxError(_("The XLSX file contains a document type declaration, which Excel never "
                      "writes; it is refused."))


def _parser(start=None, end=None, text=None) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _feed(parser, stream, check: Callable[[], None] | None = None, chunk: int = CHUNK):
    while True:
        data = stream.read(chunk)
        parser.Parse(data, not data)
        if check:
            check()
        if not data:
            return
        yield


def _parse_small(zf: zipfile.ZipFile, name: str, start) -> None:
    with zf.open(name) as stream:
        for _chunk in _feed(_parser(start=start), stream):
            pass


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type suffix, member name) of a part's relationships."""
    directory, file_name = posixpath.split(part)
    rels_name = posixpath.join(directory, "_rels", file_name + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels_name not in zf.NameToInfo:
        return found

    def start(name, attrs):
        if _local(name) == "Relationship" and "Target" in attrs:
            kind = attrs.get("Type", "").rpartition("/")[2]
            found[attrs.get("Id", "")] = (kind, _resolve(directory, attrs["Target"]))

    _parse_small(zf, rels_name, start)
    return found


def _check_archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    # The member count from the end-of-archive record, before zipfile builds an entry each.
    end = data.rfind(_ZIP_END, max(0, len(data) - 65_557))
    if end >= 0 and len(data) >= end + 12:
        declared = struct.unpack("<H", data[end + 10:end + 12])[0]
        if declared > limits.max_members:
            raise XlsxError(_("The XLSX file holds %(n)s parts; a workbook has a few dozen. "
                              "It is refused.") % {"n": _thousands(declared)})
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise damaged() from None
    members = zf.infolist()
    if len(members) > limits.max_members:
        raise XlsxError(_("The XLSX file holds %(n)s parts; a workbook has a few dozen. "
                          "It is refused.") % {"n": _thousands(len(members))})
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed:
        raise XlsxError(_(
            "The XLSX file expands to %(size)s MB when unpacked; the limit is %(limit)s MB. "
            "Split it into smaller files, or save it as CSV UTF-8.") % {
            "size": _thousands(round(total / 1e6)),
            "limit": _thousands(round(limits.max_uncompressed / 1e6))})
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise XlsxError(_(
                "The XLSX file is compressed %(ratio)s times, far more than a real workbook "
                "(a \"zip bomb\"); it is refused.") % {"ratio": _thousands(round(ratio))})
    return zf


@dataclass
class _Book:
    sheet: str
    shared_strings: str | None
    styles: str | None
    epoch: object


def _book(zf: zipfile.ZipFile) -> _Book:
    workbook = "xl/workbook.xml"
    for kind, target in _rels(zf, "").values():
        if kind == "officeDocument":
            workbook = target
    if workbook not in zf.NameToInfo:
        raise damaged()
    sheets: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(name, attrs):
        local = _local(name)
        if local == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid:
                sheets.append(rid)
        elif local == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    _parse_small(zf, workbook, start)
    rels = _rels(zf, workbook)
    by_kind = {kind: target for kind, target in rels.values()}
    if not sheets or sheets[0] not in rels or rels[sheets[0]][1] not in zf.NameToInfo:
        raise damaged()
    shared = by_kind.get("sharedStrings")
    styles = by_kind.get("styles")
    return _Book(sheet=rels[sheets[0]][1],
                 shared_strings=shared if shared in zf.NameToInfo else None,
                 styles=styles if styles in zf.NameToInfo else None, epoch=epoch[0])


def _date_styles(zf: zipfile.ZipFile, name: str | None) -> tuple[frozenset, frozenset]:
    """Indexes of the cell formats (``s`` attribute) that show a date, and a duration."""
    if name is None:
        return frozenset(), frozenset()
    custom: dict[str, str] = {}
    format_ids: list[str] = []
    depth = {"cellXfs": 0}

    def start(tag, attrs):
        local = _local(tag)
        if local == "numFmt":
            custom[attrs.get("numFmtId", "")] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            depth["cellXfs"] += 1
        elif local == "xf" and depth["cellXfs"]:
            format_ids.append(attrs.get("numFmtId", "0"))

    def end(tag):
        if _local(tag) == "cellXfs":
            depth["cellXfs"] -= 1

    with zf.open(name) as stream:
        for _chunk in _feed(_parser(start=start, end=end), stream):
            pass
    dates, durations = set(), set()
    for index, format_id in enumerate(format_ids):
        code = custom.get(format_id)
        if code is None and format_id.isdigit():
            code = BUILTIN_FORMATS.get(int(format_id))
        if is_date_format(code):
            dates.add(str(index))
        if is_timedelta_format(code):
            durations.add(str(index))
    return frozenset(dates), frozenset(durations)


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _shared_strings(zf, name: str | None, limits: Limits, check) -> list[str]:
    if name is None:
        return []
    strings: list[str] = []
    state = {"si": 0, "t": 0, "skip": 0, "size": 0}
    parts: list[str] = []

    def start(tag, attrs):
        local = _local(tag)
        if local == "si":
            state["si"] += 1
            parts.clear()
            state["size"] = 0
        elif local == "t":
            state["t"] += 1
        elif local == "rPh":  # phonetic guide: not part of the value
            state["skip"] += 1

    def end(tag):
        local = _local(tag)
        if local == "si":
            state["si"] -= 1
            if len(strings) >= limits.max_shared_strings:
                raise XlsxError(_("The XLSX file holds more than %(max)s different texts; it is "
                                  "refused.") % {"max": _thousands(limits.max_shared_strings)})
            strings.append("".join(parts).replace("x005F_", ""))
        elif local == "t":
            state["t"] -= 1
        elif local == "rPh":
            state["skip"] -= 1

    def text(data):
        if state["si"] and state["t"] and not state["skip"]:
            state["size"] += len(data)
            if state["size"] > limits.max_cell_chars:
                raise XlsxError(_("The XLSX file holds a text of more than %(max)s characters "
                                  "(Excel's own limit for a cell); it is refused.") % {
                    "max": _thousands(limits.max_cell_chars)})
            parts.append(data)

    with zf.open(name) as stream:
        for _chunk in _feed(_parser(start, end, text), stream, check):
            pass
    return strings


def _count_rows(zf: zipfile.ZipFile, name: str, limit: int, check) -> None:
    """Count ``<row`` start tags without parsing (header included), and refuse the file over
    ``limit`` data rows. Rows written with a namespace prefix are counted while parsing."""
    rows = 0
    tail = b""
    with zf.open(name) as stream:
        while chunk := stream.read(4 * CHUNK):
            buffer = tail + chunk
            rows += buffer.count(b"<row ") + buffer.count(b"<row>")
            tail = buffer[-4:]  # "<row" split over two chunks; never a whole match
            if rows > limit + 1:
                raise too_many_rows(limit)
            check()


def too_many_rows(limit: int) -> XlsxError:
    return XlsxError(_("The worksheet has more than %(max)s rows (rows that only hold "
                       "formatting count too: delete them in Excel); split the file.") % {
        "max": _thousands(limit)})


_DIGITS = "0123456789"


def _column_index(ref: str, cache: dict[str, int]) -> int:
    letters = ref.rstrip(_DIGITS)
    index = cache.get(letters)
    if index is None:
        index = 0
        for char in letters.upper():
            if not "A" <= char <= "Z":
                raise damaged()
            index = index * 26 + ord(char) - 64
        cache[letters] = index
    return index


def _number_text(raw: str) -> str:
    if "." in raw or "E" in raw or "e" in raw:
        number = float(raw)
        if number.is_integer():
            return str(int(number))
        return str(number)
    return str(int(raw))


def rows(data: bytes, limits: Limits, check: Callable[[], None] = lambda: None
         ) -> Iterator[list[str]]:
    """The first worksheet's rows as lists of cell texts (trailing empty cells dropped)."""
    zf = _check_archive(data, limits)
    try:
        book = _book(zf)
        _count_rows(zf, book.sheet, limits.max_rows, check)
        dates, durations = _date_styles(zf, book.styles)
        strings = _shared_strings(zf, book.shared_strings, limits, check)
        yield from _sheet_rows(zf, book, strings, dates, durations, limits, check)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError, KeyError, IndexError, OverflowError, expat.ExpatError):
        raise damaged() from None
    finally:
        zf.close()


def _sheet_rows(zf, book: _Book, strings: list[str], dates, durations, limits: Limits,
                check) -> Iterator[list[str]]:
    max_col = limits.max_columns
    max_chars = limits.max_cell_chars
    columns: dict[str, int] = {}
    done: list[list[str]] = []
    # Current row and cell; "collect" is the list text goes into, or None.
    state = {"row": 0, "cells": None, "col": 0, "type": "n", "style": None, "formula": False,
             "in_is": 0, "skip": 0, "size": 0, "rows": 0}
    value_parts: list[str] = []
    collect: list = [None]

    def start(tag, attrs):
        local = tag if ":" not in tag else _local(tag)
        if local == "c":
            ref = attrs.get("r")
            state["col"] = _column_index(ref, columns) if ref else state["col"] + 1
            state["type"] = attrs.get("t", "n")
            state["style"] = attrs.get("s")
            state["formula"] = False
            state["size"] = 0
            value_parts.clear()
        elif local == "v":
            collect[0] = value_parts
        elif local == "t":
            if state["in_is"] and not state["skip"]:
                collect[0] = value_parts
        elif local == "is":
            state["in_is"] += 1
        elif local == "rPh":
            state["skip"] += 1
        elif local == "f":
            state["formula"] = True
        elif local == "row":
            number = attrs.get("r")
            number = int(number) if number else state["row"] + 1
            if number > EXCEL_MAX_ROW:
                raise damaged()
            number = max(number, state["row"] + 1)  # rows out of order are kept, in order
            done.extend([_EMPTY] * (number - state["row"] - 1))
            state["row"] = number
            state["cells"] = []
            state["col"] = 0  # for cells written without a reference
            state["rows"] += 1
            if state["rows"] > limits.max_rows + 1:
                raise too_many_rows(limits.max_rows)

    def end(tag):
        local = tag if ":" not in tag else _local(tag)
        if local == "c":
            col = state["col"]
            cells = state["cells"]
            if cells is None or col > max_col:
                return
            value = _value(state["type"], "".join(value_parts), state["style"])
            if state["formula"]:
                value = FormulaCell(value)
            elif value == "":
                return
            if len(cells) < col - 1:
                cells.extend([""] * (col - 1 - len(cells)))
            if len(cells) == col - 1:
                cells.append(value)
            else:
                cells[col - 1] = value
        elif local in ("v", "t"):
            collect[0] = None
        elif local == "is":
            state["in_is"] -= 1
        elif local == "rPh":
            state["skip"] -= 1
        elif local == "row":
            cells = state["cells"] or []
            while cells and cells[-1] == "" and type(cells[-1]) is str:
                cells.pop()
            done.append(cells)
            state["cells"] = None

    def text(data):
        target = collect[0]
        if target is not None:
            state["size"] += len(data)
            if state["size"] > max_chars:
                raise XlsxError(_("Row %(row)s, column %(column)s: the cell holds more than "
                                  "%(max)s characters (Excel's own limit); the file is "
                                  "refused.") % {
                    "row": state["row"], "column": get_column_letter(state["col"]),
                    "max": _thousands(max_chars)})
            target.append(data)

    def _value(kind: str, raw: str, style) -> str:
        if kind == "n":
            if raw == "":
                return ""
            if style in dates:
                try:
                    moment = from_excel(float(raw) if "." in raw or "E" in raw.upper()
                                        else int(raw), book.epoch, timedelta=style in durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
                return str(moment)
            return _number_text(raw)
        if kind == "s":
            return strings[int(raw)] if raw else ""
        if kind == "b":
            return {"1": "ya", "0": "tidak"}.get(raw.strip(), raw)
        return raw.replace("x005F_", "") if kind == "inlineStr" else raw

    parser = _parser(start, end, text)
    with zf.open(book.sheet) as stream:
        for _chunk in _feed(parser, stream, check):
            if done:
                yield from done
                done.clear()
    yield from done
