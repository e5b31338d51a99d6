"""Tallies of the C.Hasil per region for one contest: progress (TPS with a result, needing
verification), voters and turnout, valid/invalid, votes per pair. The Pemda's own entries
(source "pemda", current version) are counted: an internal count, not the official result.
A fixed number of queries; the votes are summed from each TPS's current entry."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Sum

from posko.elections.models import Tps
from posko.voting.models import ResultStatus, TpsResult


def empty_entry(numbers) -> dict:
    """A region without TPS or results."""
    entry = _empty(numbers)
    _derive(entry)
    return entry


def _empty(numbers) -> dict:
    return {"tps": 0, "dpt": 0, "dpt_reported": 0, "reported": 0, "to_verify": 0, "voters": 0,
            "valid": 0,
            "invalid": 0, "votes": dict.fromkeys(numbers, 0)}


def tally(election, contest, user, level, numbers: list[int]) -> dict:
    """``{"groups": {key: entry}, "total": entry}``; an entry has tps, dpt, reported,
    to_verify, voters, valid, invalid, votes {ballot number: n}, and the derived
    reported_percent, turnout (voters / DPT of the TPS that reported, %) and shares
    {ballot number: % of valid}."""
    key = level.key
    tps_key = "pk" if key == "tps_id" else key
    tps = level.narrow(Tps.objects.visible_to(user).filter(election=election))
    results = level.narrow(TpsResult.objects.visible_to(user).filter(
        election=election, contest=contest, is_counted=True))
    groups: dict = defaultdict(lambda: _empty(numbers))
    for code, n, dpt in tps.order_by().values(tps_key).annotate(
            n=Count("pk"), dpt=Sum("dpt_total")).values_list(tps_key, "n", "dpt"):
        groups[code]["tps"], groups[code]["dpt"] = n, dpt or 0
    for code, status, dpt, dptb, dpk, valid, invalid, votes, registered in results.values_list(
            key, "status", "voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid",
            "votes", "tps__dpt_total").iterator(chunk_size=5000):
        entry = groups[code]
        entry["reported"] += 1
        entry["dpt_reported"] += registered
        entry["to_verify"] += status == ResultStatus.PERLU_VERIFIKASI
        entry["voters"] += dpt + dptb + dpk
        entry["valid"] += valid
        entry["invalid"] += invalid
        for number, count in (votes or {}).items():
            if int(number) in entry["votes"]:
                entry["votes"][int(number)] += count
    total = _empty(numbers)
    for entry in groups.values():
        for field in ("tps", "dpt", "dpt_reported", "reported", "to_verify", "voters", "valid",
                      "invalid"):
            total[field] += entry[field]
        for number, count in entry["votes"].items():
            total["votes"][number] += count
    for entry in [*groups.values(), total]:
        _derive(entry)
    return {"groups": groups, "total": total}


def _derive(entry: dict) -> None:
    entry["reported_percent"] = round(100 * entry["reported"] / entry["tps"], 1) \
        if entry["tps"] else None
    # Turnout over the TPS that reported (their DPT), so a partial count is not too low.
    entry["turnout"] = round(100 * entry["voters"] / entry["dpt_reported"], 2) \
        if entry["dpt_reported"] else None
    entry["shares"] = {number: round(100 * count / entry["valid"], 2) if entry["valid"] else None
                       for number, count in entry["votes"].items()}
