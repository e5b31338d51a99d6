"""The report document model, the letterhead provider, the section registry and text helpers."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import clock

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
            self.generated_at = clock.now()


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

