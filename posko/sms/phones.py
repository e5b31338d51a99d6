"""Senders' numbers: one canonical form (0812…) for what a gateway sends (+62812…,
62812…, 0812-345…) and what a user's profile holds, and the registered user behind it."""

from __future__ import annotations

from django.contrib.auth import get_user_model


def canonical(phone: str) -> str:
    """Digits only, Indonesia's +62/62 written as the leading 0: "+62 812-3456-789" →
    "08123456789". Empty when nothing is left."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    elif digits.startswith("8"):
        digits = "0" + digits
    return digits


def sender_user(phone: str):
    """The one active user whose registered phone is ``phone`` (None when none or when two
    users share it: an ambiguous sender is refused, never guessed). One query: the users whose
    phone ends with the number's last four digits, compared in canonical form."""
    number = canonical(phone)
    if len(number) < 8:
        return None
    candidates = get_user_model().objects.filter(
        is_active=True, phone__endswith=number[-4:]).select_related("kelurahan", "kecamatan")
    found = [user for user in candidates if canonical(user.phone) == number]
    return found[0] if len(found) == 1 else None
