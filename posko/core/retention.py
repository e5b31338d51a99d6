"""Retention of personal data: the registry of what each module anonymises when an
election's retention date has passed (issue 16, UU PDP 27/2022).

A module holding personal data registers one entry in ``AppConfig.ready()``::

    retention.register("workers", _("Ad hoc workers"), count_fn, purge_fn, order=10)

``count_fn(election_id) -> int`` counts the rows that still hold personal data (the dry-run:
it changes nothing); ``purge_fn(election_id, batch) -> int`` anonymises at most ``batch`` of
them in place and returns how many it did. Rows already anonymised are never counted or
touched again, so a purge can be repeated (idempotent) and resumed. Aggregates stay: rows
are kept (counts per TPS, statuses, amounts), only the fields that name or describe a
person are blanked or replaced. The module decides which fields; the page and the job that
run the purge live in ``posko.elections.retention`` (core imports no app), and the audit is
written there: one row per module with its count, never one per person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BATCH = 1000  # rows per UPDATE batch


@dataclass(frozen=True)
class Source:
    key: str
    label: object
    count: Callable[[int], int]
    purge: Callable[[int, int], int]
    order: int = 50
    fields: object = ""  # what is anonymised, in words (shown on the page)


_sources: dict[str, Source] = {}


def register(key: str, label, count: Callable[[int], int], purge: Callable[[int, int], int], *,
             order: int = 50, fields="") -> None:
    _sources[key] = Source(key, label, count, purge, order, fields)


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


def dry_run(election_id: int) -> list[tuple[Source, int]]:
    """Rows per module that a purge would anonymise now; nothing is changed."""
    return [(source, source.count(election_id)) for source in sources()]


def purge_source(source: Source, election_id: int, *, batch: int = BATCH, progress=None) -> int:
    """Anonymise every row of one source, ``batch`` at a time; the number done."""
    done = 0
    while True:
        step = source.purge(election_id, batch)
        done += step
        if progress is not None:
            progress(source, done)
        if step < batch:
            return done


def batch_pks(queryset, batch: int) -> list[int]:
    """The pks of the next batch of ``queryset`` (a helper for purge functions)."""
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
