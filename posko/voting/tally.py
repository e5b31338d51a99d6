"""Tallies of the C.Hasil per region for one contest: progress (TPS with a result, needing
verification, verified), voters and turnout, valid/invalid, votes per pair. The counted
entry of each TPS × contest is summed (the Pemda's current one unless a verifier chose
another): an internal count, not the official result.

The Pemda and kecamatan levels read the running counters (``TallyCounter``, one row per
kelurahan × contest, kept by ``rollup.apply``) and group them in the database (on
PostgreSQL the votes JSON too), so a national tally reads at most ~83,000 counter rows,
never every TPS. The kelurahan level lists its TPS from their counted entries. A fixed
number of queries at every level and size."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.db.models import Count, Sum

from posko.elections.models import Tps
from posko.voting.board import narrow
from posko.voting.models import ResultStatus, TallyCounter, TpsResult

FIELDS = ("tps", "dpt", "dpt_reported", "reported", "to_verify", "voters", "valid", "invalid")


def empty_entry(numbers) -> dict:
    """A region without TPS or results."""
    entry = _empty(numbers)
    _derive(entry)
    return entry


def _empty(numbers) -> dict:
    return {**dict.fromkeys(FIELDS, 0), "votes": dict.fromkeys(numbers, 0)}


def contest_tps(election, contest, user):
    """The visible TPS where ``contest`` is voted (a governor's across the province, a
    mayor's in the city)."""
    tps = Tps.objects.visible_to(user).filter(election=election)
    if contest.kabkota_id:
        return tps.filter(kabkota_id=contest.kabkota_id)
    return tps.filter(kabkota__provinsi_id=contest.provinsi_id)


def tally(election, contest, user, level, numbers: list[int]) -> dict:
    """``{"groups": {key: entry}, "total": entry}``; an entry has tps, dpt, reported,
    to_verify, verified, voters, valid, invalid, votes {ballot number: n}, and the derived
    reported_percent, verified_percent, turnout (voters / DPT of the TPS that reported, %)
    and shares {ballot number: % of valid}."""
    key = level.key
    groups: dict = defaultdict(lambda: _empty(numbers))
    tps_key = "pk" if key == "tps_id" else key
    for code, n, dpt in narrow(level, contest_tps(election, contest, user)).order_by().values(
            tps_key).annotate(n=Count("pk"), dpt=Sum("dpt_total")).values_list(tps_key, "n", "dpt"):
        groups[code]["tps"], groups[code]["dpt"] = n, dpt or 0
    if key == "tps_id":
        _from_entries(groups, election, contest, user, level, numbers)
    else:
        _from_counters(groups, election, contest, user, level, numbers)
    total = _empty(numbers)
    for entry in groups.values():
        for field in FIELDS:
            total[field] += entry[field]
        for number, count in entry["votes"].items():
            total["votes"][number] += count
    for entry in [*groups.values(), total]:
        _derive(entry)
    return {"groups": groups, "total": total}


def counters(election, contest, user, level=None):
    """The visible counter rows of ``contest`` (inside ``level`` when given)."""
    rows = TallyCounter.objects.visible_to(user).filter(election=election, contest=contest)
    return narrow(level, rows) if level is not None else rows


def _from_counters(groups, election, contest, user, level, numbers) -> None:
    key = level.key
    rows = counters(election, contest, user, level).order_by()
    for row in rows.values(key).annotate(
            s_reported=Sum("reported"), s_to_verify=Sum("to_verify"),
            s_dpt_reported=Sum("dpt_reported"), s_voters=Sum("voters"), s_valid=Sum("valid"),
            s_invalid=Sum("invalid")):
        entry = groups[row[key]]
        for field in ("reported", "to_verify", "dpt_reported", "voters", "valid", "invalid"):
            entry[field] = row[f"s_{field}"] or 0
    for code, number, count in vote_sums(rows, key):
        if number in groups[code]["votes"]:
            groups[code]["votes"][number] += count


def vote_sums(rows, key: str):
    """(group code, ballot number, votes) of counter ``rows`` grouped by ``key``; summed in
    the database on PostgreSQL (jsonb_each), in Python elsewhere."""
    if connection.vendor == "postgresql":
        sql, params = rows.order_by().values_list(key, "votes").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.g, e.key, SUM(e.value::bigint) FROM ({sql}) AS s(g, v) "
                "CROSS JOIN LATERAL jsonb_each_text(s.v) AS e GROUP BY 1, 2", params)
            for code, number, count in cursor.fetchall():
                yield code, int(number), int(count)
        return
    sums: dict[tuple, int] = defaultdict(int)
    for code, votes in rows.order_by().values_list(key, "votes"):
        for number, count in (votes or {}).items():
            sums[(code, int(number))] += count
    for (code, number), count in sums.items():
        yield code, number, count


def _from_entries(groups, election, contest, user, level, numbers) -> None:
    """At a kelurahan: one group per TPS, from its counted entry."""
    results = level.narrow(TpsResult.objects.visible_to(user).filter(
        election=election, contest=contest, is_counted=True))
    for code, status, dpt, dptb, dpk, valid, invalid, votes, registered in results.values_list(
            "tps_id", "status", "voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid",
            "votes", "tps__dpt_total"):
        entry = groups[code]
        entry["reported"] += 1
        entry["dpt_reported"] += registered or 0
        entry["to_verify"] += status == ResultStatus.PERLU_VERIFIKASI
        entry["voters"] += dpt + dptb + dpk
        entry["valid"] += valid
        entry["invalid"] += invalid
        for number, count in (votes or {}).items():
            if int(number) in entry["votes"]:
                entry["votes"][int(number)] += count


def _derive(entry: dict) -> None:
    tps = entry["tps"]
    entry["verified"] = entry["reported"] - entry["to_verify"]
    entry["reported_percent"] = round(100 * entry["reported"] / tps, 1) if tps else None
    entry["verified_percent"] = round(100 * entry["verified"] / tps, 1) if tps else None
    # Turnout over the TPS that reported (their DPT), so a partial count is not too low.
    entry["turnout"] = round(100 * entry["voters"] / entry["dpt_reported"], 2) \
        if entry["dpt_reported"] else None
    entry["shares"] = {number: round(100 * count / entry["valid"], 2) if entry["valid"] else None
                       for number, count in entry["votes"].items()}


def leaders(entry: dict, pairs: dict[int, str]) -> list[tuple[int, str, int, float | None]]:
    """The pairs by votes, most first: (ballot number, pair, votes, share %)."""
    return sorted(((n, pairs.get(n, str(n)), entry["votes"].get(n, 0), entry["shares"].get(n))
                   for n in pairs), key=lambda item: (-item[2], item[0]))


def status_counts(election, contest, user) -> dict:
    """Counted entries of ``contest`` by state, from the counters: reported, to_verify,
    verified (one query)."""
    sums = counters(election, contest, user).aggregate(
        reported=Sum("reported"), to_verify=Sum("to_verify"))
    reported, to_verify = sums["reported"] or 0, sums["to_verify"] or 0
    return {"reported": reported, "to_verify": to_verify, "verified": reported - to_verify}

