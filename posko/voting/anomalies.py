"""The statistics behind the anomaly flags that compare TPS with each other (issue 14):
pure functions, no database. The job that applies them is
:mod:`posko.voting.services.anomalies`.

Robust z-score (Iglewicz & Hoaglin)
    ``z = 0.6745 (x − median) / MAD`` with ``MAD = median |xᵢ − median|``; 0.6745 makes
    ``MAD / 0.6745`` estimate the standard deviation of normal data, so ``z`` reads as "so
    many standard deviations". When more than half of the values are equal, ``MAD = 0``;
    then the mean absolute deviation is used: ``z = (x − median) / (1.2533 · meanAD)``
    (1.2533 = √(π/2), the same correction for the mean deviation). When that is 0 too, every
    value is the median and nothing is flagged.

Groups
    A TPS is compared with the TPS of its kelurahan and with those of its kecamatan, and
    flagged when ``|z| ≥ threshold`` in **both** comparisons: a kelurahan of ten TPS has a
    noisy MAD, and with it alone about 5 % of honest TPS came out flagged in
    ``bench/voting_anomalies.py``. A group of fewer than :data:`MIN_GROUP` TPS with a result
    says little: that comparison is made one level up instead (kelurahan → kecamatan →
    kab/kota; then there may be one comparison only); with fewer than :data:`MIN_GROUP` in
    the kab/kota too, it is not made.

Same result
    Two or more TPS of the same kecamatan with the same votes per pair, the same valid and
    the same invalid votes, when at least :data:`MIN_SAME_TOTAL` votes were cast (small
    counts repeat by chance). Across a whole province a few such pairs happen by chance;
    within a kecamatan (about a hundred TPS) they practically never do.

Last digits
    In honest counts of 10 or more the last digit is close to uniform; invented numbers are
    not. Per kecamatan, the last digits of the pairs' votes of at least 10 are counted and
    compared with the uniform distribution by Pearson's chi-square, 9 degrees of freedom:
    ``χ² = Σ (Oᵈ − E)² / E``, ``E = n / 10``; flagged when ``p < DIGIT_P``. Tested only with
    at least :data:`MIN_DIGITS` digits (5 expected per digit). The p-value is the regularised
    upper incomplete gamma function ``Q(df/2, χ²/2)`` (series below ``a + 1``, Lentz's
    continued fraction above; Numerical Recipes §6.2), so no SciPy is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z_FACTOR = 0.6745
MEAN_AD_FACTOR = 1.2533
MIN_GROUP = 5
MIN_SAME_TOTAL = 20
MIN_LAST_DIGIT_COUNT = 10
MIN_DIGITS = 50
DIGIT_P = 0.001
DIGIT_DF = 9


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        raise ValueError("median of no values")
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def robust_spread(values: Sequence[float]) -> tuple[float, float | None]:
    """``(median, s)`` with ``z = (x − median) / s``: ``s = MAD / 0.6745``, or
    ``1.2533 · meanAD`` when the MAD is 0; ``s`` is None when every value is the median."""
    center = median(values)
    deviations = [abs(v - center) for v in values]
    mad = median(deviations)
    if mad > 0:
        return center, mad / Z_FACTOR
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return center, MEAN_AD_FACTOR * mean_ad
    return center, None


def robust_z(value: float, center: float, spread: float | None) -> float | None:
    if spread is None:
        return None
    return (value - center) / spread


def robust_z_scores(values: Sequence[float]) -> list[float | None]:
    center, spread = robust_spread(values)
    return [robust_z(v, center, spread) for v in values]


def group_for(counts: dict[str, int], kelurahan: str, kecamatan: str, kabkota: str,
              level: str) -> tuple[str, str] | None:
    """The group a TPS is compared with at ``level`` ("kelurahan" or "kecamatan"): itself
    when it has at least MIN_GROUP TPS, else the next level up; None when even the kab/kota
    has fewer. ``counts`` maps a region code to its TPS with a result."""
    chain = [("kelurahan", kelurahan), ("kecamatan", kecamatan), ("kabkota", kabkota)]
    start = 0 if level == "kelurahan" else 1
    for name, code in chain[start:]:
        if counts.get(code, 0) >= MIN_GROUP:
            return name, code
    return None


def same_result_key(votes: dict, valid: int, invalid: int) -> tuple | None:
    """What two TPS must share to have "the same result"; None for trivially small counts."""
    if valid + invalid < MIN_SAME_TOTAL:
        return None
    return (tuple(sorted((int(n), int(c)) for n, c in votes.items())), valid, invalid)


def last_digits(counts) -> list[int]:
    """Histogram (10 counts) of the last digits of the counts of at least 10."""
    histogram = [0] * 10
    for count in counts:
        if count >= MIN_LAST_DIGIT_COUNT:
            histogram[count % 10] += 1
    return histogram


def chi_square_uniform(histogram: Sequence[int]) -> float:
    n = sum(histogram)
    expected = n / len(histogram)
    return sum((observed - expected) ** 2 / expected for observed in histogram)


def chi_square_p(statistic: float, df: int) -> float:
    """P(X ≥ statistic) for X ~ χ²(df)."""
    if statistic <= 0:
        return 1.0
    return gamma_q(df / 2, statistic / 2)


def gamma_q(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a)."""
    if x < 0 or a <= 0:
        raise ValueError("gamma_q needs x >= 0 and a > 0")
    if x == 0:
        return 1.0
    if x < a + 1:
        return 1.0 - _gamma_p_series(a, x)
    return _gamma_q_fraction(a, x)


def _gamma_p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _ in range(1000):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a: float, x: float) -> float:
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def digit_test(histogram: Sequence[int]) -> tuple[float, float] | None:
    """``(χ², p)`` of a last-digit histogram against uniform; None below MIN_DIGITS."""
    if sum(histogram) < MIN_DIGITS:
        return None
    statistic = chi_square_uniform(histogram)
    return statistic, chi_square_p(statistic, DIGIT_DF)
