"""The derived vulnerability indicator "KPPS bertugas/memilih di luar domisili" (Bawaslu
variable 1), offered through ``posko.core.derived``: per TPS, the KPPS who serve there but
are registered to vote (on the DPT) at another TPS. Where a KPPS lives is a separate
eligibility flag (``rules.is_outside_domicile``), not this indicator."""

from __future__ import annotations

from django.db.models import Count, F
from django.urls import reverse
from django.utils.translation import ngettext

from posko.core.derived import DerivedValue
from posko.workers.models import Worker


def registered_elsewhere(queryset):
    """Workers posted at a TPS and registered at another one (unknown registration: not)."""
    return queryset.filter(tps__isnull=False, registered_tps__isnull=False).exclude(
        registered_tps=F("tps"))


def kpps_registered_elsewhere(election, tps_ids=None) -> list[DerivedValue]:
    """Per TPS: the number of active KPPS registered to vote at another TPS. One grouped
    query for the whole election (or the given TPS)."""
    qs = registered_elsewhere(Worker.objects.filter(
        election=election, role__in=Worker.KPPS_ROLES, status=Worker.Status.AKTIF))
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    base = reverse("workers:worker_list")
    return [
        DerivedValue(tps_id, n, ngettext("%(n)s KPPS registered to vote at another TPS",
                                         "%(n)s KPPS registered to vote at another TPS",
                                         n) % {"n": n},
                     f"{base}?tps={tps_id}&votes_elsewhere=true")
        for tps_id, n in qs.order_by().values("tps_id").annotate(n=Count("pk"))
        .values_list("tps_id", "n").order_by("tps_id")
    ]
