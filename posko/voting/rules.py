"""What a voting-day report from a TPS must satisfy: one function per rule, each returning
``[(field, message)]`` with the numbers in the message."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from posko.voting.models import ORDER, VOTING_DAY_STATES, State

#: A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = datetime.timedelta(minutes=5)
MAX_OFFICERS = 50


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def state_problems(day, state: str) -> list[tuple[str, str]]:
    """Forward only: a TPS that is closed cannot open again."""
    if not state:
        return []
    if state not in ORDER:
        return [("state", _("Unknown state “%(state)s”.") % {"state": state})]
    if day.state and ORDER.index(state) <= ORDER.index(day.state):
        return [("state", _(
            "%(tps)s is already “%(current)s”; a report can only move it forward, not to "
            "“%(state)s”.") % {"tps": day.tps, "current": State(day.state).label,
                               "state": State(state).label})]
    return []


def time_problems(day, state: str, happened_at, election, conf, now) -> list[tuple[str, str]]:
    """Not in the future; voting-day states on the voting day; closing not before the
    closing time; never before the TPS's last change of state."""
    problems = []
    if happened_at > now + CLOCK_SLACK:
        problems.append(("happened_at", _(
            "The time %(time)s is in the future.") % {
            "time": _local(happened_at).strftime("%d-%m-%Y %H.%M")}))
        return problems
    local = _local(happened_at)
    if state in VOTING_DAY_STATES and local.date() != election.voting_date:
        problems.append(("happened_at", _(
            "“%(state)s” can only be reported for voting day (%(day)s), not %(date)s.") % {
            "state": State(state).label, "day": election.voting_date.strftime("%d-%m-%Y"),
            "date": local.strftime("%d-%m-%Y")}))
    elif state == State.SIAP and not (
            datetime.timedelta(0) <= election.voting_date - local.date() <= datetime.timedelta(1)):
        problems.append(("happened_at", _(
            "Set-up is reported on the day before voting day or on voting day (%(day)s).") % {
            "day": election.voting_date.strftime("%d-%m-%Y")}))
    if state == State.DITUTUP and local.time() < conf.closing_time:
        problems.append(("happened_at", _(
            "A TPS closes at %(closing)s, not at %(time)s: voters may come until then.") % {
            "closing": conf.closing_time.strftime("%H.%M"), "time": local.strftime("%H.%M")}))
    if state and day.state_at and happened_at < day.state_at:
        problems.append(("happened_at", _(
            "%(time)s is before the TPS's last report of its state (%(last)s).") % {
            "time": local.strftime("%H.%M"), "last": _local(day.state_at).strftime("%H.%M")}))
    return problems


def content_problems(state: str, problem: str, note: str, kpps, linmas) -> list[tuple[str, str]]:
    problems = []
    if not (state or problem or kpps is not None or linmas is not None):
        problems.append(("state", _(
            "Report a state, a problem or the officers present.")))
    if problem and len(note.strip()) < 10:
        problems.append(("note", _(
            "Describe the problem (at least 10 characters): what happened and what is needed.")))
    for field, value, label in (("kpps_present", kpps, "KPPS"), ("linmas_present", linmas, "Linmas")):
        if value is not None and not 0 <= value <= MAX_OFFICERS:
            problems.append((field, _("%(label)s present must be between 0 and %(max)s.") % {
                "label": label, "max": MAX_OFFICERS}))
    return problems


def report_problems(day, *, state, problem, note, kpps, linmas, happened_at, election, conf,
                    now) -> list[tuple[str, str]]:
    return (content_problems(state, problem, note, kpps, linmas) + state_problems(day, state)
            + time_problems(day, state, happened_at, election, conf, now))


# --- results (C.Hasil) --------------------------------------------------------------------------

#: KawalPemilu's rule: the pairs' sum above the DPT by more than this share is flagged.
OVER_DPT = 1.02
ONE_PAIR_SHARE = 0.95


def _check(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def result_refusals(*, contest, election, tps, ballot_numbers: dict, votes: dict, reason: str,
                    current, entered_at, conf) -> list[tuple[str, str]]:
    """What makes an entry unusable (refused, nothing saved): another election's or region's
    contest, a missing or unknown pair, an entry before the TPS could open, a correction
    without a reason."""
    problems = []
    if contest.election_id != election.pk or not (
            contest.provinsi_id == tps.kabkota_id.split(".")[0]
            and (contest.kabkota_id is None or contest.kabkota_id == tps.kabkota_id)):
        return [("contest", _("%(contest)s is not voted at %(tps)s.") % {
            "contest": contest, "tps": tps})]
    for number in sorted(set(votes) - set(ballot_numbers)):
        problems.append(("votes", _("There is no pair number %(number)s in %(contest)s.") % {
            "number": number, "contest": contest}))
    for number in sorted(set(ballot_numbers) - set(votes)):
        problems.append(("votes", _("The votes of pair %(number)s (%(pair)s) are missing.") % {
            "number": number, "pair": ballot_numbers[number]}))
    opening = timezone.make_aware(datetime.datetime.combine(election.voting_date,
                                                            conf.opening_time))
    if entered_at < opening:
        problems.append(("__all__", _(
            "Results cannot be entered before the TPS open on voting day (%(time)s).") % {
            "time": _local(opening).strftime("%d-%m-%Y %H.%M")}))
    if current is not None and not reason.strip():
        who = current.entered_by
        problems.append(("reason", _(
            "Say why the result is corrected: it replaces version %(version)s entered by "
            "%(who)s.") % {"version": current.version,
                          "who": (who.get_full_name() or who.username) if who else _("the system")}))
    return problems


def _given(*numbers) -> bool:
    """Every number is known: a check with a missing operand (None, e.g. a KPU record without
    the ballot counts, or a C.Hasil without men/women) is skipped, not failed."""
    return all(number is not None for number in numbers)


def _sum(*numbers) -> int | None:
    return sum(numbers) if _given(*numbers) else None


def result_checks(values: dict, votes: dict, dpt: int, *,
                  ballots_required: int | None = None) -> list[dict]:
    """The C.Hasil's arithmetic, each failure named with its numbers. A failed check does not
    refuse the entry: it is stored as "perlu verifikasi" with these listed. A check whose
    numbers are missing (None) is skipped. ``ballots_required``: the logistics requirement
    of this contest at the TPS (DPT + reserve), None without a logistics module."""
    checks = []
    get = values.get
    pairs = sum(votes.values())
    valid, used = get("valid"), get("ballots_used")
    voters = _sum(get("voters_dpt"), get("voters_dptb"), get("voters_dpk"))
    if _given(valid) and pairs != valid:
        checks.append(_check("pairs_valid", _(
            "The pairs' votes add up to %(pairs)s, not to the %(valid)s valid votes.") % {
            "pairs": pairs, "valid": valid}))
    valid_invalid = _sum(valid, get("invalid"))
    if _given(valid_invalid, used) and valid_invalid != used:
        checks.append(_check("valid_invalid_used", _(
            "Valid + invalid votes = %(sum)s, but %(used)s ballots were used.") % {
            "sum": valid_invalid, "used": used}))
    if _given(used, voters) and used != voters:
        checks.append(_check("used_voters", _(
            "%(used)s ballots were used by %(voters)s voters (DPT + DPTb + DPK).") % {
            "used": used, "voters": voters}))
    balance = _sum(used, get("ballots_unused"), get("ballots_damaged"))
    received = get("ballots_received")
    if _given(balance, received) and balance != received:
        checks.append(_check("ballots_balance", _(
            "Used + unused + damaged ballots = %(sum)s, but %(received)s were received.") % {
            "sum": balance, "received": received}))
    if _given(received, ballots_required) and received != ballots_required:
        checks.append(_check("ballots_requirement", _(
            "%(received)s ballots were received, but the logistics requirement of this contest "
            "at the TPS is %(required)s (DPT + reserve).") % {
            "received": received, "required": ballots_required}))
    if _given(get("voters_dpt")) and get("voters_dpt") > dpt:
        checks.append(_check("voters_dpt", _(
            "%(voters)s voters from the DPT, but the TPS's DPT has %(dpt)s.") % {
            "voters": get("voters_dpt"), "dpt": dpt}))
    for field, registered_field, code, label in (
            ("voters_dptb", "registered_dptb", "voters_dptb", "DPTb"),
            ("voters_dpk", "registered_dpk", "voters_dpk", "DPK")):
        if _given(get(field), get(registered_field)) and get(field) > get(registered_field):
            checks.append(_check(code, _(
                "%(voters)s voters from the %(list)s, but only %(registered)s are registered in "
                "the %(list)s.") % {"voters": get(field), "registered": get(registered_field),
                                    "list": label}))
    registered = _sum(dpt, get("registered_dptb"), get("registered_dpk"))
    if _given(voters, registered) and voters > registered:
        checks.append(_check("voters_registered", _(
            "%(voters)s voters (DPT + DPTb + DPK), more than the %(registered)s registered at "
            "the TPS (DPT %(dpt)s + DPTb %(dptb)s + DPK %(dpk)s).") % {
            "voters": voters, "registered": registered, "dpt": dpt,
            "dptb": get("registered_dptb"), "dpk": get("registered_dpk")}))
    men_women = _sum(get("voters_men"), get("voters_women"))
    if _given(men_women, voters) and men_women != voters:
        checks.append(_check("men_women", _(
            "Men + women voters = %(sum)s (%(men)s + %(women)s), but there were %(voters)s "
            "voters (DPT + DPTb + DPK).") % {"sum": men_women, "men": get("voters_men"),
                                            "women": get("voters_women"), "voters": voters}))
    for number, count in sorted(votes.items()):
        if _given(valid) and count > valid:
            checks.append(_check("pair_over_valid", _(
                "Pair %(number)s has %(votes)s votes, more than the %(valid)s valid votes.") % {
                "number": number, "votes": count, "valid": valid}))
    return checks


def result_flags(values: dict, votes: dict, dpt: int, *, closed_at, entered_at) -> list[dict]:
    """Anomalies beyond the arithmetic, each with its reason (shown, not refused)."""
    flags = []
    pairs = sum(votes.values())
    if pairs > dpt * OVER_DPT:
        flags.append(_check("over_dpt", _(
            "The pairs' votes (%(pairs)s) exceed the DPT (%(dpt)s) by more than 2%%.") % {
            "pairs": pairs, "dpt": dpt}))
    if values.get("valid"):
        for number, count in sorted(votes.items()):
            if ONE_PAIR_SHARE * values["valid"] <= count <= values["valid"]:
                flags.append(_check("one_pair", _(
                    "Pair %(number)s has %(share)s%% of the valid votes.") % {
                    "number": number, "share": round(100 * count / values["valid"], 1)}))
    if closed_at is not None and entered_at < closed_at:
        flags.append(_check("before_close", _(
            "Entered at %(entered)s, before the TPS closed (%(closed)s).") % {
            "entered": _local(entered_at).strftime("%H.%M"),
            "closed": _local(closed_at).strftime("%H.%M")}))
    return flags
