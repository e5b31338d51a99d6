"""Readiness index (issue 17): per-election weights and thresholds, the stored per-TPS
components and index (written by a job), daily snapshots for the H-3 forecast."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.scope import Scope, ScopedQuerySet
from posko.elections.models import ElectionSettings

PLACE_SCOPE = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
UNIT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class ReadinessSettings(ElectionSettings):
    """Weights per component (``weights``: key -> integer; a key left out uses the
    component's default weight) and the thresholds. Versioned (``version``; every save is
    an audit row with before and after)."""

    weights = models.JSONField(_("weights"), default=dict, blank=True)
    ready_threshold = models.DecimalField(
        _("index counted as ready"), max_digits=3, decimal_places=2, default=Decimal("0.80"),
        validators=UNIT, help_text=_("A TPS whose index reaches this value is ready."))
    component_threshold = models.DecimalField(
        _("component counted as missing below"), max_digits=3, decimal_places=2,
        default=Decimal("0.50"), validators=UNIT,
        help_text=_("A component below this value is named as missing."))
    forecast_window = models.PositiveSmallIntegerField(
        _("forecast: days of progress used"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(14)])

    class Meta:
        verbose_name = _("readiness settings")
        verbose_name_plural = _("readiness settings")


class PlaceFields(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 db_index=False, verbose_name=_("election"))
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False, db_index=False, verbose_name=_("kab/kota"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False,
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False,
                                  verbose_name=_("kelurahan"))
    index = models.FloatField(_("readiness index"), null=True, blank=True)
    # {component key: [value 0..1, reason]}
    components = models.JSONField(_("components"), default=dict, blank=True)

    scope = PLACE_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class TpsIndex(PlaceFields):
    """The current components and index of a TPS (bulk written by ``services.compute``)."""

    tps = models.OneToOneField("elections.Tps", on_delete=models.CASCADE, primary_key=True,
                               related_name="readiness_index", verbose_name=_("TPS"))
    missing = models.CharField(_("weakest component"), max_length=40, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=clock.now)

    class Meta:
        verbose_name = _("TPS readiness index")
        verbose_name_plural = _("TPS readiness index")
        indexes = [models.Index(fields=["election", "kecamatan", "kelurahan"],
                                name="readiness_index_place"),
                   models.Index(fields=["election", "index"], name="readiness_index_rank")]

    def __str__(self):
        return f"{self.tps_id}: {self.index}"


class Snapshot(PlaceFields):
    """A TPS's components and index at the end of a day (the forecast's history)."""

    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="+",
                            db_index=False, verbose_name=_("TPS"))
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("readiness snapshot")
        verbose_name_plural = _("readiness snapshots")
        constraints = [models.UniqueConstraint(fields=["election", "day", "tps"],
                                               name="readiness_snapshot_unique")]

    def __str__(self):
        return f"{self.tps_id} {self.day}: {self.index}"
