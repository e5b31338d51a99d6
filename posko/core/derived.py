"""Derived indicator values: facts one module computes about a TPS that another module
shows, without the two importing each other.

The vulnerability module (issue 5) flags Bawaslu indicators per TPS. Some indicators
follow from data other modules hold: a logistics shortfall at a TPS, KPPS domiciled
outside the TPS's kelurahan, a money-politics report near it. Such a module registers a
*source* for an indicator code in its ``AppConfig.ready()``::

    from posko.core import derived

    derived.register_source("kpps_luar_domisili", "workers.domicile", kpps_outside)

``kpps_outside(election, tps_ids)`` returns :class:`DerivedValue` rows for the TPS it
finds (``tps_ids`` is None for every TPS of the election, or a collection of ids to
recompute just those). After a change the module calls
``derived.changed("workers.domicile", election, tps_ids)``; whoever stores derived
values (the vulnerability module) listens to :data:`source_changed`, calls the sources
again and stores the result next to the human assessment, never over it.

A source must be set-based (one or a few queries for the whole election: 435,296 TPS
nationally) and must not check the user's scope: the consumer applies scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.dispatch import Signal

from posko.core import fanout


@dataclass(frozen=True)
class DerivedValue:
    tps_id: int
    value: int  # 1 for a yes/no indicator; the number for a count indicator
    evidence: str = ""  # one short line a person can read, e.g. "2 KPPS domiciled elsewhere"
    url: str = ""  # where the evidence can be seen (may be empty)


SourceFunction = Callable[[object, "Iterable[int] | None"], Iterable[DerivedValue]]


@dataclass(frozen=True)
class Source:
    key: str  # "<app>.<what>", unique
    indicator: str  # the indicator code it sets
    label: object  # str or lazy translation shown next to the value, e.g. "Logistics"
    function: SourceFunction


_sources: dict[str, Source] = {}

# sender: the source key; kwargs: election, tps_ids (None = every TPS of the election).
source_changed = Signal()


def register_source(indicator: str, key: str, function: SourceFunction, label="") -> None:
    """Register (or replace: registering twice is harmless) the source ``key`` of the
    indicator code ``indicator``."""
    _sources[key] = Source(key, indicator, label or key, function)


def unregister_source(key: str) -> None:
    _sources.pop(key, None)


def sources(indicator: str | None = None) -> list[Source]:
    found = [s for s in _sources.values() if indicator is None or s.indicator == indicator]
    return sorted(found, key=lambda s: s.key)


def source(key: str) -> Source | None:
    return _sources.get(key)


def changed(key: str, election, tps_ids: Iterable[int] | None = None) -> None:
    """Tell the consumers that source ``key`` may give other values for ``tps_ids``. They
    hear it through :mod:`posko.core.fanout`: after the write commits, in a background job
    (or at once with ``POSKO_FANOUT=inline``)."""
    fanout.send(FANOUT, election, tps_ids, key=key)


def _announce(election, tps_ids, key: str) -> None:
    source_changed.send(sender=key, election=election, tps_ids=tps_ids)


FANOUT = "core.derived"
fanout.register(FANOUT, _announce)
