"""Users, their role and the region they are bound to, and the agencies they work for."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from posko.core import clock


class Agency(models.Model):
    """A Pemda agency (perangkat daerah) or a partner institution."""

    class Kind(models.TextChoices):
        PERANGKAT_DAERAH = "perangkat_daerah", _("Pemda agency")
        KECAMATAN = "kecamatan", _("Kecamatan office")
        MITRA = "mitra", _("Partner institution")

    name = models.CharField(_("name"), max_length=150, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices,
                            default=Kind.PERANGKAT_DAERAH)
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("coordination:agency_detail", args=[self.pk])


class Role(models.TextChoices):
    ADMIN = "admin", _("Desk Pilkada admin")
    KECAMATAN = "kecamatan", _("Kecamatan operator")
    KELURAHAN = "kelurahan", _("Kelurahan operator")
    AGENCY = "agency", _("Agency operator")
    PEMANTAU = "pemantau", _("Observer (read-only)")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PEMANTAU)
    kecamatan = models.ForeignKey("regions.Kecamatan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="members", verbose_name=_("agency"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    personal_data_access = models.BooleanField(
        _("may reveal personal data"), default=False,
        help_text=_("May reveal full NIK and phone numbers (with a reason, audited) and export "
                    "lists with personal data (UU PDP 27/2022). Admins always may."))

    # Never copied into the audit log.
    audit_exclude = ("password",)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        errors = {}
        if self.role == Role.KECAMATAN and not self.kecamatan_id:
            errors["kecamatan"] = _("A kecamatan operator needs a kecamatan.")
        if self.role == Role.KELURAHAN and not self.kelurahan_id:
            errors["kelurahan"] = _("A kelurahan operator needs a kelurahan.")
        if self.role == Role.AGENCY and not self.agency_id:
            errors["agency"] = _("An agency operator needs an agency.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Only the fields that the role uses are kept, so scope cannot be widened by accident.
        if self.role == Role.KELURAHAN and self.kelurahan_id:
            self.kecamatan_id = self.kelurahan.kecamatan_id
        elif self.role != Role.KECAMATAN:
            self.kecamatan = None
        if self.role != Role.KELURAHAN:
            self.kelurahan = None
        if self.role != Role.AGENCY:
            self.agency = None
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_edit", args=[self.pk])

    # --- what the role allows -------------------------------------------------
    @property
    def effective_role(self) -> str:
        return Role.ADMIN if self.is_superuser else self.role

    @property
    def role_label(self) -> str:
        return Role(self.effective_role).label

    @property
    def is_region_bound(self) -> bool:
        return self.effective_role in (Role.KECAMATAN, Role.KELURAHAN)

    @property
    def scope_kecamatan_id(self) -> str | None:
        if self.effective_role in (Role.KECAMATAN, Role.KELURAHAN):
            return self.kecamatan_id
        return None

    @property
    def scope_kelurahan_id(self) -> str | None:
        return self.kelurahan_id if self.effective_role == Role.KELURAHAN else None

    @property
    def is_desk_admin(self) -> bool:
        return self.is_active and self.effective_role == Role.ADMIN

    @property
    def can_edit_registry(self) -> bool:
        """May create and change TPS and other registry rows inside the scope."""
        return self.is_active and self.effective_role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN)

    @property
    def can_see_personal_data(self) -> bool:
        """May reveal full NIK/phone numbers and export personal data (each use audited)."""
        return self.is_active and (self.is_desk_admin or self.personal_data_access)

    @property
    def can_manage_users(self) -> bool:
        return self.is_desk_admin

    @property
    def scope_label(self) -> str:
        role = self.effective_role
        if role == Role.KECAMATAN and self.kecamatan_id:
            return f"{_('Kecamatan')} {self.kecamatan.name}"
        if role == Role.KELURAHAN and self.kelurahan_id:
            return f"{self.kelurahan.kind_label} {self.kelurahan.name}"
        if role == Role.AGENCY and self.agency_id:
            return str(self.agency)
        return str(_("Whole Pemda"))


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox's model, swapped in by ``KNOX_TOKEN_MODEL``): only a
    SHA-512 digest of the key and its first 15 characters (to find the row) are stored, so a
    database read leaks no usable token. It has a name, an expiry (always) and the last time
    it was used (written at most once a minute, see ``accounts.tokens``)."""

    # knox makes the digest the primary key; a plain id keeps digests out of URLs.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    created = models.DateTimeField(_("created"), default=clock.real_now)
    expiry = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    # Rows are made by accounts.tokens.create (knox's manager would use the system clock).
    objects = models.Manager()

    audit_exclude = ("digest", "token_key")

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expiry <= clock.real_now()


class RecoveryCode(models.Model):
    """One of a user's ten two-factor recovery codes, stored as a keyed hash (HMAC with the
    SECRET_KEY: a database read alone cannot brute-force them); each works once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.user_id}: {'used' if self.used_at else 'unused'}"
