"""The chain of custody: shipments and their lines, and the shortfall cases that
discrepancies become."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.scope import Scope, ScopedQuerySet
from posko.logistics.models.catalogue import Item


class Shipment(models.Model):
    """Items handed from one stage of the chain to the next, with the receiving side's
    confirmation. Scope follows the destination (and, for returns, the origin)."""

    class Level(models.TextChoices):
        KPU = "kpu", _("KPU warehouse")
        PPK = "ppk", _("PPK (kecamatan)")
        PPS = "pps", _("PPS (kelurahan)")
        TPS = "tps", _("KPPS (TPS)")

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", _("On the way")
        RECEIVED = "received", _("Received")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="shipments", verbose_name=_("election"))
    is_return = models.BooleanField(_("return after counting"), default=False)
    from_level = models.CharField(_("from"), max_length=3, choices=Level.choices)
    to_level = models.CharField(_("to"), max_length=3, choices=Level.choices)
    # The place of the destination (for a return: of the origin). kecamatan for PPK, plus
    # kelurahan for PPS, plus tps for a TPS.
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="shipments", verbose_name=_("TPS"))
    seal_numbers = models.CharField(_("seal numbers"), max_length=300, blank=True)
    # Box labels (posko.logistics.labels) scanned at dispatch and at receipt, one per line.
    box_codes = models.TextField(_("box labels"), blank=True)
    received_box_codes = models.TextField(_("box labels at receipt"), blank=True)
    received_seal_numbers = models.CharField(_("seal numbers at receipt"), max_length=300,
                                             blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=100, blank=True)
    driver = models.CharField(_("driver"), max_length=100, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("dispatched by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DISPATCHED)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("confirmed by"))
    receiver_name = models.CharField(_("received by (name)"), max_length=150, blank=True)
    handover_photo = models.FileField(_("photo of the hand-over record"), blank=True,
                                      upload_to="berita-acara/%Y/%m/", max_length=200)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-dispatched_at", "-pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [
            models.Index(fields=["election", "to_level", "status"], name="shipment_level_status"),
            models.Index(fields=["kelurahan", "status"], name="shipment_kelurahan_status"),
            models.Index(fields=["tps", "status"], name="shipment_tps_status"),
        ]

    def __str__(self):
        place = self.tps or self.kelurahan or self.kecamatan
        return f"{self.get_from_level_display()} → {self.get_to_level_display()}: {place}"

    def get_absolute_url(self) -> str:
        return reverse("logistics:shipment_detail", args=[self.pk])


class ShipmentLine(models.Model):
    class Condition(models.TextChoices):
        GOOD = "baik", _("Good")
        DAMAGED = "rusak", _("Damaged")
        SHORT = "kurang", _("Short")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines",
                                 verbose_name=_("shipment"))
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("item"))
    dispatched = models.PositiveIntegerField(_("dispatched"))
    received = models.PositiveIntegerField(_("received"), null=True, blank=True)
    damaged = models.PositiveIntegerField(_("of which damaged"), default=0)
    explanation = models.CharField(_("explanation"), max_length=300, blank=True,
                                   help_text=_("Required when more was received than dispatched."))

    class Meta:
        ordering = ["shipment", "item__order", "pk"]
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "item"], name="shipment_line_item"),
        ]

    def __str__(self):
        return f"{self.item}: {self.dispatched}"

    @property
    def good(self) -> int:
        return max(0, (self.received or 0) - self.damaged)

    @property
    def condition(self) -> str:
        if self.received is None:
            return ""
        if self.damaged:
            return self.Condition.DAMAGED
        if self.received < self.dispatched:
            return self.Condition.SHORT
        return self.Condition.GOOD


class ShortfallQuerySet(ScopedQuerySet):
    def open(self):
        return self.exclude(status=Shortfall.Status.RESOLVED)


class Shortfall(models.Model):
    """A flagged discrepancy that somebody must resolve: visible until closed."""

    class Kind(models.TextChoices):
        SHORT = "short", _("Received less than dispatched")
        DAMAGED = "damaged", _("Damaged items")
        SURPLUS = "surplus", _("Received more than dispatched")
        LATE = "late", _("Received after the deadline")
        BELOW_REQUIREMENT = "below", _("TPS total below requirement")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REPLACEMENT_SHIPPED = "replacement", _("Replacement shipped")
        RESOLVED = "resolved", _("Resolved")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="shortfalls", verbose_name=_("election"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="shortfalls", verbose_name=_("TPS"))
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("item"))
    quantity = models.IntegerField(_("quantity"), default=0)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="shortfalls", verbose_name=_("shipment"))
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("flagged"), default=clock.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("closed by"))
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ShortfallQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-created_at", "-pk"]
        verbose_name = _("shortfall case")
        verbose_name_plural = _("shortfall cases")
        indexes = [models.Index(fields=["election", "status"], name="shortfall_election_status")]
        constraints = [
            # A discrepancy is flagged once per shipment line (re-checks add nothing).
            models.UniqueConstraint(fields=["shipment", "item", "kind"],
                                    condition=Q(shipment__isnull=False), name="shortfall_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.tps or self.kelurahan or self.kecamatan}"

    def get_absolute_url(self) -> str:
        return reverse("logistics:shortfall_detail", args=[self.pk])
