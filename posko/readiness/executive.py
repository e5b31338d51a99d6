"""The readiness section of the executive dashboard (``core.executive``): TPS ready, the
H-1 forecast, the index per kecamatan (per kelurahan for a camat) and the least-ready TPS
with the component they miss (the top risks). A fixed number of queries, over the rows
the user may see."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import executive
from posko.core import readiness as registry
from posko.core.dashboard import Card
from posko.core.reports import Table
from posko.readiness.models import ReadinessSettings, TpsIndex
from posko.readiness.services import rollups

TOP_RISKS = 5


def _n(value) -> str:
    return number_format(value, force_grouping=True)


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def readiness_section(user, election, today) -> executive.Section | None:
    qs = TpsIndex.objects.visible_to(user).filter(election=election)
    settings = ReadinessSettings.for_election(election)
    threshold = float(settings.ready_threshold)
    total = rollups.rollup(qs, threshold, None)[0]
    if not total.with_index:
        return None
    url = reverse("readiness:overview")
    figures = [Card(_("TPS ready"), f"{_n(total.ready)} / {_n(total.with_index)}", url,
                    note=_("index from %(threshold)s; average %(average)s") % {
                        "threshold": settings.ready_threshold, "average": _fmt(total.average)},
                    alert=total.ready < total.with_index)]
    if today < rollups.target_day(election):
        view = rollups.forecasts(qs, election, today)
        late = sum(1 for f in view.forecasts if not f.ready)
        figures.append(Card(_("Not ready by H-1 (forecast)"), _n(late),
                            reverse("readiness:forecast"),
                            note=_("at the present rate of progress"), alert=bool(late)))
    level = "kelurahan" if getattr(user, "scope_kecamatan_id", None) else "kecamatan"
    place = _("Kelurahan") if level == "kelurahan" else _("Kecamatan")
    groups = Table([place, "TPS", _("Ready"), _("Not ready"), _("Average index")],
                   [[g.name, _n(g.tps), _n(g.ready), _n(g.not_ready), _fmt(g.average)]
                    for g in rollups.rollup(qs, threshold, level)],
                   caption=_("Readiness per %(level)s") % {"level": place.lower()},
                   widths=[34, 14, 16, 18, 18])
    labels = {c.key: str(c.label) for c in registry.components()}
    least = [row for row in rollups.least_ready(qs, TOP_RISKS) if row.index < threshold]
    risks = Table([_("TPS"), _("Index"), _("Missing")],
                  [[f"TPS {row.tps.number:03d} {row.kelurahan.name}", _fmt(row.index),
                    labels.get(row.missing, "—")] for row in least],
                  caption=_("Top risks: the least-ready TPS"), empty=_("Every TPS is ready."),
                  widths=[45, 15, 40])
    return executive.Section(figures=figures, tables=[groups, risks], url=url)


def register() -> None:
    executive.register_section("readiness", gettext_lazy("TPS readiness"), readiness_section,
                               order=20)
