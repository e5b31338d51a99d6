"""API tokens: created (the key shown once), checked, revoked; every change audited.

Keys are django-rest-knox's: 64 random hex characters; the database keeps only the SHA-512
digest and the first 15 characters (``token_key``, to find the row). Every token expires
(``POSKO_API_TOKEN_DAYS`` by default). Checking a token is ONE query (token and user
together); ``last_used`` is written at most once a minute per token, never on every request.
Tokens follow the real time (``clock.real_now``), not a demo's simulated clock."""

from __future__ import annotations

import datetime
from hmac import compare_digest

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from knox.crypto import create_token_string, hash_token
from knox.settings import CONSTANTS
from rest_framework import exceptions

from posko.accounts.models import ApiToken
from posko.core import audit, clock
from posko.core.prepared import Prepared

LAST_USED_EVERY = datetime.timedelta(minutes=1)
MAX_DAYS = 365


def _key_prefix(key: str) -> str:
    return key[:CONSTANTS.TOKEN_KEY_LENGTH]


@transaction.atomic
def create(user, *, name: str, days: int | None = None, actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plain key (shown once, never stored)."""
    days = days or settings.POSKO_API_TOKEN_DAYS
    key = create_token_string()
    now = clock.real_now()
    token = ApiToken.objects.create(
        user=user, name=name[:100], token_key=_key_prefix(key), digest=hash_token(key),
        created=now, expiry=now + datetime.timedelta(days=days))
    audit.record("create", token, actor=actor or user, object_repr=f"{user.username}: {token.name}",
                 message=f"API token, expires {token.expiry:%Y-%m-%d %H:%M} UTC")
    return token, key


def visible_to(actor):
    """The tokens ``actor`` may see and revoke: their own; an admin every user's."""
    qs = ApiToken.objects.select_related("user")
    return qs if actor.can_manage_users else qs.filter(user=actor)


@transaction.atomic
def revoke(actor, pk: int) -> ApiToken:
    """Delete one token. Another user's token is a 404 unless ``actor`` is an admin."""
    token = visible_to(actor).filter(pk=pk).first()
    if token is None:
        raise Http404
    audit.record("delete", token, actor=actor, object_repr=f"{token.user.username}: {token.name}",
                 message="API token revoked")
    token.delete()
    return token


def revoke_all(user) -> int:
    """Delete every token of ``user`` (password change, deactivation); the caller audits."""
    count, _detail = ApiToken.objects.filter(user=user).delete()
    return count


#: The token and its user by key prefix, compiled once per process (``core.prepared``).
_BY_PREFIX = Prepared(lambda prefix: ApiToken.objects.select_related("user")
                      .filter(token_key=prefix).order_by(), (str,))


class ApiTokenAuthentication(TokenAuthentication):
    """knox's ``Authorization: Token <key>`` scheme in one query, with Posko's expiry and a
    throttled ``last_used``. knox's own check also loads every other token of the user to
    delete expired ones; expired tokens are refused here and deleted by ``purge_expired``."""

    def authenticate_credentials(self, token: bytes):
        try:
            key = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        digest = hash_token(key)
        for row in _BY_PREFIX.run(_key_prefix(key)):  # no sort: a prefix matches one row
            if not compare_digest(digest, row.digest):
                continue
            now = clock.real_now()
            if row.expiry <= now:
                raise exceptions.AuthenticationFailed(
                    _("This API token has expired: create a new one."))
            if row.last_used is None or now - row.last_used >= LAST_USED_EVERY:
                ApiToken.objects.filter(pk=row.pk).update(last_used=now)
                row.last_used = now
            return self.validate_user(row)
        raise exceptions.AuthenticationFailed(_("Invalid token."))


def purge_expired() -> int:
    """Delete tokens that expired (they are refused anyway); returns how many."""
    count, _detail = ApiToken.objects.filter(expiry__lte=clock.real_now()).delete()
    return count


def adopt_drf_tokens(connection, token_model, days: int) -> int:
    """Migration from DRF's plain-text tokens: each ``authtoken_token`` key is hashed into
    ``token_model`` (named "API token (migrated)", expiring in ``days``) so devices keep
    working until then, and the plain-text row is deleted. A database without that table
    (a new installation) has nothing to adopt."""
    if "authtoken_token" not in connection.introspection.table_names():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        now = clock.real_now()
        token_model.objects.bulk_create([
            token_model(user_id=user_id, name="API token (migrated)", token_key=_key_prefix(key),
                        digest=hash_token(key), created=now,
                        expiry=now + datetime.timedelta(days=days))
            for key, user_id in rows])
        cursor.execute("DELETE FROM authtoken_token")
    return len(rows)
