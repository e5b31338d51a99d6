"""Pemda support logistics requested for a TPS, kelurahan or kecamatan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.scope import Scope, ScopedQuerySet


class SupportRequest(models.Model):
    """Pemda support logistics (tents, chairs, generators, ambulances on standby,
    transport) requested for a TPS, kelurahan or kecamatan and fulfilled by an agency."""

    class Kind(models.TextChoices):
        TENDA = "tenda", _("Tent")
        KURSI = "kursi", _("Chairs")
        MEJA = "meja", _("Tables")
        GENSET = "genset", _("Generator")
        LAMPU = "lampu", _("Lights")
        AMBULANS = "ambulans", _("Ambulance on standby")
        KENDARAAN = "kendaraan", _("Transport vehicle")
        LAINNYA = "lainnya", _("Other")

    class Status(models.TextChoices):
        REQUESTED = "diminta", _("Requested")
        APPROVED = "disetujui", _("Approved")
        FULFILLED = "terpenuhi", _("Fulfilled")
        REJECTED = "ditolak", _("Rejected")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("election"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+", verbose_name=_("TPS"))
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("fulfilled by"))
    needed_by = models.DateTimeField(_("needed by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.REQUESTED)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("created"), default=clock.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["needed_by", "pk"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")

    def __str__(self):
        return f"{self.get_kind_display()} × {self.quantity}"

    def get_absolute_url(self) -> str:
        return reverse("logistics:support_detail", args=[self.pk])
