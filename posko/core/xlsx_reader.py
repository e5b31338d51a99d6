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

import zipfile
import zlib
from collections.abc import Callable, Iterator
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from posko.core.xlsx_parts import (  # noqa: F401 - XlsxError, FormulaCell, Limits: public here
    _EMPTY,
    EXCEL_MAX_CELL_CHARS,
    EXCEL_MAX_ROW,
    FormulaCell,
    Limits,
    XlsxError,
    _Book,
    _book,
    _check_archive,
    _count_rows,
    _date_styles,
    _feed,
    _local,
    _parser,
    _shared_strings,
    _thousands,
    damaged,
    too_many_rows,
)

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
