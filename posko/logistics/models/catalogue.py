"""The catalogue (items and their norms), the logistics settings, the requirements
computed per TPS, KPU's distribution plan and each TPS's readiness."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet
from posko.elections.models import ElectionSettings


class LogisticsSettings(ElectionSettings):
    """Per-election logistics settings (one row per election, created on first use)."""

    tps_deadline_days = models.SmallIntegerField(
        _("TPS deadline: days before voting day"), default=1)
    tps_deadline_time = models.TimeField(_("TPS deadline: time"), default=datetime.time(18, 0))

    class Meta:
        verbose_name = _("logistics settings")
        verbose_name_plural = _("logistics settings")

    def tps_deadline(self) -> datetime.datetime:
        """Logistics must be at every TPS by this moment (default H-1 18:00 local time)."""
        day = self.election.voting_date - datetime.timedelta(days=self.tps_deadline_days)
        return datetime.datetime.combine(day, self.tps_deadline_time,
                                         tzinfo=ZoneInfo(settings.TIME_ZONE))


class Item(models.Model):
    """A logistics item of an election's catalogue, with the norm that computes how many
    every TPS needs.

    An item with a ``contest`` is that contest's own line (the ballots and result forms of
    each contest differ: "Surat suara Wali Kota Malang"): it is required only at the TPS the
    contest covers, once (its per-contest norm counts that one contest). An item without a
    contest is shared; its per-contest norms count every contest covering the TPS."""

    class Norm(models.TextChoices):
        PER_TPS = "per_tps", _("fixed number per TPS")
        PER_CONTEST = "per_contest", _("number per contest")
        BALLOTS = "ballots", _("DPT + reserve, per contest (rounded up per TPS)")
        PER_VOTERS = "per_voters", _("number per started block of voters")

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="logistics_items", verbose_name=_("election"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=150)
    contest = models.ForeignKey(
        "elections.Contest", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("contest"),
        help_text=_("For an item of one contest (its ballots, its result forms); empty for an "
                    "item shared by every contest."))
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
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

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
