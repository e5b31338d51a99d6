"""Demo data of the voting-day module (Kota Malang, 27 Nov 2024): a finished day at every
TPS and its C.Hasil for both contests, **generated** (not what happened, not the official
result), as far as it has happened by the demo's moment (``result.as_of``,
:mod:`posko.demo.timeline`): nothing before the set-up on the eve, the events and entries
up to the moment, and only at TPS that received their ballots. By 19.30 on voting day every
TPS is done and its C.Hasil entered, so the evening shows the finished day.

Every TPS reports set-up on H-1 (16.00–20.30), opening (most between 06.50 and 07.14, about
one in twelve late, up to 08.10), voting, closing at 13.00–13.10, counting and the C.Hasil
photographed between 15.00 and 19.30, with 6–7 KPPS and 2 Linmas present (a few with 1).
Results (source Pemda): voters per TPS around the city's official turnout, calibrated so
that the city total is exactly 64.82 % of the DPT (428,294 of 660,744); DPTb and DPK
voters 0–6 each; 1–4 % invalid votes; ballots received = DPT + 2.5 % reserve. Generated
shares per pair (not the official ones). ``MISREAD`` TPS per contest carry a typing error
(a pair's 17 entered as 817, say) and are "perlu verifikasi"; ``CORRECTED`` of them were
corrected (version 2 with a reason), so a few dozen TPS are flagged in the demo. Planted
for the statistical flags (``_plant``): ``LOPSIDED`` TPS where the smallest pair got 70 %;
the flags (``voting.services.anomalies``) are computed at the end, and the misread TPS
are flagged there too.

From a seeded random generator: every run builds the same rows. Days and results are
created for the TPS that have none and then left as users change them, so a second run
changes nothing. Bulk writes.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from posko.accounts.models import User
from posko.demo.timeline import as_of_of, rescale, tps_with_ballots
from posko.demo.voting_photos import build_photos
from posko.demo.voting_quickcount import build_quick_count
from posko.demo.voting_sources import build_sources
from posko.elections.models import Contest, Election, Tps
from posko.voting import rollup
from posko.voting.models import ResultStatus, Source, State, StatusEvent, TpsDay, TpsResult
from posko.voting.rules import result_checks, result_flags
from posko.voting.services import anomalies

WIB = ZoneInfo("Asia/Jakarta")
SEED = 2024_11_27_07


def _at(day: datetime.date, minutes: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=WIB) + \
        datetime.timedelta(minutes=minutes)


def _timeline(rng: random.Random, day: datetime.date) -> list[tuple[str, datetime.datetime]]:
    eve = day - datetime.timedelta(days=1)
    late = rng.random() < 0.085
    opened = rng.randint(7 * 60 + 16, 8 * 60 + 10) if late else rng.randint(6 * 60 + 50, 7 * 60 + 14)
    closed = 13 * 60 + rng.randint(0, 10)
    counting = closed + rng.randint(5, 35)
    done = rescale(rng.randint(15 * 60, 20 * 60 + 30), 15 * 60, 20 * 60 + 30, 19 * 60 + 30)
    return [(State.SIAP, _at(eve, rng.randint(16 * 60, 20 * 60 + 30))),
            (State.DIBUKA, _at(day, opened)),
            (State.PEMUNGUTAN, _at(day, opened + rng.randint(3, 15))),
            (State.DITUTUP, _at(day, closed)),
            (State.PENGHITUNGAN, _at(day, counting)),
            (State.SELESAI, _at(day, done))]


def build_voting(result) -> None:
    """Idempotent: a second run changes nothing."""
    election = Election.objects.get(pk=result.election_id)
    operators = {u.kelurahan_id: u for u in User.objects.filter(kelurahan__isnull=False)}
    admin = User.objects.filter(username="admin").first()
    as_of = as_of_of(result)
    have = set(TpsDay.objects.filter(election=election).values_list("tps_id", flat=True))
    ready = tps_with_ballots(election, as_of)
    rng = random.Random(SEED)
    days, timelines = [], []
    for tps in Tps.objects.filter(election=election).order_by("kelurahan_id", "number"):
        timeline = _timeline(rng, election.voting_date)
        kpps, linmas = (7 if rng.random() < 0.8 else 6), (2 if rng.random() < 0.95 else 1)
        timeline = [(state, at) for state, at in timeline if at <= as_of]
        if tps.pk in have or tps.pk not in ready or not timeline:
            continue
        moments = dict(timeline)
        days.append(TpsDay.for_tps(
            tps, state=timeline[-1][0], state_at=timeline[-1][1],
            opened_at=moments.get(State.DIBUKA), closed_at=moments.get(State.DITUTUP),
            kpps_present=kpps if State.DIBUKA in moments else None,
            linmas_present=linmas if State.DIBUKA in moments else None,
            last_report_at=timeline[-1][1], version=len(timeline)))
        timelines.append((timeline, kpps, linmas, operators.get(tps.kelurahan_id, admin)))
    if days:
        _save_days(result, days, timelines)
    build_results(result)
    build_photos(result)  # a handful of generated C.Hasil photos (not one per TPS)
    build_sources(result, election, _at, as_of)  # witness and KPU entries, reconciliations
    build_quick_count(result, election)  # a locked sample per contest, drawn on H-3
    rollup.rebuild(election)  # the running tallies of the bulk-created entries
    for contest in Contest.objects.filter(election=election).order_by("level"):
        # The statistical flags (the job's work, run here at once); unchanged on a second run.
        result.other_changes += anomalies.recompute(contest)["changed"]


def _save_days(result, days, timelines) -> None:
    TpsDay.objects.bulk_create(days, batch_size=500)
    events = []
    for day, (timeline, kpps, linmas, who) in zip(days, timelines, strict=True):
        for state, moment in timeline:
            opening = state == State.DIBUKA
            events.append(StatusEvent(
                day=day, state=state, happened_at=moment, recorded_at=moment, recorded_by=who,
                kpps_present=kpps if opening else None, linmas_present=linmas if opening else None))
    StatusEvent.objects.bulk_create(events, batch_size=2000)
    result.other_changes += len(days) + len(events)


CITY_TURNOUT = (64_82, 100_00)  # 64.82 % (KPU Kota Malang, Pilkada 2024)
#: Generated shares per ballot number (not the official result).
SHARES = {"walikota": {1: 0.46, 2: 0.24, 3: 0.30}, "gubernur": {1: 0.09, 2: 0.55, 3: 0.36}}
MISREAD = 14  # per contest
CORRECTED = 4  # of those, per contest
CORRECTION_AFTER = datetime.timedelta(minutes=15)


def _voters(rng: random.Random, dpts: list[int]) -> list[int]:
    """Voters per TPS around the city's turnout, summing exactly to it."""
    target = sum(dpts) * CITY_TURNOUT[0] // CITY_TURNOUT[1]
    voters = [min(dpt, max(0, round(dpt * rng.gauss(0.6482, 0.07)))) for dpt in dpts]
    step = 1 if sum(voters) < target else -1
    i = 0
    while sum(voters) != target:  # spread the difference one voter at a time
        j = i % len(voters)
        if 0 <= voters[j] + step <= dpts[j]:
            voters[j] += step
        i += 1
    return voters


def _split(rng: random.Random, total: int, shares: dict[int, float]) -> dict[int, int]:
    weights = {n: max(0.01, share * rng.uniform(0.7, 1.3)) for n, share in shares.items()}
    scale = sum(weights.values())
    votes = {n: int(total * w / scale) for n, w in weights.items()}
    votes[max(votes, key=votes.get)] += total - sum(votes.values())
    return votes


#: Planted for the statistical flags (deterministic, their own generator): TPS where the
#: smallest pair got 70 % of the valid votes. TPS at 97 % turnout and TPS with the same
#: result as the TPS before them can be planted too (``HIGH``, ``COPIES``), but they move
#: voters between TPS (the city total is kept), which changes the other demo figures
#: (the quick-count sample's estimate): off; the generated data has its own such outliers.
HIGH_TURNOUT, HIGH, COPIES, LOPSIDED = 0.97, 0, 0, 8


def _plant(tps_list, voters: list[int]) -> tuple[dict[int, int], set[int]]:
    """Plant the anomalies into ``voters`` (the city total kept: the difference is spread
    over the other TPS one voter at a time); returns the copies {index: index copied} and
    the lopsided indexes."""
    rng = random.Random(SEED + 2)
    dpts = [t.dpt_total for t in tps_list]
    candidates = rng.sample(range(len(tps_list) - 1), 60)
    high = candidates[:HIGH]
    copies: dict[int, int] = {}
    for k in candidates[HIGH:]:
        used = set(high) | set(copies) | set(copies.values())
        if len(copies) < COPIES and not {k, k + 1} & used and voters[k] <= dpts[k + 1] \
                and tps_list[k].kelurahan_id == tps_list[k + 1].kelurahan_id:
            copies[k + 1] = k
    fixed = set(high) | set(copies) | set(copies.values())
    lopsided = [k for k in candidates[-20:] if k not in fixed][:LOPSIDED]
    before = sum(voters)
    for k in high:
        voters[k] = round(dpts[k] * HIGH_TURNOUT)
    for j, i in copies.items():
        voters[j] = voters[i]
    difference, index = sum(voters) - before, 0
    while difference:
        j = index % len(voters)
        step = -1 if difference > 0 else 1
        if j not in fixed and 0 <= voters[j] + step <= dpts[j]:
            voters[j] += step
            difference += step
        index += 1
    return copies, set(lopsided)


def _lopsided(votes: dict[int, int]) -> dict[int, int]:
    """The smallest pair gets 70 % of the valid votes; the others share the rest."""
    total = sum(votes.values())
    small = min(votes, key=votes.get)
    others = {n: c for n, c in votes.items() if n != small}
    rest = total - round(total * 0.7)
    scale = sum(others.values()) or 1
    result = {n: rest * c // scale for n, c in others.items()}
    result[small] = total - sum(result.values())
    return dict(sorted(result.items()))


def _misread(votes: dict[int, int]) -> dict[int, int]:
    """A typing error on the form: a leading 8 on the smallest count (17 → 817)."""
    number = min(votes, key=votes.get)
    return {**votes, number: int(f"8{votes[number]}")}


def build_results(result) -> None:
    """Idempotent: results for the TPS and contests without one; a second run changes
    nothing."""
    election = Election.objects.get(pk=result.election_id)
    contests = list(Contest.objects.filter(election=election).order_by("level"))
    tps_list = list(Tps.objects.filter(election=election).order_by("kelurahan_id", "number"))
    if not contests or not tps_list:
        return
    as_of = as_of_of(result)
    have = set(TpsResult.objects.filter(election=election).values_list("tps_id", "contest_id"))
    done = set(TpsDay.objects.filter(election=election, state=State.SELESAI).values_list(
        "tps_id", flat=True))  # a C.Hasil once the count is done
    operators = {u.kelurahan_id: u for u in User.objects.filter(kelurahan__isnull=False)}
    admin = User.objects.filter(username="admin").first()
    rng = random.Random(SEED + 1)
    voters = _voters(rng, [t.dpt_total for t in tps_list])
    copies, lopsided = _plant(tps_list, voters)
    rows = []
    for contest in contests:
        kept = {}
        shares = SHARES.get(contest.level, {1: 0.4, 2: 0.35, 3: 0.25})
        misread = set(rng.sample(range(len(tps_list)), MISREAD))
        corrected = set(sorted(misread)[:CORRECTED])
        for index, (tps, total) in enumerate(zip(tps_list, voters, strict=True)):
            dptb, dpk = rng.randint(0, 6), rng.randint(0, 6)
            dptb, dpk = min(dptb, total // 3), min(dpk, total // 3)
            invalid = round(total * rng.uniform(0.01, 0.04))
            valid = total - invalid
            received = tps.dpt_total + -(-tps.dpt_total * 25 // 1000)
            damaged = rng.randint(0, 2) if received - total > 2 else 0
            values = {"voters_dpt": total - dptb - dpk, "voters_dptb": dptb, "voters_dpk": dpk,
                      "valid": valid, "invalid": invalid, "ballots_received": received,
                      "ballots_used": total, "ballots_unused": received - total - damaged,
                      "ballots_damaged": damaged,
                      # Men and women in the DPT's proportion; DPTb/DPK registered = voted.
                      "voters_men": total * tps.dpt_men // max(tps.dpt_total, 1),
                      "registered_dptb": dptb, "registered_dpk": dpk}
            values["voters_women"] = total - values["voters_men"]
            votes = _split(rng, valid, shares)
            entered = _at(election.voting_date,
                          rescale(rng.randint(15 * 60, 21 * 60), 15 * 60, 21 * 60, 19 * 60 + 10))
            kept[index] = (invalid, votes)
            if index in copies:  # planted: the same result as the TPS before it
                invalid, votes = kept[copies[index]]
                values.update(valid=total - invalid, invalid=invalid)
            elif index in lopsided:
                votes = _lopsided(votes)
            if (tps.pk, contest.pk) in have or tps.pk not in done or entered > as_of:
                continue
            who = operators.get(tps.kelurahan_id, admin)
            versions = [votes]
            if index in misread:
                versions = [_misread(votes), votes] if index in corrected else [_misread(votes)]
            if entered + CORRECTION_AFTER > as_of:
                versions = versions[:1]  # corrected later
            for number, entry in enumerate(versions, start=1):
                checks = result_checks(values, entry, tps.dpt_total)
                rows.append(TpsResult.for_tps(
                    tps, contest=contest, source=Source.PEMDA, version=number, is_current=number == len(versions),
                    is_counted=number == len(versions),
                    votes={str(k): v for k, v in sorted(entry.items())}, checks=checks,
                    flags=result_flags(values, entry, tps.dpt_total, closed_at=None,
                                       entered_at=entered),
                    status=ResultStatus.PERLU_VERIFIKASI if checks else ResultStatus.TERCATAT,
                    reason="Salah ketik pada isian pertama; dibetulkan sesuai foto C.Hasil."
                    if number > 1 else "",
                    entered_at=entered + CORRECTION_AFTER * (number - 1),
                    entered_by=who, **values))
    TpsResult.objects.bulk_create(rows, batch_size=1000)
    result.other_changes += len(rows)
