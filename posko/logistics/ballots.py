"""The ballot requirement per TPS and contest, for other modules through
``core.requirements`` (the voting module compares it with the ballots a C.Hasil says were
received).

Each contest has its own ballots line in the catalogue ("Surat suara Wali Kota Malang":
an active ballots-norm item whose ``contest`` is that contest). One contest's share at a
TPS is ``requirements.ballots_required(DPT, reserve)``, the same arithmetic as the stored
requirement row of that line. A contest without an active ballots line of its own gets
None (logistics plans no ballots for it), even when another contest has one; a shared
ballots line (no contest: an install not yet migrated, or made outside the services)
counts for every contest. Which contests have a line is a per-process constant, so asking
costs no query once warm."""

from __future__ import annotations

from posko.core import constants
from posko.logistics.models import Item
from posko.logistics.services.requirements import ballots_required

EVERY_CONTEST = 0  # the contest id of a shared ballots line


def planned_contests(election) -> frozenset[int]:
    """Ids of the contests with an active ballots line (``EVERY_CONTEST`` for a shared one),
    a per-process constant."""
    return constants.get(("logistics.ballot_contests", election.pk), lambda: frozenset(
        pk or EVERY_CONTEST for pk in Item.objects.filter(
            election=election, norm=Item.Norm.BALLOTS, is_active=True
        ).values_list("contest_id", flat=True)))


def plans_ballots(election, contest=None) -> bool:
    """The catalogue plans ballots (for ``contest``, or for any contest)."""
    planned = planned_contests(election)
    if contest is None:
        return bool(planned)
    return EVERY_CONTEST in planned or getattr(contest, "pk", contest) in planned


def ballots_for_contest(election, tps, contest) -> int | None:
    """Ballots ``tps`` should receive for ``contest``; None when logistics plans none for it."""
    if not plans_ballots(election, contest):
        return None
    return ballots_required(tps.dpt_total, election.ballot_reserve_percent)
