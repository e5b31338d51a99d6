"""Logistics readiness: the item catalogue and its norms, computed requirements per
TPS, the chain of custody (shipments and receipts), shortfall cases, Pemda support
logistics, the KPU distribution plan, and each TPS's readiness."""

from posko.logistics.models.catalogue import (
    Item,
    LogisticsSettings,
    PlannedDistribution,
    Requirement,
    TpsReadiness,
)
from posko.logistics.models.custody import Shipment, ShipmentLine, Shortfall, ShortfallQuerySet
from posko.logistics.models.history import ShortfallHistory
from posko.logistics.models.support import SupportRequest

__all__ = ["Item", "LogisticsSettings", "PlannedDistribution", "Requirement", "Shipment",
           "ShipmentLine", "Shortfall", "ShortfallHistory", "ShortfallQuerySet", "SupportRequest", "TpsReadiness"]
