"""Imported logistics history per TPS: what went wrong at a TPS in an earlier election
that Posko did not record (issue 15: Bawaslu's logistics indicators are about earlier
elections). Used only when no earlier election is in Posko (``logistics.history``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.constants import WatchedQuerySet
from posko.core.scope import Scope, ScopedQuerySet


class ShortfallHistoryQuerySet(WatchedQuerySet, ScopedQuerySet):
    """Scoped, and its bulk writes reach the derived indicators' cache key."""


class ShortfallHistory(models.Model):
    """The logistics problems of one TPS in one earlier election (counts of cases), imported
    for the election whose vulnerability indicators they feed."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("TPS"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False, verbose_name=_("kelurahan"))
    past_election = models.CharField(_("earlier election"), max_length=60,
                                     help_text=_("E.g. Pemilu 2024 or Pilkada 2018."))
    shortfall = models.PositiveIntegerField(_("short, surplus or missing"), default=0)
    damaged = models.PositiveIntegerField(_("damaged"), default=0)
    late = models.PositiveIntegerField(_("late"), default=0)
    imported_at = models.DateTimeField(_("imported"), default=clock.now)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ShortfallHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["kelurahan_id", "tps__number", "past_election"]
        verbose_name = _("logistics history")
        verbose_name_plural = _("logistics history")
        constraints = [
            models.UniqueConstraint(fields=["election", "tps", "past_election"],
                                    name="shortfall_history_once"),
        ]

    def __str__(self):
        return f"{self.tps_id} {self.past_election}: {self.shortfall}/{self.damaged}/{self.late}"
