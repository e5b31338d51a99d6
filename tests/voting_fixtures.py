"""Shared pieces of the voting tests: the voting day, a moment on it, the contests of the test
world with three pairs each, and a C.Hasil that adds up.

Import the fixtures into a test module (``from tests.voting_fixtures import in_english``) to
use them there; ``in_english`` is autouse."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone, translation

from posko.elections.models import CandidatePair, Contest

VOTING_DAY = datetime.date(2024, 11, 27)

#: A C.Hasil of 308 voters whose numbers add up (with ``VOTES``).
GOOD = {"voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 300, "invalid": 8,
        "ballots_received": 420, "ballots_used": 308, "ballots_unused": 110, "ballots_damaged": 2}
VOTES = {1: 120, 2: 100, 3: 80}

CONTESTS = {
    "walikota": {"name": "Wali Kota Malang", "level": "walikota", "provinsi_id": "35",
                 "kabkota_id": "35.73"},
    "gubernur": {"name": "Gubernur Jawa Timur", "level": "gubernur", "provinsi_id": "35"},
    "batu": {"name": "Wali Kota Batu", "level": "walikota", "provinsi_id": "35",
             "kabkota_id": "35.79"},
}


def at(hour, minute=0):
    """A moment on voting day, local time."""
    return timezone.make_aware(datetime.datetime.combine(VOTING_DAY, datetime.time(hour, minute)))


def make_contests(world, *keys: str) -> tuple[Contest, ...]:
    """The contests named by ``keys`` (of ``CONTESTS``), each with pairs 1–3."""
    made = []
    for key in keys:
        contest = Contest.objects.create(election=world.election, **CONTESTS[key])
        for n in (1, 2, 3):
            CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                         deputy_name=f"Wakil {n}")
        made.append(contest)
    return tuple(made)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def post_result(client, tps, payload, key=None):
    """POST a C.Hasil to the field API with an Idempotency-Key (a new one by default)."""
    from django.urls import reverse

    return client.post(reverse("api:voting-tps-results", args=[tps.pk]), payload,
                       content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=str(key or uuid.uuid4()))


def result_body(contest, votes=(120, 100, 80), **extra) -> dict:
    """A C.Hasil that adds up (GOOD), with ``votes`` for pairs 1, 2, 3…"""
    return {"contest": contest.pk, **GOOD,
            "votes": {str(n): v for n, v in enumerate(votes, 1)}, **extra}
