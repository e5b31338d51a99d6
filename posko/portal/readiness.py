"""The readiness summary on the public portal, read through the core readiness registry
(``core.readiness``: each module's per-TPS component, value 0..1): per kelurahan the share
of TPS complete and the average per component. Only values: a component's ``reason`` line
is never shown. Without any registered component (the modules removed) the section is
absent. Equal weights: the readiness module's per-election weighted index is its own page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core import readiness
from posko.core.public import register_public_section
from posko.elections.models import Tps

COMPLETE = 0.999


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def build(election, kelurahan):
    components = readiness.components()
    if not components:
        return None
    rows = Tps.objects.filter(election=election)
    if kelurahan:
        rows = rows.filter(kelurahan_id=kelurahan)
    place = dict(rows.values_list("id", "kelurahan_id"))
    if not place:
        return None
    names = dict(rows.values_list("kelurahan_id", "kelurahan__name").distinct())
    ids = list(place) if kelurahan else None
    per_component, per_kelurahan = [], {}
    for component in components:
        values = {tps_id: value for tps_id, (value, _reason) in
                  component.compute(election, ids).items() if tps_id in place}
        done = sum(1 for v in values.values() if v >= COMPLETE)
        per_component.append({
            "label": str(component.label), "tps_with_data": len(values), "tps_complete": done,
            "complete_percent": _percent(done, len(values)),
            "average_percent": _percent(sum(values.values()), len(values))})
        for tps_id, value in values.items():
            entry = per_kelurahan.setdefault(place[tps_id], [0.0, 0])
            entry[0] += value
            entry[1] += 1
    kelurahan_rows = sorted(
        ({"code": code, "name": names.get(code, code),
          "tps": sum(1 for k in place.values() if k == code),
          "average_percent": _percent(total, count)}
         for code, (total, count) in per_kelurahan.items()), key=lambda r: r["name"])
    return {"tps_total": len(place), "components": per_component,
            "kelurahan": [] if kelurahan else kelurahan_rows}


def register() -> None:
    register_public_section("readiness", _("Readiness of the TPS"), build,
                            "portal/_readiness_section.html", order=20, ttl=600)
