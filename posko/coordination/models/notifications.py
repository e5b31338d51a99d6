"""In-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from posko.coordination.models.tasks import Task
from posko.core import clock

# --- notifications -----------------------------------------------------------------------

class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Task assigned")
        DUE_SOON = "due_soon", _("Task due within 24 hours")
        OVERDUE = "overdue", _("Task overdue")
        DECISION = "decision", _("Decision assigned")
        DIGEST = "digest", _("Daily digest")
        ESCALATION = "escalation", _("Escalation")  # sent by other modules via core.notify
        ALERT = "alert", _("Alert")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=250)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=200, blank=True)
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("task"))
    # What makes a notification unique, so that sending twice sends nothing twice.
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("time"), default=clock.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title
