"""The H-3 forecast (pure; simple and explainable).

For each component of a TPS: rate = (value today - value ``window`` days earlier) /
days between (the progress per day so far; negative progress counts as none), projected
value at the target day = value today + rate * days left, at most 1. The projected index
combines the projected components with the election's weights; the TPS is forecast ready
when it reaches the ready threshold.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from posko.readiness.services.index import combine


@dataclass
class Projection:
    key: str
    now: float
    rate: float  # per day
    projected: float


@dataclass
class Forecast:
    tps_id: int
    index_now: float | None
    projected: float | None
    ready: bool
    days_left: int
    parts: list[Projection] = field(default_factory=list)

    @property
    def slowest(self) -> Projection | None:
        short = [p for p in self.parts if p.projected < 1]
        return min(short, key=lambda p: p.projected) if short else None


def project(history: dict[datetime.date, dict[str, float | None]], today: datetime.date,
            target: datetime.date, window: int) -> list[Projection]:
    """``history``: {day: {component: value}} up to ``today`` (``today`` must be in it)."""
    current = history.get(today) or {}
    days_left = max(0, (target - today).days)
    earlier_days = sorted(d for d in history if d < today and (today - d).days <= window)
    base_day = earlier_days[0] if earlier_days else None
    parts = []
    for key, now in current.items():
        if now is None:
            continue
        rate = 0.0
        if base_day is not None:
            before = history[base_day].get(key)
            if before is not None:
                rate = max(0.0, (now - before) / (today - base_day).days)
        projected = min(1.0, now + rate * days_left)
        parts.append(Projection(key, now, round(rate, 4), round(projected, 4)))
    return parts


def forecast(tps_id: int, history, today, target, window, weights, ready_threshold) -> Forecast:
    parts = project(history, today, target, window)
    now = combine({p.key: p.now for p in parts}, weights)
    projected = combine({p.key: p.projected for p in parts}, weights)
    return Forecast(tps_id, now, projected,
                    projected is not None and projected >= float(ready_threshold),
                    max(0, (target - today).days), parts)
