"""Two-step login (TOTP, django-otp) for admins and users with the personal-data permission.

``POSKO_REQUIRE_2FA`` (on unless DEBUG) makes it compulsory for them: after the password,
every page sends them to the second step (enrolment the first time) until this session is
verified. Ten recovery codes are shown once at enrolment and stored as keyed hashes; each
works once. An admin can reset a user's device (the user enrols again). All of it audited."""

from __future__ import annotations

import base64
import math
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from posko.accounts.models import RecoveryCode
from posko.core import audit, clock

RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def required(user) -> bool:
    """Does this user need the second step (the setting is on and they may reveal personal
    data: every admin and each user with the personal-data permission)?"""
    return bool(settings.POSKO_REQUIRE_2FA and user.is_authenticated and user.can_see_personal_data)


def is_verified(request) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user; its key stays until confirmed)."""
    found = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return found or TOTPDevice.objects.create(user=user, name="Posko", confirmed=False)


def manual_key(totp: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an authenticator app."""
    text = base64.b32encode(totp.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(totp: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no request leaves the server)."""
    return segno.make(totp.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def wait_seconds(user) -> int:
    """Seconds before the user's authenticator may be tried again (django-otp doubles the
    wait after each wrong code: 1, 2, 4… s); 0 when a code may be tried now."""
    totp = device(user) or TOTPDevice.objects.filter(user=user).first()
    if totp is None:
        return 0
    allowed, data = totp.verify_is_allowed()
    if allowed or not data.get("locked_until"):
        return 0
    return max(1, math.ceil((data["locked_until"] - clock.real_now()).total_seconds()))


def _digest(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return salted_hmac("posko.accounts.recovery", normalised).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; returns the ten plain codes (shown once)."""
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=_digest(c)) for c in codes])
    return codes


@transaction.atomic
def replace_recovery_codes(user) -> list[str]:
    codes = new_recovery_codes(user)
    audit.record("update", user, actor=user, message="two-step recovery codes replaced")
    return codes


def unused_recovery_codes(user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def confirm(request, totp: TOTPDevice, code: str) -> list[str] | None:
    """Finish enrolment with a first code from the app: the device is confirmed, this
    session verified, and the ten recovery codes returned. None if the code is wrong."""
    if not totp.verify_token(code.strip()):
        return None
    TOTPDevice.objects.filter(user=totp.user).exclude(pk=totp.pk).delete()
    totp.confirmed = True
    totp.save(update_fields=["confirmed"])
    codes = new_recovery_codes(totp.user)
    otp_login(request, totp)
    audit.record("update", totp.user, actor=totp.user,
                 message="two-step verification enrolled; 10 recovery codes issued")
    return codes


def check(user, code: str) -> str | None:
    """Is ``code`` the user's current TOTP code or an unused recovery code? Returns "totp",
    "recovery" (that code is now spent) or None. django-otp slows repeated wrong TOTP codes."""
    totp = device(user)
    if totp is None or not code.strip():
        return None
    if code.strip().isdigit() and totp.verify_token(code.strip()):
        return "totp"
    spent = RecoveryCode.objects.filter(user=user, digest=_digest(code), used_at__isnull=True
                                        ).update(used_at=clock.real_now())
    if spent:
        audit.record("update", user, actor=user, message="two-step recovery code used; "
                     f"{unused_recovery_codes(user)} left")
        return "recovery"
    return None


def verify(request, code: str) -> bool:
    """The second step of a web login: on success this session is verified (audited)."""
    user = request.user
    how = check(user, code)
    if how is None:
        audit.record("login_failed", actor=user, object_repr=user.get_username(),
                     message="wrong two-step code")
        return False
    otp_login(request, device(user))
    audit.record("login", actor=user, object_repr=user.get_username(),
                 message=f"two-step verification ({how})")
    return True


@transaction.atomic
def reset(user, *, actor) -> int:
    """An admin removes the user's device and recovery codes: the user enrols again at the
    next login. Returns how many devices were removed."""
    devices, _detail = TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit.record("update", user, actor=actor, message="two-step verification reset by an admin")
    return devices
