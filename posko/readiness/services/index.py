"""The index arithmetic (pure functions, tested against hand-computed cases).

index = sum(weight_k * value_k) / sum(weight_k) over the components that have a value for
the TPS (a component absent — its module removed, or no data for this TPS — is left out of
both sums, not counted as 0). No component with a value: no index (None).
"""

from __future__ import annotations

from posko.core import readiness as registry


def weights_for(settings) -> dict[str, int]:
    """Every registered component's weight for the election: the admin's, else the default."""
    chosen = settings.weights or {}
    result = {}
    for comp in registry.components():
        value = chosen.get(comp.key, comp.weight)
        try:
            result[comp.key] = max(0, int(value))
        except (TypeError, ValueError):
            result[comp.key] = comp.weight
    return result


def combine(values: dict[str, float | None], weights: dict[str, int]) -> float | None:
    total = 0.0
    weight_sum = 0
    for key, value in values.items():
        weight = weights.get(key, 0)
        if value is None or weight <= 0:
            continue
        total += weight * float(value)
        weight_sum += weight
    if not weight_sum:
        return None
    return round(total / weight_sum, 4)


def weakest(values: dict[str, float | None], weights: dict[str, int], threshold: float,
            index: float | None, ready: float) -> str:
    """The component to name as missing: the lowest value below ``threshold`` (ties: the
    heavier weight); when none is below it but the index is short of ``ready``, the lowest
    value below 1. Empty when nothing is missing."""
    present = [(v, -weights.get(k, 0), k) for k, v in values.items()
               if v is not None and weights.get(k, 0) > 0]
    below = sorted(p for p in present if p[0] < threshold)
    if below:
        return below[0][2]
    if index is not None and index < ready:
        short = sorted(p for p in present if p[0] < 1)
        if short:
            return short[0][2]
    return ""


def values_of(components: dict) -> dict[str, float | None]:
    """``{key: value}`` from the stored ``{key: [value, reason]}``."""
    return {key: (pair[0] if pair else None) for key, pair in (components or {}).items()}
