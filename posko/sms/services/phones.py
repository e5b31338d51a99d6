"""Verified phones: a user makes a one-time code in Posko (``new_code``) and sends
``DAFTAR <code>`` by SMS from the phone on their account (``verify``); from then on that
number's reports are taken (``POSKO_SMS_VERIFIED_PHONES``, on by default). The code is kept
as a keyed hash only, valid ``CODE_MINUTES``, used once."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.sms.models import PhoneCheck
from posko.sms.phones import canonical

CODE_MINUTES = 30


def _digest(user_id: int, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sms-phone:{user_id}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def is_verified(user, phone: str) -> bool:
    """Is ``phone`` (as the gateway sent it) the verified phone of ``user``?"""
    check = PhoneCheck.objects.filter(user=user).only("phone", "verified_at").first()
    number = canonical(phone)
    return bool(check and check.verified_at and number and check.phone == number
                and canonical(user.phone) == number)


def status_of(user) -> PhoneCheck | None:
    return PhoneCheck.objects.filter(user=user).first()


def new_code(user, now=None) -> str:
    """A fresh six-digit code for the phone on ``user``'s account (the earlier one stops
    working); ValidationError when the account has no phone."""
    number = canonical(user.phone)
    if len(number) < 8:
        raise ValidationError(_("Put your phone number on your account first (ask the Desk "
                                "Pilkada admin)."))
    now = now or clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        check, _created = PhoneCheck.objects.select_for_update().get_or_create(user=user)
        check.code_digest = _digest(user.pk, code)
        check.code_expires_at = now + datetime.timedelta(minutes=CODE_MINUTES)
        check.save()
        audit.record("update", check, actor=user, message="SMS phone code made")
    return code


def verify(user, phone: str, code: str, now=None) -> bool:
    """Mark ``phone`` verified when ``code`` is the user's live code and ``phone`` is the one
    on the account; False otherwise (nothing changes)."""
    now = now or clock.now()
    number = canonical(phone)
    check = PhoneCheck.objects.select_for_update().filter(user=user).first()
    if (check is None or not check.code_digest or check.code_expires_at is None
            or check.code_expires_at < now or number != canonical(user.phone)
            or not hmac.compare_digest(check.code_digest, _digest(user.pk, code.strip()))):
        return False
    check.phone, check.verified_at = number, now
    check.code_digest, check.code_expires_at = "", None
    check.save()
    audit.record("update", check, actor=user, message="SMS phone verified")
    return True
