"""Retention (issue 16): what the purge of an election anonymises in this module: the
names of the driver and of the person who signed for a shipment. The shipment, its lines,
seals, times and the users who recorded it stay."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.logistics.models import Shipment


def _shipments(election_id):
    return Shipment.objects.filter(election_id=election_id).filter(~Q(driver="") | ~Q(receiver_name=""))


def _purge_shipments(election_id, batch):
    pks = retention.batch_pks(_shipments(election_id), batch)
    Shipment.objects.filter(pk__in=pks).update(driver="", receiver_name="")
    return len(pks)


def register() -> None:
    retention.register("logistics.shipment", _("Shipments"), lambda e: _shipments(e).count(),
                       _purge_shipments, order=30, model=Shipment,
                       rows=lambda e: Shipment.objects.filter(election_id=e),
                       audit_fields=("driver", "receiver_name"), fields=_("names of the driver and the receiver"))
