"""The staffing component of the readiness index (``core.readiness``): the lowest of
filled (active KPPS and Linmas against the norms), insured (BPJS active) and screened
(screened fit or fit with notes), each a share of the TPS's posts."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import readiness
from posko.workers.models import Worker, WorkerSettings

ROLES = (*Worker.KPPS_ROLES, Worker.Role.LINMAS)


def compute(election, tps_ids):
    settings = WorkerSettings.for_election(election)
    norm = settings.kpps_per_tps + settings.linmas_per_tps
    qs = Worker.objects.filter(election=election, status=Worker.Status.AKTIF, role__in=ROLES,
                               tps__isnull=False)
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    rows = qs.values("tps_id").annotate(
        n=Count("pk"), insured=Count("pk", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
        screened=Count("pk", filter=Q(screening_result__in=(
            Worker.Screening.LAYAK, Worker.Screening.CATATAN)))).order_by()
    result = {}
    for row in rows.iterator(chunk_size=2000):
        filled = min(1.0, row["n"] / norm) if norm else 1.0
        insured = row["insured"] / row["n"]
        screened = row["screened"] / row["n"]
        reason = _("%(n)s of %(norm)s posts filled, %(insured)s insured, %(screened)s "
                   "screened") % {"n": row["n"], "norm": norm, "insured": row["insured"],
                                  "screened": row["screened"]}
        result[row["tps_id"]] = (min(filled, insured, screened), reason)
    return result


def changed(election, tps_ids) -> None:
    """A coverage or a screening changed at ``tps_ids``: the readiness consumer recomputes
    the staffing component there after the write commits (a new, moved or replaced worker
    is announced through the ``workers.domicile`` source the component watches)."""
    ids = sorted({pk for pk in tps_ids if pk})
    if ids:
        readiness.changed("staffing", election, ids)


def register() -> None:
    readiness.register_component("staffing", gettext_lazy("Staffing filled, insured, screened"),
                                 "KPU", 25, compute, watches=("workers.domicile",), order=20)
