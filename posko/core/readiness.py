"""Readiness components: what each module says about a TPS being ready for voting day.

The readiness index (issue 17) combines per-TPS components that other modules compute
from their own data, without the readiness module importing them. A module registers a
component in its ``AppConfig.ready()``::

    from posko.core import readiness

    readiness.register_component("logistics", _("Logistics complete"), "logistik",
                                 weight=30, compute=logistics_component,
                                 watches=("logistics.readiness",))

``compute(election, tps_ids)`` returns ``{tps_id: (value, reason)}`` with ``value`` in
0..1 and ``reason`` one short line a person can read ("412 of 520 units received").
``tps_ids`` is None for every TPS of the election or a collection of ids. A TPS the
function leaves out has no value for the component (shown as "no data", not counted).
It must be set-based (a few queries for 435,296 TPS) and must not check the user's scope.

``owner`` is a hint naming the agency that owns the component (an ``Agency.short_name``
or part of its name, e.g. "KPU", "Bawaslu", "Kesbangpol"): the one-click Desk task of the
least-ready list goes to the first agency matching it.

A module whose data changed calls :func:`changed` (``key`` its component key); the
consumer (the readiness module) also listens to :data:`posko.core.derived.source_changed`
for the derived-source keys a component ``watches`` and recomputes periodically, so a
module that never calls :func:`changed` is still picked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.dispatch import Signal

from posko.core import fanout

ComputeFunction = Callable[[object, "Iterable[int] | None"], dict]


@dataclass(frozen=True)
class Component:
    key: str
    label: object
    owner: str  # agency hint
    weight: int  # default weight (relative; the index divides by the sum present)
    compute: ComputeFunction
    watches: tuple[str, ...] = field(default_factory=tuple)
    order: int = 100


_components: dict[str, Component] = {}

# sender: the component key; kwargs: election, tps_ids (None = every TPS of the election).
component_changed = Signal()
FANOUT = "core.readiness"


def register_component(key: str, label, owner: str, weight: int, compute: ComputeFunction, *,
                       watches: Iterable[str] = (), order: int = 100) -> None:
    """Register (or replace: same key) a component."""
    _components[key] = Component(key, label, owner, int(weight), compute, tuple(watches), order)


def unregister_component(key: str) -> None:
    _components.pop(key, None)


def components() -> list[Component]:
    return sorted(_components.values(), key=lambda c: (c.order, c.key))


def component(key: str) -> Component | None:
    return _components.get(key)


def watching(source_key: str) -> list[Component]:
    """The components that depend on the derived source ``source_key``."""
    return [c for c in components() if source_key in c.watches]


def clamp(value) -> float:
    return max(0.0, min(1.0, float(value)))


def changed(key: str, election, tps_ids: Iterable[int] | None = None) -> None:
    """Tell the consumer that component ``key`` may have other values for ``tps_ids``
    (after the write commits, through :mod:`posko.core.fanout`)."""
    fanout.send(FANOUT, election, tps_ids, key=key)


def _announce(election, tps_ids, key: str) -> None:
    component_changed.send(sender=key, election=election, tps_ids=tps_ids)


fanout.register(FANOUT, _announce)
