"""The readiness panel on the TPS page (``core.tps_panels``): components, then the index."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core import readiness as registry
from posko.core.tps_panels import register_panel
from posko.readiness.models import TpsIndex


def build(tps, request) -> dict:
    row = TpsIndex.objects.filter(tps=tps).first()
    if row is None:  # not computed yet: the panel says so (the job runs every 15 minutes)
        return {"row": None, "parts": [], "missing": ""}
    labels = {c.key: c.label for c in registry.components()}
    parts = [{"label": labels.get(k, k), "value": v[0], "reason": v[1]}
             for k, v in row.components.items() if k in labels]
    return {"row": row, "parts": parts, "missing": labels.get(row.missing, "")}


def register() -> None:
    register_panel("readiness", _("Readiness"), build, "readiness/_tps_panel.html", order=15)
