"""What the report pages share: state labels, overdue flags, the report queryset."""

from __future__ import annotations

from posko.core import clock
from posko.core.views import ScopedMixin
from posko.incidents.models import Report, State

STATE_CLASSES = {
    State.BARU: "",
    State.DIVERIFIKASI: "status-berjalan",
    State.DITERUSKAN: "status-berjalan",
    State.DITINDAKLANJUTI: "status-berjalan",
    State.SELESAI: "status-selesai",
    State.DITOLAK: "status-terhambat",
}
STATE_LABELS = dict(State.choices)


def flag(reports, now=None):
    now = now or clock.now()
    for r in reports:
        r.flag_overdue = r.overdue(now)
        r.state_class = STATE_CLASSES.get(r.state, "")
    return reports


class ReportMixin(ScopedMixin):
    model = Report

    def get_base_queryset(self):
        return Report.objects.select_related("category", "kecamatan", "kelurahan", "tps", "agency",
                                             "assignee", "stage")
