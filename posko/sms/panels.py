"""The SMS panel on the TPS page (core.tps_panels): the latest messages about the TPS (numbers
masked), for the operators who may read the SMS log; two queries whatever the TPS carries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core.personal import mask_phone
from posko.core.tps_panels import register_panel
from posko.sms.models import SmsMessage

SHOWN = 3


def build(tps, request) -> dict | None:
    user = request.user
    if not getattr(user, "can_edit_registry", False):
        return None
    rows = SmsMessage.objects.visible_to(user).filter(tps=tps)
    latest = list(rows.order_by("-received_at", "-id")[:SHOWN])
    count = len(latest) if len(latest) < SHOWN else rows.count()
    for msg in latest:
        msg.sender_masked = mask_phone(msg.sender)
    return {"latest": latest, "count": count, "more": max(count - len(latest), 0)}


def register() -> None:
    register_panel("sms", _("SMS"), build, "sms/_tps_panel.html", order=70)
