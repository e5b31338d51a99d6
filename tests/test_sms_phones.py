"""Verified phones: reports are taken only from a phone its user verified by sending back a
one-time code made in Posko (``DAFTAR <code>``); a wrong, expired or used code, or another
phone, verifies nothing; changing the account's phone undoes it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import override_settings

from posko.core import clock
from posko.sms.models import PhoneCheck
from posko.voting.models import TpsDay
from tests.conftest import client_for
from tests.sms_fixtures import gateway_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = "/sms/nomor/"
REPORT = "T 3573021001 1 BUKA 0712"


def make_code(user) -> str:
    client = client_for(user)
    client.cookies["django_language"] = "en"
    html = client.post(URL).content.decode()
    return re.search(r"DAFTAR (\d{6})", html).group(1)


def test_an_unverified_phone_is_refused_until_its_code_comes_back(world, users, gateway):
    PhoneCheck.objects.filter(user=users["kelurahan_a"]).delete()
    body = gateway(REPORT).json()
    assert body["status"] == "unknown_sender" and body["reply"] == (
        "Refused: this number is not verified yet. Open Posko (SMS → My number), make a code "
        "and send DAFTAR <code> from this phone.")
    code = make_code(users["kelurahan_a"])
    assert gateway("DAFTAR 000000" if code != "000000" else "DAFTAR 111111").json()[
        "status"] == "refused"
    body = gateway(f"daftar {code}").json()
    assert body["reply"] == "Accepted: this number is now verified for your reports in Posko."
    assert gateway(REPORT).json()["status"] == "accepted"
    assert TpsDay.objects.get().state == "dibuka"
    assert gateway(f"DAFTAR {code}").json()["status"] == "refused"  # used once


def test_a_code_from_another_phone_or_too_late_verifies_nothing(world, users, gateway):
    PhoneCheck.objects.filter(user=users["kelurahan_a"]).delete()
    code = make_code(users["kelurahan_a"])
    # From kelurahan B's (verified) phone: it is B's number, not A's.
    assert gateway(f"DAFTAR {code}", sender="+6281234567002").json()["status"] == "refused"
    clock.simulate(clock.now() + datetime.timedelta(minutes=31))
    assert gateway(f"DAFTAR {code}").json()["reply"].startswith(
        "Refused: the code is wrong or expired.")
    assert PhoneCheck.objects.get(user=users["kelurahan_a"]).verified_at is None


def test_changing_the_accounts_phone_undoes_the_verification(world, users, gateway):
    user = users["kelurahan_a"]
    user.phone = "081200000099"
    user.save(update_fields=["phone"])
    assert gateway(REPORT, sender="081200000099").json()["status"] == "unknown_sender"


def test_the_requirement_can_be_switched_off(world, users, gateway):
    PhoneCheck.objects.all().delete()
    with override_settings(POSKO_SMS_VERIFIED_PHONES=False):
        assert gateway(REPORT).json()["status"] == "accepted"


def test_the_my_number_page(world, users, gateway):
    lurah = client_for(users["kelurahan_a"])
    lurah.cookies["django_language"] = "en"
    html = lurah.get(URL).content.decode()
    assert "0812•••••001" in html and "verified for SMS reports." in html
    assert "081234567001" not in html
    assert client_for(users["pemantau"]).get(URL).status_code == 403
    assert client_for(users["agency"]).post(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 302
    users["kelurahan_b"].phone = ""
    users["kelurahan_b"].save(update_fields=["phone"])
    other = client_for(users["kelurahan_b"])
    other.cookies["django_language"] = "en"
    response = other.post(URL)
    assert response.status_code == 200 and "Put your phone number on your account first" in \
        response.content.decode()
    # The code is stored only as a keyed hash.
    code = make_code(users["kelurahan_a"])
    assert code not in PhoneCheck.objects.get(user=users["kelurahan_a"]).code_digest
