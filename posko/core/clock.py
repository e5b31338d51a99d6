"""The one clock of Posko: every "now" and "today" in the product reads it.

In production it is the system's time. A demo or a training instance may run on a
*simulated* time: ``posko demo --as-of 2024-11-26T08:00`` (or ``posko clock --as-of ...``)
stores an offset from the real time, and from then on every process (web, worker, commands)
sees that moment moving forward in real time. H-n, "today", overdue, SLA, due-soon,
reminders, escalation, the voting-day states and the timestamps a user's action records all
follow it; the page header says "Simulasi — waktu: …" while it is set.

Infrastructure that must follow the real time whatever the simulation says (sessions, login
throttling, API tokens, job heartbeats, idempotency keys, the audit log's own stamp) calls
``real_now()``. Nothing outside this module calls the system time directly
(``tests/test_clock.py`` fails on ``timezone.now()``, ``localdate()``, ``date.today()`` or
``datetime.now()`` anywhere else in ``posko/``).

The offset is one row (``core.SimulatedClock``) cached per process through
``core.constants``: changing it reaches every process within
``POSKO_CONSTANTS_CHECK_SECONDS``.
"""

from __future__ import annotations

import datetime
import math

from django.utils import timezone

from posko.core import constants

_KEY = ("core.clock",)
_ZERO = datetime.timedelta(0)


def real_now() -> datetime.datetime:
    """The system's time (aware, UTC): for infrastructure only (see the module doc)."""
    return timezone.now()


def _load_offset() -> datetime.timedelta:
    from posko.core.models import SimulatedClock

    seconds = SimulatedClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
    return datetime.timedelta(seconds=seconds or 0)


def offset() -> datetime.timedelta:
    """How far the simulated time is from the real one (zero in production)."""
    return constants.get(_KEY, _load_offset)


def now() -> datetime.datetime:
    """The current moment as Posko sees it (aware)."""
    return timezone.now() + offset()


def today() -> datetime.date:
    """Today's date in the site's time zone, by this clock."""
    return timezone.localdate(now())


def is_simulated() -> bool:
    return offset() != _ZERO


def simulate(as_of: datetime.datetime | None) -> datetime.timedelta:
    """Make ``as_of`` the current moment from now on (``None``: back to the real time).
    Returns the stored offset."""
    from posko.core.models import SimulatedClock

    if as_of is None:
        SimulatedClock.objects.filter(pk=1).delete()
        constants.changed()
        return _ZERO
    if timezone.is_naive(as_of):
        as_of = timezone.make_aware(as_of)
    seconds = math.ceil((as_of - timezone.now()).total_seconds())  # never before as_of
    SimulatedClock.objects.update_or_create(pk=1, defaults={"offset_seconds": seconds,
                                                            "as_of": as_of,
                                                            "set_at": timezone.now()})
    constants.changed()
    return datetime.timedelta(seconds=seconds)


def assume_real() -> None:
    """Tests: this process runs on the real time without asking the database (the test's
    database has no simulated clock unless the test sets one)."""
    constants.prime(_KEY, _ZERO)
