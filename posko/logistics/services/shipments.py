"""Shipments between the stages of the chain of custody (KPU warehouse → PPK (kecamatan)
→ PPS (kelurahan) → KPPS (TPS), and returns after counting).

Every write validates (``posko.logistics.rules``; who may send: ``posko.logistics.access``),
saves and audits in one transaction and refreshes the readiness of the TPS it touched.
Views, the API and the demo call these functions only. Receipts: ``services.receipts``."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.core.services import raise_problems
from posko.logistics.access import place_level
from posko.logistics.labels import check_box_codes
from posko.logistics.models import Item, Shipment, ShipmentLine
from posko.logistics.rules import (
    CLOCK_TOLERANCE,
    add,
    count_problem,
    item_key,
    place_fields,
    shipment_problems,
)
from posko.logistics.services import readiness

Level = Shipment.Level


def pending_tps_shipments(election, kelurahan_code: str, extra_ids=()) -> list[Shipment]:
    """Forward TPS shipments of a kelurahan still on the way, ordered by TPS, each with
    ``pending_lines`` (its lines with their items). ``extra_ids`` adds shipments a
    submitted page named, so one confirmed meanwhile is reported rather than skipped."""
    lines = ShipmentLine.objects.select_related("item").order_by("item__order", "item__name")
    shipments = list(Shipment.objects.filter(
        election=election, kelurahan_id=kelurahan_code, to_level=Level.TPS, is_return=False,
    ).filter(Q(status=Shipment.Status.DISPATCHED) | Q(pk__in=list(extra_ids))).select_related(
        "tps", "received_by").prefetch_related(Prefetch("lines", queryset=lines)).order_by(
        "tps__number", "dispatched_at", "pk"))
    for shipment in shipments:
        shipment.pending_lines = list(shipment.lines.all())
    return shipments


def user_label(user) -> str:
    if user is None:
        return _("an unknown user")
    return user.get_full_name() or user.get_username()


def lines_snapshot(lines) -> dict:
    return {line.item.code: {"dispatched": line.dispatched, "received": line.received,
                             "damaged": line.damaged, "explanation": line.explanation}
            for line in lines}


def _normalise_lines(election, lines: Mapping, errors: dict) -> list[tuple[Item, int]]:
    by_pk, by_code = {}, {}
    for key, value in (lines or {}).items():
        pk = item_key(key)
        if pk is not None:
            by_pk[pk] = value
        elif isinstance(key, str) and key.strip():
            by_code[key.strip()] = value
        else:
            add(errors, "lines", _("%(item)s is not a logistics item.") % {"item": key})
    catalogue = Item.objects.filter(election=election)
    items = {i.pk: i for i in catalogue.filter(pk__in=list(by_pk))}
    for item in catalogue.filter(code__in=list(by_code)):
        items[item.pk] = item
        by_pk[item.pk] = by_code.pop(item.code)
    for code in by_code:
        add(errors, "lines", _("Item %(item)s is not in this election's catalogue.") % {
            "item": code})
    result = []
    for pk, value in by_pk.items():
        item = items.get(pk)
        if item is None:
            add(errors, "lines", _("Item %(item)s is not in this election's catalogue.") % {
                "item": pk})
            continue
        number, problem = count_problem(item.name, value, allow_blank=True)
        if problem:
            add(errors, f"count_{pk}", problem)
        elif number:
            result.append((item, number))
    if not errors and not result:
        add(errors, "lines", _("A shipment needs at least one item with a count above 0."))
    return result


@transaction.atomic
def create_shipment(election, from_level: str, to_level: str, place, lines: Mapping,
                    seal_numbers: str = "", vehicle: str = "", driver: str = "",
                    dispatched_at: datetime.datetime | None = None, *, actor,
                    is_return: bool = False, note: str = "", box_codes: str = "") -> Shipment:
    """Record a shipment dispatched by ``actor``.

    ``place`` is the Kecamatan (PPK), Kelurahan (PPS) or Tps of the destination — for a
    return, of the origin. ``lines`` maps items (``Item`` or pk) to the counts
    dispatched (whole numbers ≥ 0; at least one above 0; zeros are left out).
    ``box_codes`` are the box labels scanned at dispatch (``posko.logistics.labels``), each
    of a TPS inside the destination.
    Raises ValidationError (keys: route, place, lines, count_<item pk>, dispatched_at,
    box_codes and model fields) and saves nothing on any problem."""
    errors = shipment_problems(election, from_level, to_level, place, actor=actor,
                               is_return=is_return)
    normalised = _normalise_lines(election, lines, errors)
    now = clock.now()
    if dispatched_at is None:
        dispatched_at = now
    elif dispatched_at > now + CLOCK_TOLERANCE:
        add(errors, "dispatched_at", _("The dispatch time cannot be in the future."))
    raise_problems(errors)
    level = place_level(from_level, to_level, is_return)
    shipment = Shipment(
        election=election, is_return=is_return, from_level=from_level, to_level=to_level,
        seal_numbers=(seal_numbers or "").strip(), vehicle=(vehicle or "").strip(),
        driver=(driver or "").strip(), dispatched_at=dispatched_at, note=(note or "").strip(),
        dispatched_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now, **place_fields(level, place))
    if (box_codes or "").strip():
        shipment.box_codes, problems = check_box_codes(box_codes, shipment, actor=actor)
        for problem in problems:
            add(errors, "box_codes", problem)
        raise_problems(errors)
    shipment.full_clean()
    shipment.save()
    created = ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, item=item, dispatched=count) for item, count in normalised])
    for line, (item, _count) in zip(created, normalised, strict=True):
        line.item = item
    audit.record("create", shipment, actor=actor,
                 after={**audit.snapshot(shipment), "lines": lines_snapshot(created)},
                 message=_("dispatched: %(lines)s") % {"lines": _lines_text(created)})
    if shipment.tps_id:
        readiness.refresh(election, [shipment.tps_id])
    return shipment


def _lines_text(lines) -> str:
    return "; ".join(f"{line.item.name} × {line.dispatched}" for line in lines)
