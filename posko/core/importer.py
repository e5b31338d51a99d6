"""The import engine: read a CSV or XLSX upload, validate every row, and write
all rows in one transaction or none.

A module describes its file with :class:`Column` objects and subclasses
:class:`Importer` (``prepare`` loads lookups once, ``build`` turns one row
into an object or errors, ``write`` saves everything in bulk). The engine
handles what every import needs: size and format checks, encoding and
delimiter detection, header aliases, "Baris N, kolom X: pesan" errors, and
the all-or-nothing transaction with its audit entry.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from posko.core import audit
from posko.core import election as request_election
from posko.core.import_files import (  # noqa: F401 - re-exported: the engine's public names
    MAX_COLUMNS,
    ImportFileError,
    ImportTimeout,
    _thousands,
    _timeout_error,
    max_rows,
    read_rows,
    read_upload,
)
from posko.core.jobs import JobError
from posko.core.time_budget import TimeBudget
from posko.core.xlsx_reader import FormulaCell

MAX_ERRORS_SHOWN = 200
_QUOTED_START = frozenset("=+-@0123456789")
_INTEGER = re.compile(r"-?\d+")


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why."""


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    text = re.sub(r"[\s\-./]+", "_", text)
    return re.sub(r"[^0-9a-z_]", "", text).strip("_")


@dataclass
class Column:
    """One column of an import file: its canonical header, aliases and parser."""

    name: str
    label: str  # shown in the template and the docs table
    parse: Callable[[str], object]
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""
    help: str = ""

    def keys(self) -> set[str]:
        return {normalise_header(self.name), *(normalise_header(a) for a in self.aliases)}


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def __str__(self):
        if self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.file_error is None

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def shown_errors(self) -> list[RowError]:
        return self.errors[:MAX_ERRORS_SHOWN]

    @property
    def hidden_error_count(self) -> int:
        return max(0, len(self.errors) - MAX_ERRORS_SHOWN)

    def as_dict(self) -> dict:
        """For a background job's record: counts, the file error and the errors shown."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "file_error": self.file_error, "error_count": len(self.errors),
                "errors": [[e.row, e.column, e.message] for e in self.shown_errors()]}

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        result = cls(created=data.get("created", 0), updated=data.get("updated", 0),
                     unchanged=data.get("unchanged", 0), file_error=data.get("file_error"),
                     errors=[RowError(*item) for item in data.get("errors", [])])
        hidden = data.get("error_count", 0) - len(result.errors)
        result.errors.extend(RowError(0, None, "") for _ in range(max(0, hidden)))
        return result


# --- cell parsers shared by importers -------------------------------------------------

def parse_text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if len(value) > max_length:
            raise CellError(_("Too long: at most %(max)s characters.") % {"max": max_length})
        return value
    return parse


def parse_int(value: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    value = value.strip()
    if value == "":
        return None
    cleaned = value[:-2] if value.endswith(".0") else value
    if not _INTEGER.fullmatch(cleaned):
        raise CellError(_("%(value)r is not a whole number.") % {"value": value})
    number = int(cleaned)
    if number < minimum:
        raise CellError(_("Must be at least %(min)s.") % {"min": minimum})
    if maximum is not None and number > maximum:
        raise CellError(_("Must be at most %(max)s.") % {"max": maximum})
    return number


def parse_decimal(value: str) -> Decimal | None:
    value = value.strip().replace("\u2212", "-")
    if value == "":
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")  # Indonesian decimal comma: -7,9666
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(_("%(value)r is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise CellError(_("%(value)r is not a number.") % {"value": value})
    return number


_YES = {"ya", "y", "yes", "true", "1", "benar", "v", "x"}
_NO = {"tidak", "t", "no", "n", "false", "0", "salah", "-"}


def parse_bool(value: str) -> bool | None:
    low = value.strip().lower()
    if low == "":
        return None
    if low in _YES:
        return True
    if low in _NO:
        return False
    raise CellError(_("%(value)r is not ya or tidak.") % {"value": value})


# --- the importer -------------------------------------------------------------------

class Importer:
    """Subclass per importable model. ``columns`` describe the file."""

    columns: list[Column] = []
    #: What the audit entry calls the imported rows, e.g. "TPS".
    noun: str = ""

    def __init__(self, *, actor):
        self.actor = actor
        self.on_progress = None  # (phase, done) -> None, set by a background job

    # Background jobs --------------------------------------------------------------
    def job_params(self) -> dict | None:
        """What rebuilds this importer in a worker (ids only, JSON), or None when it cannot
        run as a background job (then large files are imported in the request too)."""
        return {} if type(self).__init__ is Importer.__init__ else None

    @classmethod
    def from_job(cls, *, actor, **params) -> Importer:
        return cls(actor=actor, **params)

    def _progress(self, phase: str, done: int) -> None:
        if self.on_progress is not None:
            self.on_progress(phase, done)

    # Hooks for subclasses -------------------------------------------------------
    def prepare(self) -> None:
        """Load lookups once (existing rows, allowed regions)."""

    def check_columns(self, present: set[str]) -> list[str]:
        """Extra whole-file column checks (e.g. one of two columns required)."""
        return []

    def build(self, row: int, values: dict[str, object], error: Callable[[str, str], None]):
        """Return the object for one parsed row, calling ``error(column, message)`` for problems."""
        raise NotImplementedError

    def write(self, objects: list) -> ImportResult:
        """Save all built objects (inside the engine's transaction)."""
        raise NotImplementedError

    # Engine ---------------------------------------------------------------------
    def header_map(self, header: list[str]) -> tuple[dict[int, Column], list[str]]:
        by_key = {}
        for column in self.columns:
            for key in column.keys():
                by_key[key] = column
        mapping: dict[int, Column] = {}
        problems = []
        unknown = []
        seen: dict[str, str] = {}
        for index, raw in enumerate(header):
            key = normalise_header(raw)
            if not key:
                continue
            column = by_key.get(key)
            if column is None:
                unknown.append(str(raw).strip())
                continue
            if column.name in seen:
                problems.append(_("Column %(column)s appears twice (%(a)s and %(b)s).") % {
                    "column": column.name, "a": seen[column.name], "b": raw})
                continue
            seen[column.name] = str(raw).strip()
            mapping[index] = column
        if unknown:
            problems.append(_("Unknown column(s): %(unknown)s. Known columns: %(known)s.") % {
                "unknown": ", ".join(unknown),
                "known": ", ".join(c.name for c in self.columns)})
        missing = [c.name for c in self.columns if c.required and c.name not in seen]
        if missing:
            problems.append(_("Missing required column(s): %(missing)s.") % {
                "missing": ", ".join(missing)})
        problems.extend(self.check_columns(set(seen)))
        return mapping, problems

    def run(self, data: bytes, filename: str = "", *, time_limit: float | None = None) -> ImportResult:
        """Read, check and write the whole file, all or nothing, within the time budget
        (``POSKO_IMPORT_TIME_LIMIT`` in a request; a background job passes its own)."""
        seconds = time_limit or settings.POSKO_IMPORT_TIME_LIMIT
        budget = TimeBudget(seconds, lambda: _timeout_error(seconds))
        result = ImportResult()
        try:
            rows = read_rows(data, filename, check=budget.check)
            header = next(rows, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(rows, None)
            if header is None:
                raise ImportFileError(_("The file is empty."))
            if len(header) > MAX_COLUMNS:
                raise ImportFileError(_("The file has more than %(max)s columns.") % {
                    "max": MAX_COLUMNS})
            mapping, problems = self.header_map(header)
            if problems:
                raise ImportFileError(" ".join(problems))
            budget.check()
            self.prepare()
            budget.check()
            self._budget = budget
            objects = self._build_all(rows, mapping, result)
            budget.check()
        except ImportFileError as exc:
            result.file_error = str(exc)
            return result
        if result.errors:
            return result
        if not objects:
            result.file_error = _("The file has a header but no data rows.")
            return result
        self._progress("writing", len(objects))
        try:
            with transaction.atomic():
                with budget.guard(connection):
                    self._write(objects, result)
                budget.check()  # raised inside the transaction: everything is rolled back
        except (ImportTimeout, DatabaseError) as exc:
            if not isinstance(exc, ImportTimeout) and not budget.expired():
                raise
            return ImportResult(file_error=str(_timeout_error(seconds)))
        return result

    def _write(self, objects: list, result: ImportResult) -> None:
        written = self.write(objects)
        # Out of time already: stop before the next statement rather than interrupt it (an
        # interrupted INSERT makes SQLite roll back the whole transaction, outer ones too).
        budget = getattr(self, "_budget", None)
        if budget is not None:
            budget.check()
        result.created, result.updated, result.unchanged = (
            written.created, written.updated, written.unchanged)
        audit.record(
            "import", actor=self.actor, object_repr=self.noun,
            message=_("%(noun)s import of %(rows)s rows: %(summary)s") % {
                "noun": self.noun, "rows": len(objects), "summary": result.summary()},
        )

    def _build_all(self, rows: Iterable[list[str]], mapping: dict[int, Column],
                   result: ImportResult) -> list:
        budget = getattr(self, "_budget", None) or TimeBudget(
            settings.POSKO_IMPORT_TIME_LIMIT, _timeout_error)
        objects = []
        errors = result.errors
        plan = [(index, c.name, c.parse, c.required) for index, c in mapping.items()]
        width = max(mapping) + 1
        required_message = _("This value is required.")
        formula_message = _("formulas are not supported: copy the column and paste it as "
                            "values (Paste Special → Values).")
        limit = max_rows()
        data_rows = 0
        for number, cells in enumerate(rows, start=2):
            if not "".join(cells).strip():
                continue  # empty lines and rows of empty cells
            data_rows += 1
            if data_rows > limit:
                raise ImportFileError(_("The file has more than %(max)s rows; split it.") % {
                    "max": _thousands(limit)})
            if not data_rows % 1000:
                budget.check()
                self._progress("checking", data_rows)
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            values: dict[str, object] = {}
            row_ok = True
            for index, name, parse, required in plan:
                raw = cells[index]
                if raw.__class__ is FormulaCell:
                    errors.append(RowError(number, name, formula_message))
                    row_ok = False
                    continue
                if raw[:1] == "'" and raw[1:2] in _QUOTED_START:
                    raw = raw[1:]  # the apostrophe our exports (and Excel users) put before - = + @ 0
                try:
                    value = parse(raw)
                except CellError as exc:
                    errors.append(RowError(number, name, str(exc)))
                    row_ok = False
                    continue
                if required and (value is None or value == ""):
                    errors.append(RowError(number, name, required_message))
                    row_ok = False
                    continue
                values[name] = value
            if not row_ok:
                continue

            def error(column: str | None, message: str, _number=number) -> None:
                errors.append(RowError(_number, column, message))

            obj = self.build(number, values, error)
            if obj is not None:
                objects.append(obj)
        return objects


class ElectionImporter(Importer):
    """An importer of one election's rows, built as ``cls(actor=…, election=…)``. It runs as a
    background job by the election's id; a subclass that needs more than that overrides
    ``job_params``/``from_job``."""

    def __init__(self, *, actor, election):
        super().__init__(actor=actor)
        self.election = election

    def job_params(self) -> dict | None:
        return {"election": self.election.pk}

    @classmethod
    def from_job(cls, *, actor, election, **params) -> Importer:
        found = request_election.by_pk(election)
        if found is None:
            raise JobError(_("The election of this import no longer exists."))
        return cls(actor=actor, election=found, **params)

