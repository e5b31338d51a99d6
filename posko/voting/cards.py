"""The beranda cards of the voting-day module: TPS opened (late) and results in (to verify),
from the day before voting day on."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core import clock
from posko.core.dashboard import Card
from posko.elections.models import Tps
from posko.voting import board, services
from posko.voting.models import ResultStatus, Source, TpsDay, TpsResult


def _n(value) -> str:
    return number_format(value, force_grouping=True)


def voting_cards(user, election):
    """None before H-1 (or without an election): until then the day has nothing to show."""
    if not user.is_authenticated or election is None:
        return None
    if clock.today() < election.voting_date - datetime.timedelta(days=1):
        return None
    tps = Tps.objects.visible_to(user).filter(election=election).count()
    conf = services.settings_for(election)
    days = TpsDay.objects.visible_to(user).filter(election=election).aggregate(
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        late=Count("pk", filter=Q(opened_at__gt=board.opening_deadline(election, conf))))
    cards = [Card(_("TPS opened"), f"{_n(days['opened'])} / {_n(tps)}", reverse("voting:board"),
                  note=_("%(late)s opened late") % {"late": _n(days["late"])},
                  alert=bool(days["late"]))]
    for contest in services.contests_of(election):
        results = TpsResult.objects.visible_to(user).filter(
            election=election, contest=contest, source=Source.PEMDA, is_current=True).aggregate(
            n=Count("pk"), verify=Count("pk", filter=Q(status=ResultStatus.PERLU_VERIFIKASI)))
        if not results["n"] and not days["opened"]:
            continue
        cards.append(Card(_("Results in: %(contest)s") % {"contest": contest},
                          f"{_n(results['n'])} / {_n(tps)}",
                          f"{reverse('voting:tally')}?contest={contest.pk}",
                          note=_("%(n)s need verification") % {"n": _n(results["verify"])},
                          alert=bool(results["verify"])))
    return cards
