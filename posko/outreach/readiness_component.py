"""The outreach component of the readiness index (``core.readiness``): the reach of the
TPS's kelurahan (held activities' attendance per 1,000 voters of its DPT) against the early
warning's threshold (``low_reach_per_1000``), at most 1. Every TPS of a kelurahan gets the
kelurahan's value."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import readiness
from posko.elections.models import Tps
from posko.outreach.coverage import counted_activities
from posko.outreach.models import Activity, OutreachSettings


def compute(election, tps_ids):
    low = OutreachSettings.for_election(election).low_reach_per_1000
    tps = Tps.objects.filter(election=election)
    if tps_ids is not None:
        tps = tps.filter(pk__in=list(tps_ids))
    places = list(tps.values_list("pk", "kelurahan_id"))
    kelurahan = {kel for _pk, kel in places}
    dpt = dict(Tps.objects.filter(election=election).values_list("kelurahan_id")
               .annotate(d=Sum("dpt_total")).order_by())
    reached = dict(counted_activities(election).values_list("kelurahan_id")
                   .annotate(r=Sum("attendance")).order_by())
    result = {}
    for pk, kel in places:
        if kel not in kelurahan or not dpt.get(kel):
            continue
        per_1000 = 1000 * (reached.get(kel) or 0) / dpt[kel]
        value = min(1.0, per_1000 / low) if low else 1.0
        result[pk] = (value, _("kelurahan reach %(reach)s per 1,000 voters (threshold "
                               "%(low)s)") % {"reach": f"{per_1000:.0f}", "low": low})
    return result


def activity_changed(activity, before: dict | None = None) -> None:
    """A held activity (or one that was held: ``before``, its snapshot before the change)
    was saved or deleted: the reach of its kelurahan moved, so every TPS of the kelurahan
    (and of the one it moved from) is recomputed after the write commits."""
    held = Activity.Status.HELD
    was_held = bool(before) and before.get("status") == held
    if activity.status != held and not was_held:
        return
    kelurahan = {activity.kelurahan_id} | ({before.get("kelurahan")} if before else set())
    kelurahan.discard(None)
    kelurahan.discard("")
    if not kelurahan:
        return
    ids = list(Tps.objects.filter(election_id=activity.election_id, kelurahan_id__in=kelurahan)
               .values_list("pk", flat=True))
    if ids:
        readiness.changed("outreach", activity.election, ids)


def register() -> None:
    readiness.register_component("outreach", gettext_lazy("Outreach reach"), "KPU", 10,
                                 compute, order=40)
