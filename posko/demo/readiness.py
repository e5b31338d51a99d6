"""The demo's readiness index (issue 17): the index at the demo's clock and snapshots for
the week before it, so the H-3 forecast can be compared with what happened.

Past snapshots are rebuilt from the data's own timestamps where the demo has them: the
logistics component from the receipts received by the end of each day (good units per
item, at most the requirement, as ``logistics.services.readiness``); the other components
keep their value at the demo's clock (their rows carry no history)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.apps import apps
from django.db.models import Sum

from posko.demo.timeline import WIB

DAYS_BACK = 7


def _logistics_by_day(election, days: list[datetime.date]) -> dict:
    from posko.logistics.models import Requirement, ShipmentLine  # the demo builds every module

    need = defaultdict(dict)
    for tps, item, qty in Requirement.objects.filter(
            item__election=election, item__is_active=True, quantity__gt=0).values_list(
            "tps_id", "item_id", "quantity"):
        need[tps][item] = qty
    got = defaultdict(list)  # (tps, item) -> [(received_at, good)]
    for tps, item, at, good in (ShipmentLine.objects.filter(
            shipment__election=election, shipment__to_level="tps", shipment__is_return=False,
            shipment__status="received", shipment__tps__isnull=False)
            .values_list("shipment__tps_id", "item_id", "shipment__received_at")
            .annotate(good=Sum("received") - Sum("damaged")).order_by()):
        if at is not None:
            got[(tps, item)].append((at, good or 0))
    result = {}
    for day in days:
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min,
                                        tzinfo=WIB)
        for tps, items in need.items():
            required = sum(items.values())
            ok = 0
            for item, qty in items.items():
                good = sum(g for at, g in got.get((tps, item), []) if at < end)
                ok += max(0, min(good, qty))
            result[(tps, day)] = (ok / required, f"{ok} of {required} units received in good "
                                  "condition")
    return result


def build_readiness(result) -> None:
    if not apps.is_installed("posko.readiness"):
        return
    # Imported here: the readiness module is optional (no cycle; not installed = no index).
    from posko.elections.models import Election
    from posko.readiness.models import ReadinessSettings, Snapshot, TpsIndex
    from posko.readiness.services.compute import evaluate, refresh

    election = Election.objects.get(pk=result.election_id)
    refresh(election)
    settings = ReadinessSettings.for_election(election)
    today = result.as_of.astimezone(WIB).date()
    days = [today - datetime.timedelta(days=n) for n in range(DAYS_BACK, 0, -1)]
    logistics = _logistics_by_day(election, days) if apps.is_installed("posko.logistics") else {}
    Snapshot.objects.filter(election=election).delete()
    rows = []
    current = list(TpsIndex.objects.filter(election=election).values_list(
        "tps_id", "kabkota_id", "kecamatan_id", "kelurahan_id", "components", "index"))
    for tps, kab, kec, kel, comps, index in current:
        place = {"election_id": election.pk, "tps_id": tps, "kabkota_id": kab,
                 "kecamatan_id": kec, "kelurahan_id": kel}
        for day in days:
            past = dict(comps)
            if (tps, day) in logistics:
                value, reason = logistics[(tps, day)]
                past["logistics"] = [round(value, 4), reason]
            past_index, _missing = evaluate(past, settings)
            rows.append(Snapshot(day=day, components=past, index=past_index, **place))
        rows.append(Snapshot(day=today, components=comps, index=index, **place))
    Snapshot.objects.bulk_create(rows, batch_size=2000)
