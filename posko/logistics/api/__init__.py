"""Logistics API: requirements (read), readiness per TPS and per region, shortfall cases
(read, status change) and shipments (read, create, confirm the receipt).

Same rules as the pages: reads through ``visible_to(user)`` and the Pemda boundary
(outside them: 404), writes only for roles that may edit (a read-only role: 403), and
every write through ``posko.logistics.services``. A service's ValidationError is a 400
with the same field errors, a ConflictError (stale ``version``, a receipt confirmed
already) a 409 with its message (the core EXCEPTION_HANDLER), a PermissionDenied a 403;
nothing is saved on any.
Lists are paginated (``count``, ``next``, ``previous``, ``results``) and default to the
request's election (``?election=`` for another).
"""

from posko.logistics.api.readiness import ReadinessViewSet, RequirementViewSet
from posko.logistics.api.shipments import ShipmentViewSet
from posko.logistics.api.shortfalls import ShortfallViewSet

ROUTES = [
    ("logistics/requirements", RequirementViewSet, "logistics-requirement"),
    ("logistics/readiness", ReadinessViewSet, "logistics-readiness"),
    ("logistics/shortfalls", ShortfallViewSet, "logistics-shortfall"),
    ("logistics/shipments", ShipmentViewSet, "logistics-shipment"),
]
