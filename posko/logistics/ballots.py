"""The ballot requirement per TPS and contest, for other modules through
``core.requirements`` (the voting module compares it with the ballots a C.Hasil says were
received).

The catalogue's ballots-norm item is "DPT + reserve, per contest": one contest's share at a
TPS is ``requirements.ballots_required(DPT, reserve)``, the same arithmetic as the stored
requirement rows (which hold that times the contests covering the TPS). Whether the
election's catalogue has an active ballots item is a per-process constant, so asking costs
no query once warm."""

from __future__ import annotations

from posko.core import constants
from posko.logistics.models import Item
from posko.logistics.services.requirements import ballots_required


def plans_ballots(election) -> bool:
    """The election's catalogue has an active ballots-norm item (a per-process constant)."""
    return constants.get(("logistics.plans_ballots", election.pk), lambda: Item.objects.filter(
        election=election, norm=Item.Norm.BALLOTS, is_active=True).exists())


def ballots_for_contest(election, tps, contest) -> int | None:
    """Ballots ``tps`` should receive for one contest; None when logistics plans none."""
    if not plans_ballots(election):
        return None
    return ballots_required(tps.dpt_total, election.ballot_reserve_percent)
