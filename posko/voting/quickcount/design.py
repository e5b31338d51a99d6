"""A quick-count sample: how large (from a target margin of error, or given), how it is
shared among the strata, which TPS are drawn, and the hash that proves the list later.

**Sample size from a target margin of error** ``e`` (percentage points), worst case
``p = 0.5``, 95 % (``z = 1.96``), with the finite-population correction over the
``N`` TPS of the contest (Cochran)::

    n0 = z² · p · (1 − p) / e²        (e as a fraction: 2 points → 0.02)
    n  = ⌈ n0 / (1 + (n0 − 1) / N) ⌉

Each TPS counts as one observation; the gain from stratification and the fact that a
TPS's share varies far less than one voter's choice are ignored, so the resulting ``n``
is conservative (the margins the estimator reports are usually smaller).

**Allocation**: proportional to the strata's TPS counts ``N_h`` with at least ``minimum``
TPS per stratum (never more than ``N_h``): strata whose proportional share is below the
minimum get the minimum, the rest of ``n`` is shared proportionally among the others
(repeated until stable), and the quotas are rounded by the largest remainder (ties:
stratum code order). When the minimums alone exceed ``n`` every stratum gets its minimum
and the sample is larger than asked (the page shows the resulting ``n``).

**Draw**: the TPS of each stratum ordered by (kelurahan code, TPS number); one
``random.Random(seed)`` goes through the strata in code order and takes
``rng.sample(tps_of_stratum, n_h)`` from each. Same registry + same seed → same sample.

**Canonical list and hash**: one line per sampled TPS, ``<stratum>,<kelurahan code>,<TPS
number>`` (the number in plain decimal, e.g. ``35.73.02,35.73.02.1001,7``), the lines
sorted in byte order (``LC_ALL=C sort``), joined with ``\\n`` (no newline after the last),
UTF-8; the SHA-256 of that text in lowercase hex. The page offers this text as a download
(``sampel.txt``: ``sha256sum sampel.txt`` prints the hash); from the CSV export (the first
three columns of the data rows, without the header and the footer)::

    printf '%s' "$(LC_ALL=C sort lines.txt)" | sha256sum
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.96


def sample_size_for_moe(population: int, moe_points: float, p: float = 0.5,
                        z: float = Z95) -> int:
    """The number of TPS for a margin of error of ``moe_points`` percentage points (see
    the module doc); never more than ``population``."""
    if population <= 0:
        return 0
    e = float(moe_points) / 100
    n0 = z * z * p * (1 - p) / (e * e)
    n = n0 / (1 + (n0 - 1) / population)
    return min(population, math.ceil(n - 1e-9))


def allocate(sizes: Mapping[str, int], n: int, minimum: int) -> dict[str, int]:
    """Sample size per stratum (see the module doc). ``sizes``: stratum → N_h."""
    strata = sorted(code for code, size in sizes.items() if size > 0)
    total = sum(sizes[code] for code in strata)
    if n >= total:
        return {code: sizes[code] for code in strata}
    floor_of = {code: min(minimum, sizes[code]) for code in strata}
    if sum(floor_of.values()) >= n:
        return floor_of
    fixed: dict[str, int] = {}
    while True:
        free = [code for code in strata if code not in fixed]
        rest = n - sum(fixed.values())
        weight = sum(sizes[code] for code in free)
        quotas = {code: rest * sizes[code] / weight for code in free}
        newly = {code: floor_of[code] for code in free if quotas[code] < floor_of[code]}
        newly.update({code: sizes[code] for code in free if quotas[code] > sizes[code]})
        if not newly:
            break
        fixed.update(newly)
    parts = {code: int(quotas[code]) for code in free}
    left = rest - sum(parts.values())
    order = sorted(free, key=lambda code: (-(quotas[code] - parts[code]), code))
    for code in order[:left]:
        parts[code] += 1
    return {code: fixed.get(code, parts.get(code, 0)) for code in strata}


@dataclass(frozen=True)
class FrameTps:
    """One TPS of the population: its pk, stratum, kelurahan code and number."""

    pk: int
    stratum: str
    kelurahan: str
    number: int


def draw(frame: Iterable[FrameTps], allocation: Mapping[str, int], seed: int) -> list[FrameTps]:
    """The sampled TPS (see the module doc), in canonical order."""
    by_stratum: dict[str, list[FrameTps]] = {}
    for tps in frame:
        by_stratum.setdefault(tps.stratum, []).append(tps)
    rng = random.Random(seed)
    chosen: list[FrameTps] = []
    for stratum in sorted(by_stratum):
        members = sorted(by_stratum[stratum], key=lambda t: (t.kelurahan, t.number))
        chosen.extend(rng.sample(members, min(allocation.get(stratum, 0), len(members))))
    return sorted(chosen, key=canonical_line)


def canonical_line(tps) -> str:
    """``<stratum>,<kelurahan code>,<TPS number>`` of a sampled TPS."""
    return f"{tps.stratum},{tps.kelurahan},{tps.number}"


def canonical_text(lines: Iterable[str]) -> str:
    return "\n".join(sorted(lines, key=lambda line: line.encode()))


def sample_hash(lines: Iterable[str]) -> str:
    """SHA-256 (hex) of the canonical list (see the module doc)."""
    return hashlib.sha256(canonical_text(lines).encode()).hexdigest()


def strata_sizes(frame: Sequence[FrameTps]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for tps in frame:
        sizes[tps.stratum] = sizes.get(tps.stratum, 0) + 1
    return sizes
