"""The shared secret between Posko and the SMS gateway (``POSKO_SMS_WEBHOOK_SECRET``): a
request is the gateway's when it carries ``X-Posko-Signature: sha256=<hex HMAC-SHA256 of the
raw body>`` or ``Authorization: Bearer <secret>``; both compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "HTTP_X_POSKO_SIGNATURE"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_authentic(secret: str | None, body: bytes, meta) -> bool:
    """Does the request (its raw ``body`` and ``META``) carry the secret? Never without one."""
    if not secret:
        return False
    given = meta.get(HEADER, "")
    if given:
        return hmac.compare_digest(given.strip().encode(), sign(secret, body).encode())
    scheme, _space, token = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                              secret.encode())
