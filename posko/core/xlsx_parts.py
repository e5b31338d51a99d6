"""The parts of an XLSX workbook the streaming reader needs (``core.xlsx_reader``): the
archive checks done before anything is decompressed, the workbook's relationships, the
date styles, the shared strings (bounded) and the row count; the limits and the errors."""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

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
