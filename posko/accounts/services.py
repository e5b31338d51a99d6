"""Writes to users: validate, save, audit (the password hash is never logged)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from posko.core import audit, services
from posko.core.models import AuditEntry


@transaction.atomic
def create_user(user, *, actor, password: str):
    user.set_password(password)
    return services.create(user, actor=actor)


@transaction.atomic
def update_user(user, *, actor, before: dict):
    return services.update(user, actor=actor, before=before)


@transaction.atomic
def set_password(user, *, actor, password: str):
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record("update", user, actor=actor, message="password changed")


def login_blocked(username: str, ip: str | None) -> bool:
    """Too many failed logins for this username, or from this address, lately."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
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
