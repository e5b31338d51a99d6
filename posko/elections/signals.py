"""Signals other modules listen to (they may import elections; elections imports none of them)."""

from django.dispatch import Signal

from posko.core import fanout
from posko.elections.models import Tps

# Sent after TPS were created, changed or deleted: in a background job after the write
# commits (``posko.core.fanout``), or inside the writing transaction with POSKO_FANOUT=inline.
# kwargs: election (Election), tps_ids (list[int]).
tps_changed = Signal()
FANOUT = "elections.tps_changed"


def announce_tps_changed(election, tps_ids) -> None:
    """What a TPS write calls: the listeners of :data:`tps_changed` hear it after commit."""
    fanout.send(FANOUT, election, tps_ids)


def _send(election, tps_ids, key: str) -> None:
    tps_changed.send(sender=Tps, election=election, tps_ids=tps_ids)


fanout.register(FANOUT, _send)
