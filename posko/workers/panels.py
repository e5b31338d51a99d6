"""The workers panel on the TPS page: who is posted there (NIK masked), BPJS and screening
(three queries whatever the number of workers)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from posko.core.tps_panels import register_panel
from posko.workers.models import Worker

LIMIT = 15


def short_name(full_name: str) -> str:
    """"Siti Nur Aisyah" -> "Siti N. A.": the page is shown on phones in the field; the
    full name is on the worker's own page."""
    first, *rest = (full_name or "").split() or [""]
    return " ".join([first, *(f"{part[0]}." for part in rest)])


def build(tps, request) -> dict:
    workers = Worker.objects.visible_to(request.user).filter(election_id=tps.election_id, tps=tps)
    active = workers.filter(status=Worker.Status.AKTIF)
    counts = active.aggregate(
        total=Count("pk"),
        bpjs_active=Count("pk", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
        unfit=Count("pk", filter=Q(screening_result=Worker.Screening.TIDAK_LAYAK)),
        unscreened=Count("pk", filter=Q(screening_result=Worker.Screening.BELUM)),
        flagged=Count("pk", filter=~Q(flags="")))
    rows = list(active.only("pk", "role", "full_name", "nik", "status", "bpjs_status",
                            "screening_result", "flags")
                .order_by("role", "full_name")[:LIMIT])
    for worker in rows:
        worker.shown_name = short_name(worker.full_name)
    return {"workers": rows, "counts": counts, "more": max(0, counts["total"] - len(rows)),
            "list_query": f"tps={tps.pk}"}


def register() -> None:
    register_panel("workers", _("Workers"), build, "workers/_tps_panel.html", order=30)
