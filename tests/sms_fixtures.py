"""Shared pieces of the SMS tests: the gateway's secret, registered phones, a signed POST as
the gateway would send it, the clock on voting day afternoon."""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlencode

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from posko.core import clock
from posko.sms.models import PhoneCheck
from posko.sms.phones import canonical
from posko.sms.signature import sign
from tests.voting_fixtures import at, make_contests

SECRET = "s" * 20 + "-gateway-secret-for-tests"
PHONES = {"kelurahan_a": "0812-3456-7001", "kelurahan_b": "+62 812 3456 7002",
          "kecamatan_a": "081234567003", "admin": "6281234567000", "pemantau": "081234567005"}
_ids = itertools.count(1)


@pytest.fixture(name="gateway")
def gateway_fixture(world, users):
    """Phones registered, the contests made, the clock at 14.00 on voting day, replies in
    English, the webhook's secret set. Returns a function sending one SMS."""
    for name, phone in PHONES.items():
        users[name].phone = phone
        users[name].save(update_fields=["phone"])
        verify_phone(users[name])
    make_contests(world, "walikota", "gubernur")
    clock.simulate(at(14))
    client = Client()
    with override_settings(POSKO_SMS_WEBHOOK_SECRET=SECRET, POSKO_SMS_OUTBOUND_URL="",
                           LANGUAGE_CODE="en"):
        yield lambda text, **kw: send(client, text, **kw)


def verify_phone(user):
    """The user's phone verified (as ``DAFTAR <code>`` would)."""
    PhoneCheck.objects.update_or_create(user=user, defaults={
        "phone": canonical(user.phone), "verified_at": clock.now()})


def send(client, text, *, sender="+6281234567001", message_id=None, received_at=None,
         secret=SECRET, form=False, bearer=False):
    payload = {"id": message_id or f"gw-{next(_ids)}", "from": sender, "text": text}
    if received_at is not None:
        payload["received_at"] = received_at.isoformat()
    url = reverse("api:sms-inbound")
    if form == "multipart":
        return client.post(url, payload, HTTP_AUTHORIZATION=f"Bearer {secret}")
    if form:
        body = urlencode(payload).encode()
        return client.post(url, body, content_type="application/x-www-form-urlencoded",
                           HTTP_X_POSKO_SIGNATURE=sign(secret, body))
    body = json.dumps(payload).encode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if bearer else \
        {"HTTP_X_POSKO_SIGNATURE": sign(secret, body)}
    return client.post(url, body, content_type="application/json", **headers)
