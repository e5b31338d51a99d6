"""Panels on the TPS page (``elections:tps_detail``), contributed by modules.

One page shows everything about a TPS; each module adds its own panel. A module declares in
its ``AppConfig.ready()``::

    from posko.core.tps_panels import register_panel
    register_panel("logistics", _("Logistics"), builder, "logistics/_tps_panel.html", order=20)

- ``builder(tps, request) -> dict | None``: the panel's context, or None to show no panel
  (nothing to say, or not for this user). ``tps`` comes with ``election``, ``kelurahan`` and
  ``kecamatan`` loaded; ``request.user`` is the viewer, whose scope already holds the TPS (the
  page 404s otherwise). The builder must run a *fixed* number of queries whatever the data
  size (aggregate, slice lists with a count beside them): the page is held to a query bound.
- ``template_name``: rendered with ``panel`` (the builder's dict), ``tps`` and ``request``
  inside a ``<section>`` headed by ``label``. Link to the module's own pages filtered to
  the TPS.
- ``order``: smaller first.

Nothing here imports an app: a module removed from INSTALLED_APPS registers no panel and
the page simply does not show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PanelEntry:
    key: str
    label: object
    builder: Callable
    template_name: str
    order: int = 100


@dataclass
class Panel:
    """One panel as the page draws it."""

    key: str
    label: str
    template_name: str
    context: dict = field(default_factory=dict)


_panels: dict[str, PanelEntry] = {}


def register_panel(key: str, label, builder: Callable, template_name: str, *,
                   order: int = 100) -> None:
    """Add (or replace: same key) a panel on the TPS page."""
    _panels[key] = PanelEntry(key, label, builder, template_name, order)


def unregister_panel(key: str) -> None:
    _panels.pop(key, None)


def registered() -> list[PanelEntry]:
    return sorted(_panels.values(), key=lambda e: (e.order, e.key))


def panels_for(tps, request) -> list[Panel]:
    """The panels to draw for ``tps``, in order; builders returning None are left out."""
    panels = []
    for entry in registered():
        context = entry.builder(tps, request)
        if context is None:
            continue
        panels.append(Panel(entry.key, str(entry.label), entry.template_name, context))
    return panels
