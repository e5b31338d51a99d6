"""The beranda card of the incidents module: open reports and those past their target."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core import clock
from posko.core.dashboard import Card
from posko.incidents.models import State
from posko.incidents.stats import visible_reports


def open_card(user, election):
    if not user.is_authenticated:
        return None
    if election is None:
        return None
    qs = visible_reports(user, election)
    data = qs.order_by().aggregate(
        open=Count("pk", filter=Q(state__in=[State.BARU, State.DIVERIFIKASI, State.DITERUSKAN,
                                             State.DITINDAKLANJUTI])),
        overdue=Count("pk", filter=Q(state=State.BARU, response_due_at__lt=clock.now())
                      | Q(state__in=[State.BARU, State.DIVERIFIKASI, State.DITERUSKAN,
                                     State.DITINDAKLANJUTI], resolve_due_at__lt=clock.now())))
    if not data["open"] and not qs.exists():
        return None
    return Card(_("Open reports"), number_format(data["open"], force_grouping=True),
                reverse("incidents:report_list") + "?open=on",
                note=(_("%(n)s past their target") % {"n": data["overdue"]}
                      if data["overdue"] else ""),
                alert=bool(data["overdue"]))
