"""Each TPS's readiness: the share of required item units confirmed at the TPS in good
condition, and a state.

* ``bermasalah`` — an open shortfall case for the TPS;
* ``lengkap`` — every required item received in good condition in full;
* ``belum`` — nothing received yet;
* ``kurang`` — otherwise.

``refresh(election, tps_ids)`` recomputes the stored ``TpsReadiness`` rows with a few
grouped queries; every service that changes requirements, receipts or shortfall cases
calls it for the TPS it touched. Roll-ups group the stored rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from posko.core.bulk import insert_rows
from posko.elections.models import Tps
from posko.logistics.models import Requirement, Shipment, ShipmentLine, Shortfall, TpsReadiness

READINESS_FIELDS = ["tps_id", "election_id", "kecamatan_id", "kelurahan_id", "required_units",
                    "good_units", "percent", "state", "open_shortfalls", "last_received_at",
                    "updated_at"]


def _state(required: dict, good: dict, received_any: bool, open_cases: int) -> str:
    if open_cases:
        return TpsReadiness.State.BERMASALAH
    if not received_any:
        return TpsReadiness.State.BELUM
    if all(good.get(item, 0) >= qty for item, qty in required.items()):
        return TpsReadiness.State.LENGKAP
    return TpsReadiness.State.KURANG


@transaction.atomic
def refresh(election, tps_ids=None) -> int:
    """Recompute and store the readiness of ``election``'s TPS (all, or ``tps_ids``)."""
    tps = Tps.objects.filter(election=election)
    if tps_ids is not None:
        tps_ids = list(tps_ids)
        tps = tps.filter(pk__in=tps_ids)
    places = {pk: (kec, kel) for pk, kec, kel in tps.values_list("pk", "kecamatan_id", "kelurahan_id")
              .iterator(chunk_size=10000)}
    required: dict[int, dict[int, int]] = defaultdict(dict)
    req = Requirement.objects.filter(item__election=election)
    if tps_ids is not None:
        req = req.filter(tps_id__in=tps_ids)
    for tps_id, item_id, qty in req.values_list("tps_id", "item_id", "quantity").iterator(
            chunk_size=20000):
        required[tps_id][item_id] = qty
    good: dict[int, dict[int, int]] = defaultdict(dict)
    last: dict[int, object] = {}
    lines = ShipmentLine.objects.filter(
        shipment__election=election, shipment__to_level=Shipment.Level.TPS,
        shipment__is_return=False, shipment__status=Shipment.Status.RECEIVED)
    if tps_ids is not None:
        lines = lines.filter(shipment__tps_id__in=tps_ids)
    for tps_id, item_id, received, damaged, when in lines.values_list(
            "shipment__tps_id", "item_id").annotate(
            received=Sum("received"), damaged=Sum("damaged"),
            when=Max("shipment__received_at")).values_list(
            "shipment__tps_id", "item_id", "received", "damaged", "when").iterator(chunk_size=20000):
        good[tps_id][item_id] = max(0, (received or 0) - (damaged or 0))
        if when and (tps_id not in last or when > last[tps_id]):
            last[tps_id] = when
    cases = Shortfall.objects.open().filter(election=election, tps__isnull=False)
    if tps_ids is not None:
        cases = cases.filter(tps_id__in=tps_ids)
    open_cases = dict(cases.values_list("tps_id").annotate(n=Count("pk")).values_list("tps_id", "n"))

    now = timezone.now()

    def rows():
        for pk, (kec, kel) in places.items():
            req_items = required.get(pk, {})
            good_items = good.get(pk, {})
            total = sum(req_items.values())
            ok = sum(min(good_items.get(item, 0), qty) for item, qty in req_items.items())
            percent = (Decimal(ok * 100) / total).quantize(Decimal("0.1")) if total else Decimal(0)
            received_any = pk in last
            yield (pk, election.pk, kec, kel, total, ok, percent,
                   _state(req_items, good_items, received_any, open_cases.get(pk, 0)),
                   open_cases.get(pk, 0), last.get(pk), now)

    stale = TpsReadiness.objects.filter(election=election)
    if tps_ids is not None:
        stale = stale.filter(tps_id__in=tps_ids)
    stale.delete()
    return insert_rows(TpsReadiness, READINESS_FIELDS, rows())


def rollup(queryset, group_by: str):
    """Counts per state and unit sums of TpsReadiness rows grouped by ``group_by``
    ("kecamatan_id", "kelurahan_id" or None for one total)."""
    fields = dict(
        tps=Count("pk"),
        lengkap=Count("pk", filter=Q(state=TpsReadiness.State.LENGKAP)),
        kurang=Count("pk", filter=Q(state=TpsReadiness.State.KURANG)),
        belum=Count("pk", filter=Q(state=TpsReadiness.State.BELUM)),
        bermasalah=Count("pk", filter=Q(state=TpsReadiness.State.BERMASALAH)),
        required_units=Sum("required_units"), good_units=Sum("good_units"),
    )
    if group_by is None:
        return queryset.aggregate(**fields)
    return queryset.values(group_by).annotate(**fields).order_by(group_by)
