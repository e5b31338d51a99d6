"""Cards on the beranda contributed by modules.

A module registers ``builder(user, election) -> Card | list[Card] | None`` (``election``: the
request's election, None when there is none) in its
``AppConfig.ready()``; the home page shows every card in order. A module that is
absent contributes nothing, and core imports no app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Card:
    label: str
    value: int | str
    url: str = ""
    note: str = ""
    alert: bool = False  # drawn as a warning (e.g. overdue tasks)


_builders: dict[str, tuple[int, Callable]] = {}


def register_card(key: str, builder: Callable, order: int = 100) -> None:
    _builders[key] = (order, builder)


def cards_for(user, election) -> list[Card]:
    cards: list[Card] = []
    for _order, builder in sorted(_builders.values(), key=lambda item: item[0]):
        built = builder(user, election)
        if built is None:
            continue
        cards.extend(built if isinstance(built, list) else [built])
    return cards
