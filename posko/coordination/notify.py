"""Notifications: in-app rows, and e-mail for users with an address.

Every notification has a key saying what it is about (kind, task, user, and for
reminders the day), stored unique: notifying twice about the same thing is a no-op,
which is what makes ``posko send_reminders`` safe to run again."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from posko.coordination.models import Notification
from posko.core import clock


def notify(user, kind: str, title: str, *, key: str, url: str = "", body: str = "", task=None,
           email: bool = True) -> Notification | None:
    """Create the notification unless one with ``key`` exists; e-mail it after commit."""
    if user is None or not user.is_active:
        return None
    if Notification.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            note = Notification.objects.create(user=user, kind=kind, title=title[:250], body=body,
                                               url=url, task=task, key=key[:120])
    except IntegrityError:  # a concurrent run created it first
        return None
    if email and user.email:
        transaction.on_commit(lambda: send_email(note.pk))
    return note


def send_email(notification_id: int) -> None:
    note = Notification.objects.select_related("user").filter(pk=notification_id,
                                                              emailed_at__isnull=True).first()
    if note is None or not note.user.email:
        return
    link = f"{settings.POSKO_BASE_URL.rstrip('/')}{note.url}" if note.url else ""
    send_mail(f"[Posko] {note.title}", "\n\n".join(p for p in (note.body, link) if p),
              settings.DEFAULT_FROM_EMAIL, [note.user.email], fail_silently=True)
    Notification.objects.filter(pk=note.pk).update(emailed_at=clock.now())
