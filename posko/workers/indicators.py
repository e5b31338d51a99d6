"""The derived vulnerability indicator "KPPS domiciled outside the TPS's kelurahan"
(Bawaslu variable 1), offered through ``posko.core.derived``."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import ngettext

from posko.core.derived import DerivedValue
from posko.workers.models import Worker


def kpps_outside_domicile(election, tps_ids=None) -> list[DerivedValue]:
    """Per TPS: the number of active KPPS whose domicile kelurahan is not the TPS's.
    One grouped query for the whole election (or the given TPS)."""
    qs = Worker.objects.filter(election=election, role__in=Worker.KPPS_ROLES,
                               status=Worker.Status.AKTIF, outside_domicile=True,
                               tps__isnull=False)
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    base = reverse("workers:worker_list")
    return [
        DerivedValue(tps_id, n, ngettext("%(n)s KPPS domiciled outside the TPS's kelurahan",
                                         "%(n)s KPPS domiciled outside the TPS's kelurahan",
                                         n) % {"n": n},
                     f"{base}?tps={tps_id}&outside_domicile=true")
        for tps_id, n in qs.values("tps_id").annotate(n=Count("pk")).values_list("tps_id", "n")
        .order_by("tps_id")
    ]



