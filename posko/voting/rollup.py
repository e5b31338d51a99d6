"""Running tallies (``TallyCounter``): the sums of the counted entries per kelurahan and
contest, changed by deltas in the same transaction as the entry, never recomputed from every
TPS per submission.

``apply(removed, added)`` is called whenever the counted entry of a TPS × contest changes
(a new Pemda version, a verifier's choice or correction); either side may be ``None``."""

from __future__ import annotations


def apply(removed, added) -> None:
    """Move the counters from ``removed`` to ``added`` (both ``TpsResult`` or ``None``)."""
