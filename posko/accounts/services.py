"""Writes to users: validate, save, audit (the password hash is never logged).

A new password or a deactivation ends the user's API token and every signed-in session
(one audit row says what was revoked): a stolen token or session must not outlive
either. The user's own password change keeps only the session it was made from."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.translation import gettext as _

from posko.accounts import tokens as api_tokens
from posko.core import audit, clock, services
from posko.core.models import AuditEntry


@transaction.atomic
def create_user(user, *, actor, password: str):
    user.set_password(password)
    return services.create(user, actor=actor)


@transaction.atomic
def update_user(user, *, actor, before: dict):
    """Save the admin's changes; deactivating the user revokes their token and sessions."""
    services.update(user, actor=actor, before=before)
    if before.get("is_active") and not user.is_active:
        revoke_access(user, actor=actor, why=_("account deactivated"))
    return user


@transaction.atomic
def set_password(user, *, actor, password: str):
    """An admin sets a new password: the old token and every session of the user end."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record("update", user, actor=actor, message="password changed")
    revoke_access(user, actor=actor, why=_("password reset by an admin"))


@transaction.atomic
def change_own_password(user, *, password: str, keep_session_key: str | None):
    """The user changes their own password: their other sessions and their API token end;
    the session ``keep_session_key`` (the one they are using) stays."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record("update", user, actor=user, message="password changed by the user")
    revoke_access(user, actor=user, why=_("password changed by the user"),
                  keep_session_key=keep_session_key)


def _session_user_id(session) -> str | None:
    # A session the current SECRET_KEY cannot read decodes to {} and signs in nobody.
    return str(session.get_decoded().get(SESSION_KEY) or "") or None


def user_sessions(user):
    """The unexpired database sessions signed in as ``user`` (Django's database session
    backend, the default; other backends still end at the next request, because a new
    password changes the session hash and an inactive user is refused)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return []
    pk = str(user.pk)
    sessions = Session.objects.filter(expire_date__gt=clock.real_now()).iterator(chunk_size=500)
    return [s for s in sessions if _session_user_id(s) == pk]


def revoke_access(user, *, actor, why: str, keep_session_key: str | None = None) -> tuple[int, int]:
    """Delete the user's API tokens and sessions (but ``keep_session_key``); one audit row
    when anything was revoked. Returns (tokens, sessions) revoked."""
    tokens = api_tokens.revoke_all(user)
    keys = [s.session_key for s in user_sessions(user) if s.session_key != keep_session_key]
    Session.objects.filter(session_key__in=keys).delete()
    if tokens or keys:
        audit.record("update", user, actor=actor, message=_(
            "Access revoked (%(why)s): %(tokens)s API token(s), %(sessions)s session(s).") % {
            "why": why, "tokens": tokens, "sessions": len(keys)})
    return tokens, len(keys)


def login_blocked(username: str, ip: str | None) -> bool:
    """Too many failed logins for this username, or from this address, lately."""
    since = clock.real_now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    recent = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, timestamp__gte=since)
    limit = settings.LOGIN_MAX_FAILURES
    if username and recent.filter(username=username[:150]).count() >= limit:
        return True
    # An address may try a few usernames (a shared office NAT), but not endlessly.
    return bool(ip) and recent.filter(ip=ip).count() >= limit * 4


def record_login_failure(username: str):
    entry = audit.build("login_failed", actor=None, object_repr=username[:150],
                        message="bad username or password")
    entry.username = username[:150]
    entry.save()
