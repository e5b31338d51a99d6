"""Shortfall cases: the discrepancies a receipt reveals, and their follow-up.

One case per shipment + item + kind:

* SHORT (received < dispatched), DAMAGED (damaged > 0), SURPLUS (received >
  dispatched, accepted only with an explanation), for every shipment;
* LATE: a TPS shipment received after ``LogisticsSettings.tps_deadline()`` (one per
  shipment, no item);
* BELOW_REQUIREMENT: after a TPS receipt, for each item of the shipment, when the TPS
  holds fewer good units than its requirement *and* less than the requirement was
  dispatched to it (a gap caused by loss or damage on the way is already the SHORT or
  DAMAGED case of that shipment, and resolving that case must let the TPS leave
  "bermasalah"). One open case per TPS + item; a later receipt updates its quantity, or
  resolves it automatically once the requirement is dispatched or met.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from posko.core import audit, clock, services
from posko.core.services import raise_problems
from posko.elections.models import Tps
from posko.logistics import indicators
from posko.logistics.access import may_edit_shortfall
from posko.logistics.models import LogisticsSettings, Requirement, Shipment, ShipmentLine, Shortfall
from posko.logistics.rules import add, fmt
from posko.logistics.services import readiness

Level = Shipment.Level


def _case(shipment: Shipment, kind: str, *, item=None, quantity=0, description="",
          actor, tps=None) -> Shortfall | None:
    """Create the case unless this shipment already has it (one per shipment + item + kind)."""
    if Shortfall.objects.filter(shipment=shipment, item=item, kind=kind).exists():
        return None
    case = Shortfall(election_id=shipment.election_id, kind=kind, kecamatan_id=shipment.kecamatan_id,
                     kelurahan_id=shipment.kelurahan_id, tps_id=shipment.tps_id, item=item,
                     quantity=quantity, shipment=shipment, description=description,
                     created_at=clock.now())
    case.save()
    audit.record("create", case, actor=actor, after=audit.snapshot(case),
                 message=_("flagged at the receipt of shipment #%(pk)s") % {"pk": shipment.pk})
    return case


def flag_discrepancies(shipment: Shipment, lines: list[ShipmentLine], *, actor) -> list[Shortfall]:
    """Flag what the receipt of ``shipment`` revealed (see the module docstring)."""
    cases = []
    for line in lines:
        received = line.received or 0
        facts = {"item": line.item.name, "dispatched": line.dispatched, "received": received,
                 "damaged": line.damaged}
        if received < line.dispatched:
            cases.append(_case(shipment, Shortfall.Kind.SHORT, item=line.item, actor=actor,
                               quantity=line.dispatched - received, description=_(
                                   "%(item)s: %(dispatched)s dispatched, %(received)s received.")
                               % facts))
        if received > line.dispatched:
            cases.append(_case(shipment, Shortfall.Kind.SURPLUS, item=line.item, actor=actor,
                               quantity=received - line.dispatched, description=_(
                                   "%(item)s: %(dispatched)s dispatched, %(received)s received. "
                                   "Explanation: %(explanation)s") % {
                                   **facts, "explanation": line.explanation}))
        if line.damaged:
            cases.append(_case(shipment, Shortfall.Kind.DAMAGED, item=line.item, actor=actor,
                               quantity=line.damaged, description=_(
                                   "%(item)s: %(damaged)s of %(received)s received are damaged.")
                               % facts))
    if shipment.to_level == Level.TPS and not shipment.is_return:
        deadline = LogisticsSettings.for_election(shipment.election).tps_deadline()
        if shipment.received_at and shipment.received_at > deadline:
            late_by = shipment.received_at - deadline
            hours = int(late_by.total_seconds() // 3600)
            cases.append(_case(shipment, Shortfall.Kind.LATE, actor=actor, description=_(
                "Received %(received)s; the deadline for TPS was %(deadline)s (%(hours)s h late).")
                % {"received": fmt(shipment.received_at), "deadline": fmt(deadline),
                   "hours": hours}))
        cases.extend(check_requirements(shipment, [line.item for line in lines], actor=actor))
    indicators.changed(shipment.election, [shipment.tps_id])  # derived vulnerability indicators
    return [c for c in cases if c is not None]


def check_requirements(shipment: Shipment, items, *, actor) -> list[Shortfall]:
    """BELOW_REQUIREMENT for the TPS of ``shipment`` and ``items``: open, update or resolve
    the one case per TPS + item so that it is open exactly while the TPS holds fewer good
    units than required and less than required was dispatched to it."""
    tps_id = shipment.tps_id
    list(Tps.objects.select_for_update(of=("self",)).filter(pk=tps_id).values_list("pk"))
    items = {item.pk: item for item in items}
    required = dict(Requirement.objects.filter(tps_id=tps_id, item_id__in=list(items))
                    .values_list("item_id", "quantity"))
    totals = {row["item_id"]: row for row in ShipmentLine.objects.filter(
        shipment__tps_id=tps_id, shipment__to_level=Level.TPS, shipment__is_return=False,
        shipment__status=Shipment.Status.RECEIVED, item_id__in=list(items),
    ).values("item_id").annotate(dispatched=Sum("dispatched"), received=Sum("received"),
                                 damaged=Sum("damaged")).order_by()}
    open_cases = {case.item_id: case for case in Shortfall.objects.open().filter(
        tps_id=tps_id, kind=Shortfall.Kind.BELOW_REQUIREMENT, item_id__in=list(items))}
    created = []
    for item_id, item in items.items():
        need = required.get(item_id)
        if need is None:
            continue
        row = totals.get(item_id) or {}
        dispatched = row.get("dispatched") or 0
        good = max(0, (row.get("received") or 0) - (row.get("damaged") or 0))
        facts = {"item": item.name, "required": need, "good": good, "dispatched": dispatched,
                 "shipment": shipment.pk}
        below = good < need and dispatched < need
        case = open_cases.get(item_id)
        if below and case is None:
            case = Shortfall(
                election_id=shipment.election_id, kind=Shortfall.Kind.BELOW_REQUIREMENT,
                kecamatan_id=shipment.kecamatan_id, kelurahan_id=shipment.kelurahan_id,
                tps_id=tps_id, item=item, quantity=need - good, shipment=None,
                created_at=clock.now(), description=_(
                    "%(item)s: %(required)s required, %(dispatched)s dispatched to the TPS, "
                    "%(good)s in good condition.") % facts)
            case.save()
            audit.record("create", case, actor=actor, after=audit.snapshot(case),
                         message=_("flagged at the receipt of shipment #%(pk)s") % {
                             "pk": shipment.pk})
            created.append(case)
        elif below and case.quantity != need - good:
            before = audit.snapshot(case)
            case.quantity = need - good
            case.description = _(
                "%(item)s: %(required)s required, %(dispatched)s dispatched to the TPS, "
                "%(good)s in good condition.") % facts
            services.update(case, actor=actor, before=before, expected_version=case.version,
                            message=_("after the receipt of shipment #%(pk)s") % {"pk": shipment.pk})
        elif not below and case is not None:
            before = audit.snapshot(case)
            case.status = Shortfall.Status.RESOLVED
            case.closed_at = clock.now()
            case.closed_by = actor if getattr(actor, "is_authenticated", False) else None
            case.resolution = _(
                "Resolved automatically after the receipt of shipment #%(shipment)s: "
                "%(required)s required, %(dispatched)s dispatched, %(good)s in good condition."
            ) % facts
            services.update(case, actor=actor, before=before, expected_version=case.version,
                            message=_("resolved automatically"))
    return created


# --- shortfall cases -------------------------------------------------------------------------

_UNCHANGED = object()


@transaction.atomic
def update_shortfall(case: Shortfall, *, actor, status: str, resolution: str = "",
                     owner=_UNCHANGED, expected_version: int | None) -> Shortfall:
    """Move a case to ``status`` (open / replacement shipped / resolved). Resolving needs a
    ``resolution`` text; only the Desk Pilkada admin may set the ``owner`` (an Agency or
    None). Optimistic lock on the case's version; refreshes the TPS's readiness (a
    resolved case lets the TPS leave "bermasalah")."""
    if not may_edit_shortfall(actor, case):
        raise PermissionDenied(_("Only the Desk Pilkada admin and the operators of the region "
                                 "can change this case."))
    errors: dict[str, list[str]] = {}
    if status not in Shortfall.Status.values:
        add(errors, "status", _("%(value)s is not a status of a shortfall case.") % {
            "value": status})
    resolution = (resolution or "").strip()
    if status == Shortfall.Status.RESOLVED and not resolution:
        add(errors, "resolution", _("Say how the case was resolved."))
    if owner is not _UNCHANGED and getattr(owner, "pk", owner) != case.owner_id \
            and not getattr(actor, "is_desk_admin", False):
        add(errors, "owner", _("Only the Desk Pilkada admin can set the owner of a case."))
    raise_problems(errors)
    before = audit.snapshot(case)
    if owner is not _UNCHANGED:
        case.owner = owner
    was_resolved = case.status == Shortfall.Status.RESOLVED
    case.status = status
    case.resolution = resolution
    if status == Shortfall.Status.RESOLVED and not was_resolved:
        case.closed_at = clock.now()
        case.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    elif status != Shortfall.Status.RESOLVED:
        case.closed_at = None
        case.closed_by = None
    services.update(case, actor=actor, before=before, expected_version=expected_version)
    if case.tps_id:
        readiness.refresh(case.election, [case.tps_id])
        indicators.changed(case.election, [case.tps_id])  # derived vulnerability indicators
    return case
