"""The readiness section of the daily report (``core.reports``): components first, then
the index per kecamatan, then the H-3 forecast. Limited to what the user may see."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock
from posko.core import readiness as registry
from posko.core.reports import Section, Table, register_section
from posko.readiness.models import ReadinessSettings, TpsIndex
from posko.readiness.services import rollups

SECTION_ORDER = 67


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def readiness_section(day: datetime.date, user, election) -> Section | None:
    if election is None:
        return None
    qs = TpsIndex.objects.visible_to(user).filter(election=election)
    if not qs.exists():
        return None
    settings = ReadinessSettings.for_election(election)
    threshold = float(settings.ready_threshold)
    comps = registry.components()
    averages = rollups.component_averages(qs, [c.key for c in comps])
    comp_table = Table([_("Component"), _("Owner"), _("Average")],
                       [[str(c.label), c.owner, _fmt(averages.get(c.key))] for c in comps],
                       caption=_("Components (0–1)"))
    total = rollups.rollup(qs, threshold, None)[0]
    kec = Table([_("Kecamatan"), _("TPS"), _("Ready"), _("Not ready"), _("Average index")],
                [[g.name, g.tps, g.ready, g.not_ready, _fmt(g.average)]
                 for g in rollups.rollup(qs, threshold, "kecamatan")],
                caption=_("Index per kecamatan"))
    paragraphs = [_("%(ready)s of %(count)s TPS ready (index from %(threshold)s); average index "
                    "%(average)s.") % {"ready": total.ready, "count": total.with_index,
                                       "threshold": settings.ready_threshold,
                                       "average": _fmt(total.average)}]
    today = min(day, clock.today(), rollups.target_day(election))
    if today < election.voting_date:
        view = rollups.forecasts(qs, election, today)
        late = sum(1 for f in view.forecasts if not f.ready)
        paragraphs.append(_("Forecast for H-1: %(late)s TPS will not be ready at the present "
                            "rate.") % {"late": late})
    return Section(_("TPS readiness"), paragraphs, [comp_table, kec])


def register() -> None:
    register_section("readiness", gettext_lazy("TPS readiness"), readiness_section,
                     order=SECTION_ORDER)
