"""Demo data of the voting-day module (Kota Malang, 27 Nov 2024): a finished day at every
TPS, **generated** (not what happened).

Every TPS reports set-up on H-1 (16.00–20.30), opening (most between 06.50 and 07.14, about
one in twelve late, up to 08.10), voting, closing at 13.00–13.10, counting and the C.Hasil
photographed between 15.00 and 20.30, with 6–7 KPPS and 2 Linmas present (a few with 1).
From a seeded random generator: every run builds the same rows. Days are created for the
TPS that have none and then left as users change them, so a second run changes nothing.
Bulk writes.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from posko.accounts.models import User
from posko.elections.models import Election, Tps
from posko.voting.models import State, StatusEvent, TpsDay

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
    done = rng.randint(15 * 60, 20 * 60 + 30)
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
    have = set(TpsDay.objects.filter(election=election).values_list("tps_id", flat=True))
    rng = random.Random(SEED)
    days, timelines = [], []
    for tps in Tps.objects.filter(election=election).order_by("kelurahan_id", "number"):
        timeline = _timeline(rng, election.voting_date)
        kpps, linmas = (7 if rng.random() < 0.8 else 6), (2 if rng.random() < 0.95 else 1)
        if tps.pk in have:
            continue
        opened, closed = timeline[1][1], timeline[3][1]
        days.append(TpsDay(
            election=election, tps=tps, kabkota_id=tps.kabkota_id, kecamatan_id=tps.kecamatan_id,
            kelurahan_id=tps.kelurahan_id, state=State.SELESAI, state_at=timeline[-1][1],
            opened_at=opened, closed_at=closed, kpps_present=kpps, linmas_present=linmas,
            last_report_at=timeline[-1][1], version=len(timeline)))
        timelines.append((timeline, kpps, linmas, operators.get(tps.kelurahan_id, admin)))
    if not days:
        return
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
