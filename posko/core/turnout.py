"""Turnout per contest from the counted C.Hasil, for other modules without importing voting.

One truth: the voting module's counted C.Hasil entry of a TPS and contest says how many
voted there (DPT, DPTb, DPK) and how many were registered, so the Pilwali and the Pilgub may
differ. The voting module registers a :class:`TurnoutProvider` in its ``AppConfig.ready()``;
the outreach module reads turnout through :func:`by_kelurahan` / :func:`by_tps` and keeps
its own per-TPS entries for the TPS that have no C.Hasil yet (:func:`counted_tps` is the
subquery that tells them apart). Without the voting module :func:`available` is False and
outreach shows its own entries only.

Registered DPTb/DPK a C.Hasil leaves empty count as those who voted from them (whoever voted
from a list was registered in it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Turnout:
    """Sums over the TPS with a counted C.Hasil (one TPS, or all of one kelurahan)."""

    tps: int = 0
    dpt: int = 0  # the DPT of those TPS (TPS registry)
    registered_dptb: int = 0
    registered_dpk: int = 0
    voted_dpt: int = 0
    voted_dptb: int = 0
    voted_dpk: int = 0

    @property
    def registered(self) -> int:
        return self.dpt + self.registered_dptb + self.registered_dpk

    @property
    def voted(self) -> int:
        return self.voted_dpt + self.voted_dptb + self.voted_dpk


@dataclass
class TurnoutProvider:
    #: ``(election, contest, user, *, kecamatan_code=None) -> {kelurahan code: Turnout}``,
    #: scoped to what ``user`` sees; one query.
    by_kelurahan: Callable[..., dict[str, Turnout]]
    #: ``(election, contest, tps_ids) -> {tps id: Turnout}``; one query.
    by_tps: Callable[..., dict[int, Turnout]]
    #: ``(election, contest) -> QuerySet`` of the ids of the TPS with a counted C.Hasil (a
    #: ``values("tps_id")`` queryset, to be used as a subquery: ``exclude(tps__in=…)``).
    counted_tps: Callable[..., object]


_provider: TurnoutProvider | None = None


def register_provider(provider: TurnoutProvider | None) -> None:
    global _provider
    _provider = provider


def provider() -> TurnoutProvider | None:
    return _provider


def available() -> bool:
    return _provider is not None


def by_kelurahan(election, contest, user, *, kecamatan_code=None) -> dict[str, Turnout]:
    if _provider is None or contest is None:
        return {}
    return _provider.by_kelurahan(election, contest, user, kecamatan_code=kecamatan_code)


def by_tps(election, contest, tps_ids) -> dict[int, Turnout]:
    if _provider is None or contest is None:
        return {}
    return _provider.by_tps(election, contest, tps_ids)


def counted_tps(election, contest):
    """A subquery of TPS ids with a counted C.Hasil, or None without a provider."""
    if _provider is None or contest is None:
        return None
    return _provider.counted_tps(election, contest)
