"""The voting-day section of the daily Desk Pilkada report and the tally PDF for the Wali
Kota (``core.reports``), both limited to what the user may see and read from the running
counters (``tally.py``), so they cost the same at any size.

The section (registered from ``VotingConfig.ready()``): TPS per voting-day state, and per
contest the TPS in, verified and to verify, turnout, and each pair's votes and share. The
PDF (``tally_report``): the letterhead, then per contest the same figures and a table per
kecamatan. Both carry the label "hitung cepat internal — bukan hasil resmi"."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock
from posko.core.reports import Report, Section, Table, register_section
from posko.elections.drilldown import Level
from posko.elections.models import Tps
from posko.regions.models import Kecamatan
from posko.voting import services, tally
from posko.voting.models import ORDER, State, TpsDay

SECTION_ORDER = 70  # after logistics (60) and vulnerability (65)
LABEL = gettext_lazy("Internal quick count — not the official result.")


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _summary(contest, total) -> str:
    return _("%(contest)s: %(reported)s of %(tps)s TPS in (%(in)s %%), %(verified)s verified "
             "(%(verified_percent)s %%), %(to_verify)s to verify; turnout %(turnout)s %%.") % {
        "contest": contest, "reported": total["reported"], "tps": total["tps"],
        "in": _percent(total["reported_percent"]), "verified": total["verified"],
        "verified_percent": _percent(total["verified_percent"]),
        "to_verify": total["to_verify"], "turnout": _percent(total["turnout"])}


def _pair_table(contest, total, pairs) -> Table:
    rows = [[number, name, votes, _percent(share)]
            for number, name, votes, share in tally.leaders(total, pairs)]
    return Table([_("No."), _("Pair"), _("Votes"), _("Share (%)")], rows,
                 caption=_("%(contest)s: votes per pair") % {"contest": contest},
                 empty=_("No result in yet."), widths=[8, 52, 20, 20])


def contest_figures(user, election, contest, level=None) -> tuple[dict, dict, dict]:
    """(tally data, pairs, total) of ``contest`` at ``level`` (the Pemda by default)."""
    pairs = services.ballot_numbers(contest)
    level = level or Level("pemda")
    data = tally.tally(election, contest, user, level, sorted(pairs))
    return data, pairs, data["total"]


def state_table(user, election) -> Table:
    tps = Tps.objects.visible_to(user).filter(election=election).count()
    counts = dict(TpsDay.objects.visible_to(user).filter(election=election).order_by()
                  .values("state").annotate(n=Count("pk")).values_list("state", "n"))
    reported = sum(counts.values())
    rows = [[str(State(state).label), counts.get(state, 0)] for state in ORDER]
    rows.append([_("Not reported"), max(0, tps - reported)])
    rows.append([_("Total"), tps])
    return Table([_("State"), "TPS"], rows, caption=_("TPS by voting-day state"),
                 widths=[70, 30])


def voting_section(day: datetime.date, user, election) -> Section | None:
    """None before the day before voting day (nothing to say yet)."""
    if election is None or day < election.voting_date - datetime.timedelta(days=1):
        return None
    paragraphs = [str(LABEL), _("Figures as recorded at %(time)s.") % {
        "time": date_format(timezone.localtime(clock.now()), "j F Y H.i")}]
    tables = [state_table(user, election)]
    for contest in services.contests_of(election):
        _data, pairs, total = contest_figures(user, election, contest)
        paragraphs.append(_summary(contest, total))
        tables.append(_pair_table(contest, total, pairs))
    return Section("", paragraphs, tables)


def tally_report(user, election, contests) -> Report:
    """The tally of each of ``contests`` for the Pemda (or the user's area), per kecamatan."""
    now = timezone.localtime(clock.now())
    report = Report(title=_("Results tally"), subtitle=f"{election} · {LABEL}",
                    date=now.date())
    kecamatan = list(Kecamatan.objects.visible_to(user).order_by("name"))
    level = Level("pemda", kecamatan_list=kecamatan)
    for contest in contests:
        data, pairs, total = contest_figures(user, election, contest, level)
        numbers = sorted(pairs)
        rows = []
        for k in kecamatan:
            entry = data["groups"].get(k.code)
            if entry is None:
                continue
            rows.append([k.name, f"{entry['reported']}/{entry['tps']}", entry["to_verify"],
                         _percent(entry["turnout"]),
                         *[_percent(entry["shares"][n]) for n in numbers]])
        rows.append([_("Total"), f"{total['reported']}/{total['tps']}", total["to_verify"],
                     _percent(total["turnout"]), *[_percent(total["shares"][n]) for n in numbers]])
        per_kecamatan = Table(
            [_("Kecamatan"), _("TPS in"), _("To verify"), _("Turnout (%)"),
             *[f"{_('No.')} {n} (%)" for n in numbers]], rows,
            caption=_("%(contest)s per kecamatan") % {"contest": contest})
        report.sections.append(Section(str(contest), [
            str(LABEL), _summary(contest, total),
            _("Figures as recorded at %(time)s.") % {"time": date_format(now, "j F Y H.i")}],
            [_pair_table(contest, total, pairs), per_kecamatan]))
    return report


def register() -> None:
    """Called from VotingConfig.ready(); registering twice is harmless."""
    register_section("voting.day", gettext_lazy("Voting day and results"), voting_section,
                     SECTION_ORDER)
