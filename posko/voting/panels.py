"""The voting-day panel on the TPS page: from the eve of voting day (``core.clock``) on, the
TPS's state, turnout and counted results (three queries)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.tps_panels import register_panel
from posko.elections.models import CandidatePair
from posko.voting.models import TpsDay, TpsResult


def build(tps, request) -> dict | None:
    election = tps.election
    if clock.today() < election.voting_date - datetime.timedelta(days=1):
        return None  # set-up may be reported on H-1; before that there is nothing to show
    day = TpsDay.objects.filter(tps=tps).first()
    results = list(TpsResult.objects.filter(tps=tps, is_counted=True).select_related("contest")
                   .order_by("contest__pk"))
    names = {}
    if results:
        names = {(p.contest_id, str(p.ballot_number)): p for p in CandidatePair.objects.filter(
            contest_id__in={r.contest_id for r in results})}
    contests = []
    for result in results:
        voters = result.voters_dpt + result.voters_dptb + result.voters_dpk
        pairs = sorted(((names.get((result.contest_id, str(number))), number, votes)
                        for number, votes in (result.votes or {}).items()),
                       key=lambda row: -(row[2] or 0))
        contests.append({"result": result, "voters": voters,
                         "turnout": round(100 * voters / tps.dpt_total, 1) if tps.dpt_total else None,
                         "pairs": [{"pair": pair, "number": number, "votes": votes}
                                   for pair, number, votes in pairs]})
    return {"day": day, "contests": contests,
            "voting_day": clock.today() == election.voting_date}


def register() -> None:
    register_panel("voting", _("Voting day"), build, "voting/_tps_panel.html", order=10)
