"""Logistics as a source of TPS vulnerability indicators (``posko.core.derived``).

Bawaslu's logistics indicators are histories, so every shortfall case of a TPS counts,
open or resolved:

- ``logistik_kurang``: cases "received less", "received more" or "TPS total below
  requirement" (Bawaslu: logistics short, surplus or missing);
- ``logistik_rusak``: cases "damaged items";
- ``logistik_terlambat``: cases "received after the deadline".

The evidence line says how many cases and how many are still open; the link goes to the
shortfall list of that TPS. ``services.shortfalls`` calls :func:`changed` after it flags or closes
cases. Each source is one grouped query over the election's shortfall cases.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import derived
from posko.logistics.models import Shortfall

KINDS = {
    "logistik_kurang": ("logistics.shortfall", ("short", "surplus", "below")),
    "logistik_rusak": ("logistics.damaged", ("damaged",)),
    "logistik_terlambat": ("logistics.late", ("late",)),
}


def _source(kinds):
    def compute(election, tps_ids):
        qs = Shortfall.objects.filter(election=election, kind__in=kinds, tps__isnull=False)
        if tps_ids is not None:
            qs = qs.filter(tps_id__in=list(tps_ids))
        rows = qs.values("tps_id", "kelurahan_id").annotate(
            n=Count("pk"), open=Count("pk", filter=~Q(status=Shortfall.Status.RESOLVED))
        ).order_by()
        base = reverse("logistics:shortfall_list")
        for row in rows:
            yield derived.DerivedValue(
                row["tps_id"], 1,
                _("%(n)s shortfall case(s), %(open)s open") % row,
                f"{base}?kelurahan={row['kelurahan_id']}")
    return compute


def register() -> None:
    for indicator, (key, kinds) in KINDS.items():
        derived.register_source(indicator, key, _source(kinds), label=gettext_lazy("Logistics"))


def changed(election, tps_ids) -> None:
    """Tell the consumers that the cases of ``tps_ids`` changed (every logistics source)."""
    tps_ids = sorted({t for t in tps_ids if t})
    if not tps_ids:
        return
    for key, _kinds in KINDS.values():
        derived.changed(key, election, tps_ids)
