"""The logistics component of the readiness index (``core.readiness``): the share of the
TPS's required units received in good condition (``TpsReadiness``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import readiness
from posko.logistics.models import TpsReadiness


def compute(election, tps_ids):
    qs = TpsReadiness.objects.filter(election=election, required_units__gt=0)
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    result = {}
    for tps_id, required, good, shortfalls in qs.values_list(
            "tps_id", "required_units", "good_units", "open_shortfalls").iterator(chunk_size=2000):
        reason = _("%(good)s of %(required)s units received in good condition") % {
            "good": good, "required": required}
        if shortfalls:
            reason += "; " + _("%(count)s open shortfall cases") % {"count": shortfalls}
        result[tps_id] = (min(1.0, good / required), reason)
    return result


def register() -> None:
    readiness.register_component("logistics", gettext_lazy("Logistics complete"), "KPU", 30,
                                 compute, order=10)
