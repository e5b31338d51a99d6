"""The logistics panel on the TPS page: readiness, requirement and receipts (four queries)."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from posko.core.tps_panels import register_panel
from posko.logistics.models import Requirement, Shipment, ShipmentLine, Shortfall, TpsReadiness


def build(tps, request) -> dict:
    readiness = TpsReadiness.objects.filter(tps=tps).first()
    required = Requirement.objects.filter(tps=tps).aggregate(items=Count("pk"), units=Sum("quantity"))
    received = Q(shipment__status=Shipment.Status.RECEIVED)
    lines = ShipmentLine.objects.filter(
        shipment__tps=tps, shipment__to_level=Shipment.Level.TPS, shipment__is_return=False,
    ).aggregate(received=Sum("received", filter=received), damaged=Sum("damaged", filter=received),
                in_transit=Sum("dispatched", filter=Q(shipment__status=Shipment.Status.DISPATCHED)))
    open_shortfalls = Shortfall.objects.open().filter(tps=tps).count()
    return {"readiness": readiness, "items": required["items"] or 0,
            "units": required["units"] or 0, "received": lines["received"] or 0,
            "damaged": lines["damaged"] or 0, "in_transit": lines["in_transit"] or 0,
            "open_shortfalls": open_shortfalls}


def register() -> None:
    register_panel("logistics", _("Logistics"), build, "logistics/_tps_panel.html", order=20)
