"""Gladi (rehearsal) of voting day: simulated devices replay a whole voting day through the
real field API (``POST /api/v1/voting/tps/<id>/report/`` and ``…/results/`` with an
``Idempotency-Key``), at a chosen speed, then the database is checked: every submission
sent is stored once (nothing lost, no retry stored twice). ``posko rehearse`` runs it.

Devices: one phone per TPS (the KPPS: set-up, opening with the officers present, voting,
problems, closing, counting, the C.Hasil per contest, corrections, done) and a witness's
phone for a share of the TPS (source ``saksi``, sometimes with other numbers). A device
sends its submissions in order, one at a time; ``clients`` threads serve the devices that
are due (bounded concurrency). Simulated behaviour, all drawn from ``seed``: some TPS open
late, some report problems, a share of C.Hasil entries misread (17 entered as 817) and
corrected later with a reason, retries with the same key after a lost answer (the answer
is thrown away as if the network timed out) and double taps, devices offline for a while
that queue their submissions and send them in a burst when the connection comes back.

The devices log in as rehearsal users ``gladi.<kelurahan code>`` (kelurahan operators of
their kelurahan, no password), created on first use, with a fresh API token each run; at
the end the tokens are deleted and the users deactivated, so no credential outlives the
run. The API writes to the active election only.
"""

from __future__ import annotations

import datetime
import heapq
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from posko.accounts.models import Role, User
from posko.core.models import IdempotencyKey
from posko.core.scope import _pemda_filter
from posko.elections.models import Tps
from posko.voting import rollup
from posko.voting.models import (
    AreaFlag,
    Problem,
    Reconciliation,
    ResultPhoto,
    Source,
    State,
    StatusEvent,
    TallyCounter,
    TpsDay,
    TpsResult,
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

def existing(election) -> dict[str, int]:
    return {"TPS days": TpsDay.objects.filter(election=election).count(),
            "C.Hasil entries": TpsResult.objects.filter(election=election).count()}


@transaction.atomic
def reset(election) -> dict[str, int]:
    """Delete the election's voting day: reports, results, photos, reconciliations, running
    tallies, area flags (the quick-count design and sample stay). Audit rows stay."""
    counts = {
        "reconciliations": Reconciliation.objects.filter(election=election).delete()[0],
        "photos": ResultPhoto.objects.filter(election=election).delete()[0],
        "results": TpsResult.objects.filter(election=election).delete()[0],
        "reports": StatusEvent.objects.filter(day__election=election).delete()[0],
        "days": TpsDay.objects.filter(election=election).delete()[0],
    }
    TallyCounter.objects.filter(election=election).delete()
    AreaFlag.objects.filter(election=election).delete()
    rollup.rebuild(election)
    return counts


def device_tokens(kelurahan_ids) -> dict[str, str]:
    """A rehearsal user per kelurahan (created once, re-activated) with a new token. The
    keys of earlier runs are deleted: the same seed draws the same keys again."""
    IdempotencyKey.objects.filter(user__username__startswith=USER_PREFIX).delete()
    tokens = {}
    for kelurahan_id in sorted(set(kelurahan_ids)):
        user, created = User.objects.get_or_create(
            username=f"{USER_PREFIX}{kelurahan_id}",
            defaults={"role": Role.KELURAHAN, "kelurahan_id": kelurahan_id,
                      "first_name": "Gladi", "last_name": kelurahan_id})
        if created:
            user.set_unusable_password()
        user.is_active, user.role, user.kelurahan_id = True, Role.KELURAHAN, kelurahan_id
        user.save()
        Token.objects.filter(user=user).delete()
        tokens[kelurahan_id] = Token.objects.create(user=user).key
    return tokens


def retire_devices() -> int:
    """End of a run: the rehearsal users' tokens deleted, the users deactivated."""
    users = User.objects.filter(username__startswith=USER_PREFIX)
    Token.objects.filter(user__in=users).delete()
    return users.update(is_active=False)


# --- the plan -------------------------------------------------------------------------------

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

def percentile(values, pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Client:
    """One keep-alive HTTP connection per thread."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.cls = http.client.HTTPSConnection if parts.scheme == "https" else \
            http.client.HTTPConnection
        self.prefix = parts.path.rstrip("/")
        self.conn = None

    def post(self, path, token, key, body) -> tuple[int, dict, bool]:
        if self.conn is None:
            self.conn = self.cls(self.host, self.port, timeout=60)
        try:
            self.conn.request("POST", self.prefix + path, body=json.dumps(body), headers={
                "Authorization": f"Token {token}", "Content-Type": "application/json",
                "Idempotency-Key": key, "Accept-Language": "en"})
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = None
            raise
        replayed = response.getheader("Idempotent-Replayed") == "true"
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {"detail": raw[:300].decode(errors="replace")}
        return response.status, data, replayed


def _send(client: Client, device: Device, sub: Submission, stats: Stats) -> None:
    """Send until acknowledged (201), retrying with the same key: after a lost answer, a
    409 (the twin is still being written) or a network error."""
    path = f"/api/v1/voting/tps/{sub.tps}/{'report' if sub.kind == 'report' else 'results'}/"
    attempts, lost, acknowledged = 0, sub.lost_answer, False
    if sub.double:  # a double tap: the same key twice at once, from another connection
        twin = threading.Thread(target=_twin, args=(client, device, sub, path, stats))
        twin.start()
    while attempts < 20:
        attempts += 1
        start = time.perf_counter()
        try:
            status, data, replayed = client.post(path, device.token, sub.key, sub.body)
        except (http.client.HTTPException, OSError):
            with stats.lock:
                stats.network_errors += 1
            time.sleep(0.2 * attempts)
            continue
        took = time.perf_counter() - start
        with stats.lock:
            stats.requests += 1
            stats.latencies.append(took)
            stats.replays += replayed
            if status == 201 and not replayed and not acknowledged:
                stats.acknowledged += 1
                acknowledged = True
            if status == 409:
                stats.conflicts += 1
        if status == 409:
            time.sleep(0.1 * attempts)
            continue
        if status != 201:
            with stats.lock:
                stats.refused.append((sub.label, sub.tps, status, data))
            break
        if lost:  # the answer never reached the phone: it sends the same again
            lost = False
            continue
        break
    if sub.double:
        twin.join()


def _twin(client, device, sub, path, stats) -> None:
    other = Client.__new__(Client)
    other.__dict__.update({**client.__dict__, "conn": None})
    try:
        status, _data, replayed = other.post(path, device.token, sub.key, sub.body)
    except (http.client.HTTPException, OSError):
        return
    with stats.lock:
        stats.requests += 1
        stats.replays += replayed
        stats.conflicts += status == 409
        if status == 201 and not replayed:
            stats.acknowledged += 1  # the twin won; the device's own send is then a replay
    if other.conn is not None:
        other.conn.close()


def run(url: str, devices: list[Device], options: Options, *, progress=None) -> Stats:
    """Replay the plan against ``url``; returns what was sent and answered."""
    stats = Stats()
    heap = [(d.due(), i) for i, d in enumerate(devices) if d.due() is not None]
    heapq.heapify(heap)
    start_sim = min((at for at, _i in heap), default=0.0)
    lock, wake = threading.Lock(), threading.Condition()
    busy = [0]
    started = time.monotonic()

    def real(at: float) -> float:
        return 0.0 if not options.speed else (at - start_sim) * 60 / options.speed

    def worker():
        client = Client(url)
        while True:
            with wake:
                while True:
                    if not heap:
                        if busy[0] == 0:
                            wake.notify_all()
                            return
                        wake.wait(0.5)
                        continue
                    wait = started + real(heap[0][0]) - time.monotonic()
                    if wait > 0:
                        wake.wait(min(wait, 0.5))
                        continue
                    at, index = heapq.heappop(heap)
                    busy[0] += 1
                    break
            device = devices[index]
            sub = device.queue[device.index]
            behind = time.monotonic() - started - real(at)
            with lock:
                stats.sent[sub.label] += 1
                stats.lag = max(stats.lag, behind)
            _send(client, device, sub, stats)
            device.index += 1
            with wake:
                busy[0] -= 1
                if device.due() is not None:
                    heapq.heappush(heap, (max(device.due(), at), index))
                wake.notify_all()
            if progress is not None:
                progress(stats, at)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(options.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.elapsed = time.monotonic() - started
    return stats


# --- the check ------------------------------------------------------------------------------

def stored(election, since) -> dict[str, int]:
    """What the database holds from the rehearsal users since ``since``."""
    results = TpsResult.objects.filter(election=election, entered_at__gte=since,
                                       entered_by__username__startswith=USER_PREFIX)
    return {
        "reports": StatusEvent.objects.filter(
            day__election=election, recorded_at__gte=since,
            recorded_by__username__startswith=USER_PREFIX).count(),
        "results pemda": results.filter(source=Source.PEMDA, version=1).count(),
        "corrections": results.filter(source=Source.PEMDA, version__gt=1).count(),
        "results saksi": results.filter(source=Source.SAKSI).count(),
        "idempotency keys": IdempotencyKey.objects.filter(
            created_at__gte=since, user__username__startswith=USER_PREFIX).count(),
    }


def expected(sent: Counter) -> dict[str, int]:
    reports = sum(v for k, v in sent.items() if k not in ("pemda", "saksi", "correction"))
    return {"reports": reports, "results pemda": sent["pemda"],
            "corrections": sent["correction"], "results saksi": sent["saksi"],
            "idempotency keys": sum(sent.values())}


def misreads_left(election, since) -> int:
    """Current Pemda entries of the rehearsal still carrying a misread (a corrected one is
    a later version)."""
    count = 0
    for result in TpsResult.objects.filter(
            election=election, entered_at__gte=since, source=Source.PEMDA, is_current=True,
            entered_by__username__startswith=USER_PREFIX).only("votes", "valid"):
        if sum(result.votes.values()) != result.valid:
            count += 1
    return count


def tps_for(election, limit=None) -> list[Tps]:
    """The election's TPS inside the Pemda (the API answers 404 for the others)."""
    qs = Tps.objects.filter(election=election).filter(_pemda_filter(Tps.scope)) \
        .order_by("kelurahan_id", "number")
    return list(qs[:limit] if limit else qs)
