"""The audit log: the only model of core."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        IMPORT = "import", _("imported")
        EXPORT = "export", _("exported")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logged out")
        VIEW = "view", _("viewed personal data")

    timestamp = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The log outlives what it mentions: no database constraints on its references
    # (Django still applies SET_NULL), and bulk writes skip per-row checks at commit.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                             db_constraint=False, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("user"))
    username = models.CharField(_("username"), max_length=150, blank=True)
    # Indexed through the composite indexes in Meta (they start with these columns).
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL,
                                     db_index=False, db_constraint=False, related_name="+",
                                     verbose_name=_("object type"))
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    kecamatan_code = models.CharField(_("kecamatan"), max_length=8, blank=True)
    kelurahan_code = models.CharField(_("kelurahan"), max_length=13, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "username", "timestamp"], name="audit_login"),
            models.Index(fields=["action", "ip", "timestamp"], name="audit_login_ip"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
