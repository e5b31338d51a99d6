"""The reply sent back through the gateway's HTTP send URL (``POSKO_SMS_OUTBOUND_URL``), for
gateways that do not send the webhook's answer on their own: a background job per message
(jobs take ids), retried when the gateway is away. Body: ``{"to", "text", "in_reply_to"}``
signed like the webhook (``X-Posko-Signature``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings

from posko.core import clock
from posko.core.jobs import JobError, RetryLater
from posko.sms.models import SmsMessage
from posko.sms.signature import sign

TIMEOUT = 10  # seconds


def send_reply(ctx, *, message: int) -> None:
    msg = SmsMessage.objects.filter(pk=message).first()
    if msg is None or msg.reply_sent_at is not None or not msg.reply:
        return  # deleted, or already sent by an earlier delivery of this job
    url = settings.POSKO_SMS_OUTBOUND_URL
    if not url:
        raise JobError("POSKO_SMS_OUTBOUND_URL is not set.")
    body = json.dumps({"to": msg.sender, "text": msg.reply, "in_reply_to": msg.message_id}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "X-Posko-Signature": sign(settings.POSKO_SMS_WEBHOOK_SECRET or "", body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (a setting)
            answer.read()
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise RetryLater(f"gateway answered {error.code}") from error
        raise JobError(f"The gateway refused the reply ({error.code}).") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RetryLater(f"gateway not reachable: {error}") from error
    SmsMessage.objects.filter(pk=msg.pk).update(reply_sent_at=clock.now())
