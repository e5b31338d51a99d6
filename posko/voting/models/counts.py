"""Running tallies, the quick-count sample and area-wide statistical findings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet


class TallyCounter(models.Model):
    """The running sums of the counted entries of one kelurahan × contest, kept up to date
    with each change (deltas), so tallies never re-read every TPS."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contest"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False,
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False,
                                  verbose_name=_("kelurahan"))
    reported = models.PositiveIntegerField(default=0)
    to_verify = models.PositiveIntegerField(default=0)
    dpt_reported = models.PositiveIntegerField(default=0)
    voters = models.PositiveIntegerField(default=0)
    valid = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    votes = models.JSONField(default=dict)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id",
                  kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tally counter")
        verbose_name_plural = _("tally counters")
        constraints = [models.UniqueConstraint(fields=["contest", "kelurahan"],
                                               name="one_tally_counter")]
        indexes = [models.Index(fields=["election", "contest", "kecamatan"],
                                name="voting_tally_place")]

    def __str__(self):
        return f"{self.kelurahan_id} {self.contest_id}"


class Strata(models.TextChoices):
    KECAMATAN = "kecamatan", _("Kecamatan")
    KELURAHAN = "kelurahan", _("Kelurahan")


class QuickCountDesign(models.Model):
    """A quick-count sample design for one contest: strata, size, seed. Drawn and locked
    before voting day; the hash of the sample list proves later it was not changed."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("election"))
    contest = models.OneToOneField("elections.Contest", on_delete=models.CASCADE,
                                   related_name="quick_count", verbose_name=_("contest"))
    strata = models.CharField(_("strata"), max_length=10, choices=Strata.choices,
                              default=Strata.KECAMATAN)
    target_moe = models.DecimalField(_("target margin of error (percentage points)"),
                                     max_digits=4, decimal_places=2, null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("sample size (TPS)"), null=True, blank=True)
    min_per_stratum = models.PositiveSmallIntegerField(_("minimum TPS per stratum"), default=2)
    seed = models.BigIntegerField(_("seed"))
    show_after_percent = models.PositiveSmallIntegerField(
        _("show estimates after this share of the sample has arrived (%)"), default=50,
        validators=[MaxValueValidator(100)])
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("locked by"))
    sample_hash = models.CharField(_("SHA-256 of the sample list"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        verbose_name = _("quick-count design")
        verbose_name_plural = _("quick-count designs")

    def __str__(self):
        return f"{self.contest}"

    def get_absolute_url(self) -> str:
        return reverse("voting:quick_count", args=[self.contest_id])


class QuickCountTps(models.Model):
    """A TPS in a quick-count sample, with its stratum."""

    design = models.ForeignKey(QuickCountDesign, on_delete=models.CASCADE, related_name="sample",
                               verbose_name=_("design"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("TPS"))
    stratum = models.CharField(_("stratum"), max_length=20)
    order = models.PositiveIntegerField(_("order"))

    class Meta:
        ordering = ["design", "order"]
        verbose_name = _("quick-count TPS")
        verbose_name_plural = _("quick-count TPS")
        constraints = [models.UniqueConstraint(fields=["design", "tps"],
                                               name="one_quick_count_tps")]

    def __str__(self):
        return f"{self.design_id} {self.stratum} {self.tps_id}"


class AreaFlag(models.Model):
    """A statistical finding about a whole area (e.g. a kecamatan's last digits far from
    uniform), recomputed by the background job with the TPS flags."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contest"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False,
                                  verbose_name=_("kecamatan"))
    code = models.CharField(_("code"), max_length=30)
    message = models.TextField(_("message"))
    statistic = models.FloatField(_("statistic"), null=True, blank=True)
    p_value = models.FloatField(_("p-value"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("area flag")
        verbose_name_plural = _("area flags")
        indexes = [models.Index(fields=["election", "contest", "kecamatan"],
                                name="voting_area_flag")]

    def __str__(self):
        return f"{self.kecamatan_id} {self.code}"
