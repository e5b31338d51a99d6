"""Logistics as a source of TPS vulnerability indicators (``posko.core.derived``).

Bawaslu's logistics indicators are about *earlier* elections ("TPS where logistics were
ever short, damaged or late"), so they come from the election's history
(``logistics.history``): the previous election in Posko, else the imported history, else
none. Per TPS:

- ``logistik_kurang``: cases "received less", "received more" or "TPS total below
  requirement" (Bawaslu: logistics short, surplus or missing);
- ``logistik_rusak``: cases "damaged items";
- ``logistik_terlambat``: cases "received after the deadline".

The evidence line names the source ("Pemilu 2024 in Posko: 2 case(s)" / "imported history
(Pemilu 2019): 1 case(s)"), and so does the source's label on the instrument page (for the
active election; "no history: …" when there is none, and then no value is given). The
shortfall cases of the election being prepared do not count for its own indicators: they
are the history of the elections after it, which :func:`changed` notifies.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core import constants, derived
from posko.elections.models import Election
from posko.logistics import history

KINDS = history.INDICATORS


def _source(field):
    def compute(election, tps_ids):
        source, found = history.counts(election, field, tps_ids)
        if not found:
            return
        url = reverse("logistics:history_list")
        text = source.text()
        for tps_id, n in sorted(found.items()):
            yield derived.DerivedValue(tps_id, 1, _("%(source)s: %(n)s case(s)") % {
                "source": text, "n": n}, url)
    return compute


class _Label:
    """"Logistics history: <where it comes from>" for the active election, worked out when
    shown (no query once warm), never at registration."""

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        election = Election.active()
        if election is None:
            return _("Logistics history")
        return _("Logistics history: %(source)s") % {
            "source": history.source_of(election).text()}



def register() -> None:
    label = _Label()
    for indicator, (key, field) in KINDS.items():
        derived.register_source(indicator, key, _source(field), label=label)


def _later(election) -> list[int]:
    return constants.get(("logistics.later_elections", election.pk), lambda: list(
        Election.objects.filter(voting_date__gt=election.voting_date).values_list(
            "pk", flat=True)))


def changed(election, tps_ids) -> None:
    """The shortfall cases of ``tps_ids`` in ``election`` changed: tell the consumers of
    every later election whose history ``election`` is (nothing when there is none)."""
    if not any(tps_ids or ()):
        return
    for pk in _later(election):
        later = Election.cached(pk)
        if later is not None and history.source_of(later).previous_id == election.pk:
            history.notify(later)
