"""The voting-day section of the executive dashboard (``core.executive``), from the day
before voting day on: the situation room's headline figures — TPS opened (late, silent),
TPS done, and per contest the results in and the turnout — read from the board's and the
tally's running counters (a fixed number of queries), limited to what the user may see."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock, executive
from posko.core.dashboard import Card
from posko.core.reports import Table
from posko.elections.drilldown import Level
from posko.voting import board, services
from posko.voting.report import LABEL, _percent, contest_figures


def _n(value) -> str:
    return number_format(value or 0, force_grouping=True)


def voting_section(user, election, today) -> executive.Section | None:
    if today < election.voting_date - datetime.timedelta(days=1):
        return None
    conf = services.settings_for(election)
    total = board.rollup(election, user, Level("pemda"), conf, clock.now())["total"]
    url = reverse("voting:board")
    figures = [
        Card(_("TPS opened"), f"{_n(total['opened'])} / {_n(total['tps'])}", url,
             note=_("%(late)s late, %(silent)s silent") % {"late": _n(total["late"]),
                                                          "silent": _n(total["silent"])},
             alert=bool(total["late"] or total["silent"])),
        Card(_("TPS done (counted)"), f"{_n(total['done'])} / {_n(total['tps'])}", url,
             note=f"{_percent(total['done_percent'])} %"),
    ]
    rows = []
    for contest in services.contests_of(election):
        _data, _pairs, figures_of = contest_figures(user, election, contest)
        rows.append([str(contest), f"{_n(figures_of['reported'])} / {_n(figures_of['tps'])}",
                     _percent(figures_of["reported_percent"]), _n(figures_of["to_verify"]),
                     _percent(figures_of["turnout"])])
        figures.append(Card(_("Results in: %(contest)s") % {"contest": contest},
                            f"{_percent(figures_of['reported_percent'])} %",
                            f"{reverse('voting:tally')}?contest={contest.pk}",
                            note=_("turnout %(turnout)s %%") % {
                                "turnout": _percent(figures_of["turnout"])}))
    table = Table([_("Contest"), _("TPS in"), _("In (%)"), _("To verify"), _("Turnout (%)")],
                  rows, caption=_("Results and turnout per contest"),
                  widths=[36, 18, 14, 14, 18]) if rows else None
    return executive.Section(figures=figures, tables=[table] if table else [],
                             notes=[str(LABEL)], url=url)


def register() -> None:
    executive.register_section("voting", gettext_lazy("Voting day"), voting_section, order=10)
