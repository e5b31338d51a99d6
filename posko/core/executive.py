"""Sections of the executive dashboard (the Wali Kota's / Sekda's one screen), contributed
by modules.

The dashboard (``elections:executive``, a phone and the command room's TV, and its PDF with
the letterhead) shows H-n and the stage itself and then every registered section in order.
A module declares in its ``AppConfig.ready()``::

    from posko.core import executive
    executive.register_section("readiness", _("Readiness"), builder, order=20)

- ``builder(user, election, today) -> executive.Section | None``: the headline figures
  (:class:`posko.core.dashboard.Card`: label, value, note, link, alert) and at most a few
  short tables (:class:`posko.core.reports.Table`, the same tables the PDF prints) about
  ``election`` limited to what ``user`` may see (``visible_to``). None: nothing to say (no
  data yet, not the season: the voting-day section says nothing before H-1). ``today`` is
  the clock's day (a simulated clock in a demo).
- A builder runs a *fixed* number of queries whatever the data size (aggregates, sliced
  lists): the page is polled every minute by every screen that shows it and is held to a
  query bound. No personal data: figures and places, never names, NIK or phones.
- ``order``: smaller first.

Nothing here imports an app: a module removed from INSTALLED_APPS registers no section and
the dashboard simply does not show it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from posko.core.dashboard import Card
from posko.core.reports import Table

Builder = Callable[[object, object, datetime.date], "Section | None"]


@dataclass
class Section:
    """What one module says on the dashboard: figures first, then short tables."""

    title: str = ""  # the registered title when empty
    figures: list[Card] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # short lines under the figures
    url: str = ""  # the module's own page ("details")
    key: str = ""  # set by sections_for


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: object
    builder: Builder
    order: int = 100


_sections: dict[str, SectionSpec] = {}


def register_section(key: str, title, builder: Builder, *, order: int = 100) -> None:
    """Add (or replace: same key) a section of the executive dashboard."""
    _sections[key] = SectionSpec(key, title, builder, order)


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def registered() -> list[SectionSpec]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def sections_for(user, election, today: datetime.date) -> list[Section]:
    """Every registered section with something to say, in order (none without an election)."""
    if election is None:
        return []
    found = []
    for spec in registered():
        section = spec.builder(user, election, today)
        if section is None:
            continue
        section.key = spec.key
        section.title = section.title or str(spec.title)
        found.append(section)
    return found
