"""Estimates from the sample's counted C.Hasil: each pair's share and the turnout, with
their standard error and 95 % margin of error. Pure arithmetic; ``frame.py`` reads the rows.

**Combined ratio estimator over strata** ``h`` (weights ``N_h / n_h``), for pair ``j``
with ``y_ij`` its votes at sampled TPS ``i`` and ``x_i`` the valid votes there::

    R̂_j = Σ_h (N_h/n_h) Σ_i y_ij  /  Σ_h (N_h/n_h) Σ_i x_i   =  Ŷ_j / X̂

**Standard error** from the linearised (Taylor) variance with the finite-population
correction, ``d_i = y_ij − R̂_j · x_i`` and ``s²_{d,h}`` the sample variance of ``d`` in
stratum ``h`` (divisor ``n_h − 1``)::

    V(R̂_j) = (1 / X̂²) · Σ_h N_h² · (1 − n_h/N_h) · s²_{d,h} / n_h
    SE = √V,   margin (95 %) = 1.96 · SE

**Turnout** is the same estimator with ``y_i`` = voters (DPT + DPTb + DPK) and ``x_i`` =
the TPS's DPT.

``n_h`` is the number of sampled TPS **that arrived** (a counted C.Hasil whose pairs' votes
add up to its valid votes), not the planned number. A stratum with fewer than 2 arrivals has no variance of its own: it is
**collapsed** with the next stratum in code order (the last one with the one before it),
repeatedly, until every group has at least 2 arrivals; a group's ``N`` and ``n`` are the
sums of its strata's. The result lists the collapsed groups.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

Z95 = 1.96


@dataclass
class Unit:
    """One sampled TPS whose counted C.Hasil arrived."""

    stratum: str
    valid: int
    votes: Mapping[int, int]
    voters: int = 0
    dpt: int = 0
    to_verify: bool = False


@dataclass
class Group:
    """One or more strata estimated together (more than one: collapsed)."""

    codes: list[str]
    population: int = 0
    units: list[Unit] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.units)


@dataclass
class Ratio:
    value: float | None
    se: float | None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def se_points(self) -> float | None:
        return None if self.se is None else 100 * self.se

    @property
    def margin(self) -> float | None:
        """95 % margin of error in percentage points."""
        return None if self.se is None else 100 * Z95 * self.se

    @property
    def low(self) -> float | None:
        return None if self.value is None else self.percent - self.margin

    @property
    def high(self) -> float | None:
        return None if self.value is None else self.percent + self.margin


def collapse(sizes: Mapping[str, int], units: Sequence[Unit]) -> list[Group]:
    """The strata (``sizes``: code → N_h) grouped so each group has ≥ 2 arrivals (see the
    module doc). Empty when fewer than 2 TPS arrived in all."""
    by_stratum: dict[str, list[Unit]] = {}
    for unit in units:
        by_stratum.setdefault(unit.stratum, []).append(unit)
    if len(units) < 2:
        return []
    groups: list[Group] = []
    current: Group | None = None
    for code in sorted(sizes):
        if current is None:
            current = Group([])
        current.codes.append(code)
        current.population += sizes[code]
        current.units.extend(by_stratum.get(code, []))
        if current.n >= 2:
            groups.append(current)
            current = None
    if current is not None:  # the tail: with the group before it
        last = groups[-1]
        last.codes.extend(current.codes)
        last.population += current.population
        last.units.extend(current.units)
    return groups


def combined_ratio(groups: Sequence[Group], y: Callable[[Unit], float],
                   x: Callable[[Unit], float]) -> Ratio:
    """R̂ = Ŷ / X̂ and its linearised standard error with the finite-population correction."""
    return _ratio([(g.population, [y(u) for u in g.units], [x(u) for u in g.units])
                   for g in groups])


def _ratio(columns: Sequence[tuple[int, list, list]]) -> Ratio:
    """``columns``: per group (N, y values, x values) — the arithmetic of combined_ratio."""
    y_hat = x_hat = 0.0
    for population, ys, xs in columns:
        weight = population / len(ys)
        y_hat += weight * sum(ys)
        x_hat += weight * sum(xs)
    if not columns or x_hat <= 0:
        return Ratio(None, None)
    r = y_hat / x_hat
    variance = 0.0
    for population, ys, xs in columns:
        n = len(ys)
        d = [yi - r * xi for yi, xi in zip(ys, xs, strict=True)]
        mean = math.fsum(d) / n
        s2 = math.fsum([(di - mean) ** 2 for di in d]) / (n - 1)
        fpc = max(0.0, 1 - n / population) if population else 0.0
        variance += population ** 2 * fpc * s2 / n
    return Ratio(r, math.sqrt(variance / (x_hat * x_hat)))


@dataclass
class Estimate:
    groups: list[Group]
    pairs: dict[int, Ratio]
    turnout: Ratio

    @property
    def collapsed(self) -> list[list[str]]:
        return [g.codes for g in self.groups if len(g.codes) > 1]


def estimate(sizes: Mapping[str, int], units: Sequence[Unit], numbers: Sequence[int]) -> Estimate:
    """Each pair's share of the valid votes and the turnout (voters over DPT)."""
    groups = collapse(sizes, units)
    valid = [[u.valid for u in g.units] for g in groups]
    pairs = {number: _ratio([(g.population, [u.votes.get(number, 0) for u in g.units], xs)
                             for g, xs in zip(groups, valid, strict=True)])
             for number in numbers}
    turnout = _ratio([(g.population, [u.voters for u in g.units], [u.dpt for u in g.units])
                      for g in groups])
    return Estimate(groups, pairs, turnout)
