"""The logistics receipt of the offline field app (``core.field_forms``): the receiving side
confirms a shipment's counts (``POST /api/v1/logistics/shipments/{id}/confirm/`` under an
Idempotency-Key). The shipments waiting for the user are cached on the phone with their
version: a receipt confirmed meanwhile by someone else comes back as a 409 (``ditolak``)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from posko.core import field_forms as ff
from posko.logistics.access import destination, may_act_at
from posko.logistics.models import Shipment, ShipmentLine

#: At most this many waiting shipments are cached on a phone.
LIMIT = 300


def _may_receive(user) -> bool:
    return bool(getattr(user, "can_edit_registry", False))


def _waiting(user, election) -> dict:
    """The shipments dispatched to the user's places and not yet received (two queries)."""
    shipments = Shipment.objects.visible_to(user).filter(
        election=election, status=Shipment.Status.DISPATCHED).select_related(
        "tps", "kelurahan", "kecamatan").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("item").order_by(
            "item__code"))).order_by("-dispatched_at", "-pk")[:LIMIT]
    choices, lines = [], {}
    for shipment in shipments:
        if not may_act_at(user, *destination(shipment)):
            continue
        choices.append([shipment.pk, str(shipment)])
        lines[str(shipment.pk)] = {"version": shipment.version, "lines": [
            [line.item_id, str(line.item), line.dispatched] for line in shipment.lines.all()]}
    return {"shipments": choices, "lines": lines}


RECEIPT = ff.FieldForm(
    key="logistics.receipt", label=_("Logistics receipt"), order=30,
    description=_("Confirm a shipment received: counts per item, damaged units, the "
                  "receiver's name."),
    url=ff.api_url("api:logistics-shipment-confirm", "shipment"),
    fields=(
        ff.Field("shipment", _("Shipment"), "choice", required=True, options="shipments"),
        ff.Field("receiver_name", _("Receiver's name"), "text", required=True),
        ff.Field("lines", _("Received per item"), "lines", required=True, options="lines",
                 source="shipment"),
        ff.Field("seal_numbers", _("Seal numbers at receipt"), "text",
                 help=_("Optional: the seals read on arrival."), scan="code_128 qr_code"),
        ff.Field("box_codes", _("Box labels received"), "textarea",
                 help=_("Optional: the codes under the QR labels of the boxes that arrived, "
                        "one per line."), scan="qr_code"),
        ff.Field("note", _("Note"), "textarea"),
    ),
    capture_time="received_at", data=_waiting, visible=_may_receive,
    rejected_help=_("The shipment was confirmed or changed by someone else after your phone "
                    "saved it: open the logistics page online and check the receipt there."))


def register() -> None:
    ff.register_form(RECEIPT)
