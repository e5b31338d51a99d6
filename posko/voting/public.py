"""Voting-night progress on the public portal (core.public): how many TPS reported a
counted C.Hasil and the turnout, per contest, labelled "hasil tidak resmi / unofficial";
per TPS in the open data: its voting-day state, contests reported, voters and turnout.
Totals only: no entry, no one who entered it, no per-pair votes."""

from __future__ import annotations

from django.db.models import Count, F, Max, Sum
from django.utils.translation import gettext_lazy as _

from posko.core.public import register_public_section
from posko.elections.models import Contest, Tps
from posko.voting.models import TpsDay, TpsResult

UNOFFICIAL = "Hasil tidak resmi / unofficial"


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


def build(election, kelurahan):
    place = {"kelurahan_id": kelurahan} if kelurahan else {}
    tps = Tps.objects.filter(election=election, **place).aggregate(n=Count("id"),
                                                                    dpt=Sum("dpt_total"))
    per_contest = {row["contest_id"]: row for row in (
        TpsResult.objects.filter(election=election, is_counted=True, **place)
        .values("contest_id")
        .annotate(n_tps=Count("tps_id"), dpt=Sum("tps__dpt_total"),
                  voters=Sum(F("voters_dpt") + F("voters_dptb") + F("voters_dpk")),
                  valid=Sum("valid"), invalid=Sum("invalid")))}
    states = dict(TpsDay.objects.filter(election=election, **place).exclude(state="")
                  .values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    if not per_contest and not states:
        return None
    contests = []
    for contest in Contest.objects.filter(election=election).only("pk", "name"):
        row = per_contest.get(contest.pk, {})
        reported = row.get("n_tps", 0)
        contests.append({
            "name": contest.name, "tps_reported": reported,
            "tps_percent": _percent(reported, tps["n"] or 0),
            "voters": row.get("voters") or 0, "valid": row.get("valid") or 0,
            "invalid": row.get("invalid") or 0,
            "turnout_percent": _percent(row.get("voters") or 0, row.get("dpt") or 0)})
    return {"label": UNOFFICIAL, "tps_total": tps["n"] or 0, "contests": contests,
            "tps_done": states.get("selesai", 0),
            "tps_open": sum(n for state, n in states.items() if state != "siap")}


def rows(election) -> dict[int, dict]:
    data: dict[int, dict] = {}
    dpt = dict(Tps.objects.filter(election=election).values_list("id", "dpt_total"))
    for tps_id, state in TpsDay.objects.filter(election=election).values_list("tps_id", "state"):
        data.setdefault(tps_id, {})["voting_state"] = state
    for row in (TpsResult.objects.filter(election=election, is_counted=True).values("tps_id")
                .annotate(n=Count("id"),
                          voters=Max(F("voters_dpt") + F("voters_dptb") + F("voters_dpk")))):
        entry = data.setdefault(row["tps_id"], {})
        entry["contests_reported"] = row["n"]
        entry["voters"] = row["voters"]
        entry["turnout_percent"] = _percent(row["voters"] or 0, dpt.get(row["tps_id"]) or 0)
    return data


COLUMNS = (
    ("voting_state", _("Voting-day state")),
    ("contests_reported", _("Contests with a counted C.Hasil")),
    ("voters", _("Voters (unofficial)")),
    ("turnout_percent", _("Turnout % (unofficial)")),
)


def register() -> None:
    register_public_section("voting", _("Voting night: the desk's progress"), build,
                            "voting/_public.html", order=30, columns=COLUMNS, rows=rows, ttl=60,
                            note=UNOFFICIAL + ": " + "rekap Desk Pilkada dari C.Hasil; hasil "
                            "resmi ditetapkan KPU. / The Desk's tally of C.Hasil forms; the "
                            "official result is the KPU's.")
