"""Logistics readiness: the item catalogue and its norms, computed requirements per
TPS, the chain of custody (shipments and receipts), shortfall cases, Pemda support
logistics, the KPU distribution plan, and each TPS's readiness."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet


class LogisticsSettings(models.Model):
    """Per-election logistics settings (one row per election, created on first use)."""

    election = models.OneToOneField("elections.Election", on_delete=models.CASCADE,
                                    related_name="logistics_settings", verbose_name=_("election"))
    tps_deadline_days = models.SmallIntegerField(
        _("TPS deadline: days before voting day"), default=1)
    tps_deadline_time = models.TimeField(_("TPS deadline: time"), default=datetime.time(18, 0))

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        verbose_name = _("logistics settings")
        verbose_name_plural = _("logistics settings")

    def __str__(self):
        return str(self.election)

    @classmethod
    def for_election(cls, election) -> LogisticsSettings:
        return cls.objects.get_or_create(election=election)[0]

    def tps_deadline(self) -> datetime.datetime:
        """Logistics must be at every TPS by this moment (default H-1 18:00 local time)."""
        day = self.election.voting_date - datetime.timedelta(days=self.tps_deadline_days)
        return datetime.datetime.combine(day, self.tps_deadline_time,
                                         tzinfo=ZoneInfo(settings.TIME_ZONE))


class Item(models.Model):
    """A logistics item of an election's catalogue, with the norm that computes how many
    every TPS needs."""

    class Norm(models.TextChoices):
        PER_TPS = "per_tps", _("fixed number per TPS")
        PER_CONTEST = "per_contest", _("number per contest")
        BALLOTS = "ballots", _("DPT + reserve, per contest (rounded up per TPS)")
        PER_VOTERS = "per_voters", _("number per started block of voters")

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="logistics_items", verbose_name=_("election"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=150)
    unit = models.CharField(_("unit"), max_length=30, default="buah")
    norm = models.CharField(_("norm"), max_length=12, choices=Norm.choices, default=Norm.PER_TPS)
    quantity = models.PositiveIntegerField(_("quantity"), default=1,
                                           help_text=_("Per TPS, per contest, or per block of voters."))
    voters_per_block = models.PositiveIntegerField(
        _("voters per block"), null=True, blank=True,
        help_text=_("For the per-voters norm, e.g. 1 DPT copy per 300 voters."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        ordering = ["election", "order", "name"]
        verbose_name = _("logistics item")
        verbose_name_plural = _("logistics items")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="logistics_item_code"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("logistics:item_list")


class Requirement(models.Model):
    """How many units of an item a TPS needs. Computed from the item's norm and the TPS's
    DPT by ``requirements.recompute``, never typed."""

    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="requirements",
                            db_index=False, verbose_name=_("TPS"))
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="requirements",
                             verbose_name=_("item"))
    # Copies for scoped roll-ups without joins.
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kelurahan"))
    quantity = models.PositiveIntegerField(_("required"))

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["tps", "item"], name="requirement_tps_item"),
        ]
        indexes = [
            models.Index(fields=["item", "kecamatan", "kelurahan"], name="requirement_rollup"),
        ]

    def __str__(self):
        return f"{self.item_id} × {self.quantity}"


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
    created_at = models.DateTimeField(_("created"), default=timezone.now)
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
    created_at = models.DateTimeField(_("flagged"), default=timezone.now)
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


class TpsReadiness(models.Model):
    """Each TPS's readiness, kept up to date by ``readiness.refresh`` whenever its
    requirements, receipts or shortfall cases change; roll-ups group these rows."""

    class State(models.TextChoices):
        LENGKAP = "lengkap", _("Complete")
        KURANG = "kurang", _("Incomplete")
        BELUM = "belum", _("Nothing received")
        BERMASALAH = "bermasalah", _("Problem")

    tps = models.OneToOneField("elections.Tps", on_delete=models.CASCADE, primary_key=True,
                               related_name="readiness", verbose_name=_("TPS"))
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 db_index=False, verbose_name=_("election"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kelurahan"))
    required_units = models.PositiveIntegerField(_("required units"), default=0)
    good_units = models.PositiveIntegerField(_("units received in good condition"), default=0)
    percent = models.DecimalField(_("readiness %"), max_digits=5, decimal_places=1, default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.BELUM)
    open_shortfalls = models.PositiveSmallIntegerField(_("open shortfall cases"), default=0)
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("TPS readiness")
        verbose_name_plural = _("TPS readiness")
        indexes = [
            models.Index(fields=["election", "kecamatan", "kelurahan", "state"], name="readiness_rollup"),
            models.Index(fields=["election", "state"], name="readiness_state"),
        ]

    def __str__(self):
        return f"{self.tps_id}: {self.state} {self.percent}%"


class PlannedDistribution(models.Model):
    """KPU's distribution plan: what each TPS is to receive and when (imported)."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("TPS"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kelurahan"))
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"))
    planned_date = models.DateField(_("planned date"))

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["planned_date", "tps", "item"]
        verbose_name = _("planned distribution")
        verbose_name_plural = _("distribution plan")
        constraints = [
            models.UniqueConstraint(fields=["election", "tps", "item"], name="plan_tps_item"),
        ]

    def __str__(self):
        return f"{self.tps_id}: {self.item_id} × {self.quantity} ({self.planned_date})"


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
    created_at = models.DateTimeField(_("created"), default=timezone.now)
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
