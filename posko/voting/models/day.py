"""Voting day at each TPS: its state from set-up to the photographed C.Hasil, who was
there, the problems reported, every report kept as an event."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.elections.models import ElectionSettings, TpsRow


class State(models.TextChoices):
    """A TPS's day, in order; a report moves it forward, never back."""

    SIAP = "siap", _("Set up (ready)")
    DIBUKA = "dibuka", _("Opened")
    PEMUNGUTAN = "pemungutan", _("Voting")
    DITUTUP = "ditutup", _("Closed")
    PENGHITUNGAN = "penghitungan", _("Counting")
    SELESAI = "selesai", _("Done (C.Hasil photographed)")


ORDER = [state for state, _label in State.choices]
#: States that can only happen on voting day itself (set-up may be on H-1).
VOTING_DAY_STATES = set(ORDER[1:])


class Problem(models.TextChoices):
    LOGISTIK = "logistik", _("Logistics")
    PETUGAS = "petugas", _("Officers")
    LISTRIK = "listrik", _("Power or network")
    KEAMANAN = "keamanan", _("Security")
    BENCANA = "bencana", _("Disaster")


class VotingSettings(ElectionSettings):
    """Per election: when TPS open and close, when an opening counts as late and a TPS as
    silent (local time of the Pemda, ``TIME_ZONE``)."""

    opening_time = models.TimeField(_("TPS open at"), default=datetime.time(7, 0))
    open_tolerance_minutes = models.PositiveSmallIntegerField(
        _("late after (minutes past opening)"), default=15, validators=[MaxValueValidator(180)])
    closing_time = models.TimeField(_("TPS close at"), default=datetime.time(13, 0))
    silent_minutes = models.PositiveSmallIntegerField(
        _("silent after (minutes without a report)"), default=60,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)])
    z_threshold = models.DecimalField(
        _("flag a TPS at this robust z-score"), max_digits=4, decimal_places=2, default=3.5,
        validators=[MinValueValidator(1)],
        help_text=_("Turnout or a pair's share this many robust standard deviations from the "
                    "kelurahan/kecamatan median is flagged."))

    class Meta:
        verbose_name = _("voting-day settings")
        verbose_name_plural = _("voting-day settings")


class TpsDay(TpsRow):
    """The voting day of one TPS: where it stands now (its events are the history)."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.OneToOneField("elections.Tps", on_delete=models.CASCADE, related_name="day",
                               verbose_name=_("TPS"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, blank=True)
    state_at = models.DateTimeField(_("state since"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    kpps_present = models.PositiveSmallIntegerField(_("KPPS present"), null=True, blank=True)
    linmas_present = models.PositiveSmallIntegerField(_("Linmas present"), null=True, blank=True)
    open_problems = models.PositiveSmallIntegerField(_("problems reported"), default=0)
    last_report_at = models.DateTimeField(_("last report"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)


    class Meta:
        verbose_name = _("TPS voting day")
        verbose_name_plural = _("TPS voting days")
        indexes = [models.Index(fields=["election", "kecamatan", "kelurahan"],
                                name="voting_day_place")]

    def __str__(self):
        return str(self.tps)

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])


class StatusEvent(models.Model):
    """One report from a TPS: a new state, a problem, or the officers present."""

    day = models.ForeignKey(TpsDay, on_delete=models.CASCADE, related_name="events",
                            verbose_name=_("TPS voting day"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, blank=True)
    problem = models.CharField(_("problem"), max_length=20, choices=Problem.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    kpps_present = models.PositiveSmallIntegerField(_("KPPS present"), null=True, blank=True)
    linmas_present = models.PositiveSmallIntegerField(_("Linmas present"), null=True, blank=True)
    happened_at = models.DateTimeField(_("happened at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    incident_url = models.CharField(_("incident report"), max_length=200, blank=True)

    class Meta:
        ordering = ["-happened_at", "-pk"]
        verbose_name = _("TPS report")
        verbose_name_plural = _("TPS reports")

    def __str__(self):
        return f"{self.day} {self.get_state_display() or self.get_problem_display()}"
