"""What logistics requires at a TPS, asked by other modules without importing logistics.

The C.Hasil says how many ballots a TPS received for a contest; logistics knows how many it
should have received for that contest (each contest has its own ballots line: DPT + the
election's reserve). The logistics module registers the provider in its
``AppConfig.ready()``; without it :func:`ballots_required` is None and the voting module
skips the comparison.

A provider is ``provider(election, tps, contest) -> int | None``: the ballots of that one
contest, never the sum over the contests at the TPS (None: logistics plans no ballots for
this contest). It must be cheap: it is called on every C.Hasil entry (a per-process
constant, or at most one query).
"""

from __future__ import annotations

from collections.abc import Callable

BallotProvider = Callable[[object, object, object], "int | None"]

_provider: BallotProvider | None = None


def register_ballot_provider(provider: BallotProvider | None) -> None:
    """Install (or, with None, remove) the provider of ballot requirements."""
    global _provider
    _provider = provider


def ballot_provider() -> BallotProvider | None:
    """The installed provider (tests put it back after removing it)."""
    return _provider


def available() -> bool:
    return _provider is not None


def ballots_required(election, tps, contest) -> int | None:
    """The ballots ``tps`` should have received for ``contest`` (that contest's own ballots);
    None when no logistics module is installed or it plans no ballots for the contest."""
    return _provider(election, tps, contest) if _provider is not None else None
