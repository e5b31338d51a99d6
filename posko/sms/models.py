"""The SMS log: every message a gateway delivered (read or not, from a known number or not)
with the reply Posko gave, keyed by the gateway's message id (a retry is the same row)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.scope import Scope, ScopedQuerySet, region_filter


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    VERIFICATION = "verification", _("Stored for verification")
    REFUSED = "refused", _("Refused")
    MALFORMED = "malformed", _("Not understood")
    UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")


class Kind(models.TextChoices):
    STATUS = "T", _("TPS status")
    RESULTS = "H", _("Results")
    VERIFY = "V", _("Phone check")


class SmsQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Rows placed in the user's region; a Desk admin also sees the rows with no place
        (unknown senders, messages naming no kelurahan of a sender without a region)."""
        q = region_filter(SmsMessage.scope, user)
        if getattr(user, "is_desk_admin", False):
            q |= Q(kabkota__isnull=True)
        return self.filter(q)


class SmsMessage(models.Model):
    message_id = models.CharField(_("gateway message id"), max_length=200, unique=True)
    sender = models.CharField(_("sender"), max_length=40)
    text = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    logged_at = models.DateTimeField(_("logged at"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("sent by"))
    kind = models.CharField(_("type"), max_length=1, choices=Kind.choices, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    election = models.ForeignKey("elections.Election", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", verbose_name=_("TPS"))
    kabkota = models.ForeignKey("regions.KabKota", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    kecamatan = models.ForeignKey("regions.Kecamatan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    reply_sent_at = models.DateTimeField(_("reply sent at"), null=True, blank=True)

    scope = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = models.Manager.from_queryset(SmsQuerySet)()

    # The sender's number is personal data: never copied into the audit log.
    audit_exclude = ("sender",)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")
        indexes = [models.Index(fields=["kelurahan", "-received_at"], name="sms_kel_received"),
                   models.Index(fields=["-received_at"], name="sms_received")]

    def __str__(self):
        return f"SMS {self.message_id}"

    def get_absolute_url(self) -> str:
        return reverse("sms:message_list") + f"?search={self.message_id}"


class PhoneCheck(models.Model):
    """Proof that a user holds the phone on their account: a one-time code shown to the user
    in Posko, sent back by SMS from that phone (``DAFTAR <code>``). Verified for ``phone``
    (canonical form): changing the account's phone undoes it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("user"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    code_digest = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    audit_exclude = ("code_digest", "phone")

    class Meta:
        verbose_name = _("phone check")
        verbose_name_plural = _("phone checks")

    def __str__(self):
        return f"phone check {self.user_id}"
