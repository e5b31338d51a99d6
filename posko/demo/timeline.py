"""The demo's clock: the moment its data is built for (``posko demo --as-of``).

The demo generates a whole timeline (stages, tasks, logistics, outreach, incidents, the
voting day); each part creates only the rows that exist by ``as_of`` (rows dated after it
are not created, a task completed after it is still open, a shipment received after it is
still on the way, voting-day rows only up to it). The default is the morning of H-1
(Tuesday 26 Nov 2024 08:00 WIB), the Desk's busiest day; ``VOTING_DAY_EVENING`` is the
finished voting day of the situation room.

A run for another moment than the last one (:class:`posko.demo.models.DemoBuild`) first
deletes the election's time-dependent rows (:func:`forget_after_change`) and then builds
them again for the new moment; a run for the same moment changes nothing. Reference rows
(the wilayah, the election and its stages, agencies, users, TPS, catalogues, workers, the
vulnerability mapping) do not depend on the moment and are kept.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
DEFAULT_AS_OF = datetime.datetime(2024, 11, 26, 8, 0, tzinfo=WIB)  # H-1 morning
VOTING_DAY_EVENING = datetime.datetime(2024, 11, 27, 20, 0, tzinfo=WIB)
#: Long after the election: every generated row exists.
AFTER_ALL = datetime.datetime(2024, 12, 31, 12, 0, tzinfo=WIB)


def as_of_of(result) -> datetime.datetime:
    """The moment a demo build is for (``DemoResult.as_of``; the default when unset)."""
    return getattr(result, "as_of", None) or DEFAULT_AS_OF


def exists_by(moment: datetime.datetime | None, as_of: datetime.datetime) -> bool:
    """Did something that happened at ``moment`` happen by ``as_of``?"""
    return moment is not None and moment <= as_of


def rescale(minutes: int, low: int, high: int, new_high: int) -> int:
    """Map a minute of the day drawn in [low, high] onto [low, new_high] (the same draw,
    so the generator's sequence and everything after it stay the same)."""
    return low + (minutes - low) * (new_high - low) // max(1, high - low)


def tps_with_ballots(election, as_of: datetime.datetime) -> set[int]:
    """The TPS that received their ballots by ``as_of`` (every ballot item of their
    requirement received at the TPS): no TPS votes, and none has turnout, without them."""
    from django.db.models import Sum

    from posko.logistics.models import Item, Requirement, ShipmentLine

    needed: dict[tuple[int, int], int] = {
        (tps, item): qty for tps, item, qty in Requirement.objects.filter(
            item__election=election, item__is_active=True, item__norm=Item.Norm.BALLOTS,
            quantity__gt=0).values_list("tps_id", "item_id", "quantity")}
    got = {(row["shipment__tps_id"], row["item_id"]): row["n"] for row in ShipmentLine.objects
           .filter(shipment__election=election, shipment__to_level="tps",
                   shipment__is_return=False, shipment__received_at__lte=as_of,
                   item__norm=Item.Norm.BALLOTS)
           .values("shipment__tps_id", "item_id").annotate(n=Sum("received")).order_by()}
    short = {tps for (tps, item), qty in needed.items() if got.get((tps, item), 0) < qty}
    return {tps for tps, _item in needed} - short


def previous_as_of() -> datetime.datetime | None:
    from posko.demo.models import DemoBuild

    return DemoBuild.objects.filter(pk=1).values_list("as_of", flat=True).first()


def remember(as_of: datetime.datetime) -> int:
    """Store the moment the demo was built for; 1 if it changed."""
    from posko.demo.models import DemoBuild

    if previous_as_of() == as_of:
        return 0
    DemoBuild.objects.update_or_create(pk=1, defaults={"as_of": as_of})
    return 1


def forget_after_change(election, as_of: datetime.datetime) -> int:
    """Delete the election's time-dependent rows when the demo was last built for another
    moment (nothing when it was built for ``as_of`` or never built); returns how many
    kinds of rows were cleared. Practice done on the demo in those rows is lost."""
    if previous_as_of() == as_of:  # never built (or before the demo had a clock): clear too
        return 0
    cleared = 0
    for clear in (_voting, _logistics, _coordination, _incidents, _outreach):
        cleared += clear(election, as_of)
    return cleared


def _voting(election, as_of) -> int:
    from posko.voting.models import (
        AreaFlag,
        QuickCountDesign,
        Reconciliation,
        ResultPhoto,
        TallyCounter,
        TpsDay,
        TpsResult,
    )

    for model in (Reconciliation, ResultPhoto, TpsResult, TpsDay, QuickCountDesign,
                  TallyCounter, AreaFlag):
        model.objects.filter(election=election).delete()
    return 1


def _logistics(election, as_of) -> int:
    from posko.logistics.models import Shipment, Shortfall, SupportRequest

    Shortfall.objects.filter(election=election).delete()
    Shipment.objects.filter(election=election).delete()
    SupportRequest.objects.filter(election=election).delete()
    return 1


def _coordination(election, as_of) -> int:
    from django.db.models import Q

    from posko.coordination.models import SupervisionResponse, Task

    responses = SupervisionResponse.objects.filter(item__checklist__election=election)
    from_answers = set(responses.exclude(task=None).values_list("task_id", flat=True))
    responses.delete()
    # The applied template's tasks and those made from answers; other modules' tasks (a
    # mitigation plan's, say) stay with the rows that made them.
    Task.objects.filter(election=election).filter(
        Q(template_item__isnull=False) | Q(pk__in=from_answers)).delete()
    return 1


def _incidents(election, as_of) -> int:
    from posko.incidents.models import Report

    # Reports from before the moment stay (a neutrality case may point at one).
    Report.objects.filter(election=election, created_at__gt=as_of).delete()
    return 1


def _outreach(election, as_of) -> int:
    from posko.outreach.models import Activity, TpsTurnout

    Activity.objects.filter(election=election).delete()  # built again up to the moment
    TpsTurnout.objects.filter(election=election).delete()
    return 1
