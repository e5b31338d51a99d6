"""What the simulated devices send: the plan of a rehearsal, drawn from its seed."""

from __future__ import annotations

import datetime
import random
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from posko.core.scope import pemda_filter
from posko.elections.models import Tps
from posko.voting.models import (
    Problem,
    Source,
    State,
)
from posko.voting.services import ballot_numbers, contests_at, settings_for

USER_PREFIX = "gladi."
TAG = "[Gladi]"
SHARES = (0.46, 0.30, 0.24, 0.15, 0.10)


class RehearsalError(Exception):
    """A reason the rehearsal cannot run (a message for the operator)."""


@dataclass
class Options:
    speed: float = 30.0  # 30 = 30x real time; 0 = as fast as possible
    clients: int = 16
    seed: int = 2024
    limit: int | None = None  # only the first N TPS
    late: float = 0.085
    problems: float = 0.03
    misread: float = 0.02
    witness: float = 0.3
    disagree: float = 0.15
    retry: float = 0.05
    double: float = 0.01
    offline: float = 0.1


@dataclass
class Submission:
    at: float  # simulated minutes after midnight of voting day
    kind: str  # "report" or "result"
    tps: int
    body: dict
    key: str
    label: str  # siap, dibuka, …, problem, pemda, saksi, correction
    lost_answer: bool = False  # the first answer is thrown away: the device retries
    double: bool = False  # sent twice at once (a double tap)


@dataclass
class Device:
    token: str
    queue: list[Submission]
    offline: tuple[float, float] | None = None  # simulated minutes: queued, sent at the end
    index: int = 0

    def due(self) -> float | None:
        if self.index >= len(self.queue):
            return None
        at = self.queue[self.index].at
        if self.offline and self.offline[0] <= at < self.offline[1]:
            return self.offline[1]  # held until the connection is back
        return at


@dataclass
class Stats:
    sent: Counter = field(default_factory=Counter)  # unique submissions by label
    acknowledged: int = 0
    replays: int = 0
    conflicts: int = 0  # 409: the twin still being written
    network_errors: int = 0
    requests: int = 0
    latencies: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (label, status, body)
    lag: float = 0.0  # the most the run fell behind its schedule (s)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


# --- preparation ----------------------------------------------------------------------------


def _body_at(election, minutes: float) -> str:
    moment = datetime.datetime.combine(election.voting_date, datetime.time(0),
                                       tzinfo=timezone.get_default_timezone())
    return (moment + datetime.timedelta(minutes=minutes)).isoformat()


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def _result(rng, tps, contest, turnout) -> dict:
    dpt = tps.dpt_total or 0
    voters = min(dpt, max(0, round(dpt * turnout + rng.randint(-2, 2))))
    dptb, dpk = min(rng.randint(0, 5), voters // 3), min(rng.randint(0, 4), voters // 3)
    invalid = round(voters * rng.uniform(0.01, 0.04))
    valid = voters - invalid
    received = dpt + -(-dpt * 25 // 1000)
    numbers = sorted(ballot_numbers(contest))
    weights = [max(0.01, SHARES[i % len(SHARES)] * rng.uniform(0.7, 1.3))
               for i in range(len(numbers))]
    votes = {n: int(valid * w / sum(weights)) for n, w in zip(numbers, weights, strict=True)}
    if votes:
        votes[max(votes, key=votes.get)] += valid - sum(votes.values())
    men = rng.randint(voters * 45 // 100, voters * 55 // 100)
    return {"contest": contest.pk, "voters_dpt": voters - dptb - dpk, "voters_dptb": dptb,
            "voters_dpk": dpk, "voters_men": men, "voters_women": voters - men,
            "registered_dptb": dptb + rng.randint(0, 2), "registered_dpk": dpk + rng.randint(0, 2),
            "valid": valid, "invalid": invalid, "ballots_received": received,
            "ballots_used": voters, "ballots_unused": received - voters, "ballots_damaged": 0,
            "votes": {str(n): v for n, v in votes.items()}}


def _misread(votes: dict) -> tuple[dict, str]:
    """A reading error: a leading 8 on a two-digit count (17 → 817), else on the smallest."""
    two_digit = [n for n, v in votes.items() if 10 <= v <= 99]
    number = two_digit[0] if two_digit else min(votes, key=votes.get)
    wrong = int(f"8{votes[number]}")
    return {**votes, number: wrong}, f"{wrong} → {votes[number]}"


def plan(election, tps_list, tokens, options: Options) -> list[Device]:
    """The devices and what each sends, in order (deterministic for a seed)."""
    rng = random.Random(options.seed)
    conf = settings_for(election)
    opening, closing = _minutes(conf.opening_time), _minutes(conf.closing_time)
    tolerance = conf.open_tolerance_minutes
    devices = []

    def new(at, kind, tps, body, label, **extra) -> Submission:
        return Submission(at=at, kind=kind, tps=tps.pk, body=body, label=label,
                          key=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                          lost_answer=rng.random() < options.retry,
                          double=rng.random() < options.double, **extra)

    def report(at, tps, label, **body) -> Submission:
        return new(at, "report", tps, {"happened_at": _body_at(election, at), **body}, label)

    for tps in tps_list:
        token = tokens[tps.kelurahan_id]
        late = rng.random() < options.late
        opened = opening + (rng.randint(tolerance + 1, tolerance + 55) if late
                            else rng.randint(-10, tolerance - 1))
        closed = closing + rng.randint(0, 10)
        counting = closed + rng.randint(5, 30)
        entered = counting + rng.randint(45, 240)
        steps = [report(opening - rng.randint(30, 60), tps, "siap", state=State.SIAP),
                 report(opened, tps, "dibuka", state=State.DIBUKA, kpps_present=7,
                        linmas_present=2 if rng.random() < 0.95 else 1),
                 report(opened + rng.randint(3, 15), tps, "pemungutan", state=State.PEMUNGUTAN)]
        if rng.random() < options.problems:
            kind = rng.choice(Problem.values)
            steps.append(report(rng.randint(opened + 20, closing - 30), tps, "problem",
                                problem=kind, note=f"{TAG} Latihan: masalah {kind} di TPS."))
        steps += [report(closed, tps, "ditutup", state=State.DITUTUP),
                  report(counting, tps, "penghitungan", state=State.PENGHITUNGAN)]
        witness = []
        turnout = min(0.95, max(0.3, rng.gauss(0.648, 0.07)))
        for offset, contest in enumerate(contests_at(election, tps)):
            body = _result(rng, tps, contest, turnout)
            at = entered + offset * rng.randint(2, 10)
            if rng.random() < options.misread:
                wrong, change = _misread(body["votes"])
                steps.append(new(at, "result", tps, {**body, "votes": wrong}, "pemda"))
                steps.append(new(at + rng.randint(10, 60), "result", tps, {
                    **body, "reason": f"{TAG} Salah baca {change}, dibetulkan sesuai foto "
                                      "C.Hasil."}, "correction"))
            else:
                steps.append(new(at, "result", tps, body, "pemda"))
            if rng.random() < options.witness:
                votes = dict(body["votes"])
                if rng.random() < options.disagree:
                    first = next(iter(votes))
                    votes[first] += rng.choice([-1, 1]) * rng.randint(1, 5)
                    votes[first] = max(0, votes[first])
                witness.append(new(at + rng.randint(5, 60), "result", tps, {
                    **body, "source": Source.SAKSI, "votes": votes}, "saksi"))
        steps.sort(key=lambda s: s.at)  # stable: a correction stays after its entry
        last = steps[-1].at
        steps.append(report(last + rng.randint(1, 10), tps, "selesai", state=State.SELESAI))
        offline = None
        if rng.random() < options.offline:
            start = rng.randint(opening, closing + 180)
            offline = (start, start + rng.randint(20, 90))
        devices.append(Device(token=token, queue=steps, offline=offline))
        if witness:
            devices.append(Device(token=token, queue=sorted(witness, key=lambda s: s.at)))
    return devices


# --- the run --------------------------------------------------------------------------------


def tps_for(election, limit=None) -> list[Tps]:
    """The election's TPS inside the Pemda (the API answers 404 for the others)."""
    qs = Tps.objects.filter(election=election).filter(pemda_filter(Tps.scope)) \
        .order_by("kelurahan_id", "number")
    return list(qs[:limit] if limit else qs)
