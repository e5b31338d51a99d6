"""The incidents section of the executive dashboard (``core.executive``): open reports of
severity tinggi or kritis, those past their target, and the latest five of them (what,
where, since when). Three queries, over the reports the user may see; no reporter."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock, executive
from posko.core.dashboard import Card
from posko.core.reports import Table
from posko.incidents.models import Severity, State
from posko.incidents.models.reports import OPEN_STATES
from posko.incidents.stats import visible_reports

SERIOUS = (Severity.TINGGI, Severity.KRITIS)
LATEST = 5


def _n(value) -> str:
    return number_format(value, force_grouping=True)


def incidents_section(user, election, today) -> executive.Section | None:
    now = clock.now()
    qs = visible_reports(user, election)
    open_q = Q(state__in=OPEN_STATES)
    overdue_q = Q(state=State.BARU, response_due_at__lt=now) | (open_q & Q(resolve_due_at__lt=now))
    data = qs.order_by().aggregate(
        total=Count("pk"), open=Count("pk", filter=open_q),
        serious=Count("pk", filter=open_q & Q(severity__in=SERIOUS)),
        critical=Count("pk", filter=open_q & Q(severity=Severity.KRITIS)),
        overdue=Count("pk", filter=overdue_q))
    if not data["total"]:
        return None
    url = reverse("incidents:report_list")
    figures = [
        Card(_("Open serious incidents"), _n(data["serious"]), f"{url}?open=on&severity=kritis",
             note=_("%(n)s critical; severity high or critical") % {"n": _n(data["critical"])},
             alert=bool(data["serious"])),
        Card(_("Open reports"), _n(data["open"]), f"{url}?open=on",
             note=_("%(n)s past their target") % {"n": _n(data["overdue"])} if data["overdue"]
             else "", alert=bool(data["overdue"])),
    ]
    latest = (qs.open().filter(severity__in=SERIOUS).select_related("category", "kecamatan",
                                                                     "kelurahan")
              .order_by("-created_at", "-pk")[:LATEST])
    rows = [[timezone.localtime(r.created_at).strftime("%d-%m %H.%M"), r.get_severity_display(),
             r.category.name if r.category_id else "", r.title,
             (r.kelurahan.name if r.kelurahan_id else r.kecamatan.name),
             r.get_state_display()] for r in latest]
    table = Table([_("Received"), _("Severity"), _("Category"), _("Title"), _("Place"),
                   _("State")], rows, caption=_("Latest open serious incidents"),
                  empty=_("No open serious incident."), widths=[12, 10, 18, 30, 16, 14])
    return executive.Section(figures=figures, tables=[table], url=reverse("incidents:situation"))


def register() -> None:
    executive.register_section("incidents", gettext_lazy("Incidents"), incidents_section,
                               order=40)
