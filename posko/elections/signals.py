"""Signals other modules listen to (they may import elections; elections imports none of them)."""

from django.dispatch import Signal

# Sent after TPS were created, changed or deleted, inside the same transaction.
# kwargs: election (Election), tps_ids (list[int]).
tps_changed = Signal()
