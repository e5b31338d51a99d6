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


class Source(models.TextChoices):
    """Who entered a C.Hasil: the three sources compared per TPS."""

    PEMDA = "pemda", _("Pemda (lurah / PPS operator)")
    SAKSI = "saksi", _("Witness or observer")
    KPU = "kpu", _("KPU published data")


class ResultStatus(models.TextChoices):
    TERCATAT = "tercatat", _("Recorded")
    PERLU_VERIFIKASI = "perlu_verifikasi", _("Needs verification")


class TpsResult(TpsRow):
    """One version of the C.Hasil of a TPS for a contest from one source. A correction adds
    a version (with its reason) and the old one stays; the latest is ``is_current``. An entry
    whose arithmetic does not add up is kept too, as "perlu verifikasi" with the failed
    checks listed — never refused into the void, never silently accepted."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE, related_name="results",
                            verbose_name=_("TPS"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("contest"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    voters_dpt = models.PositiveIntegerField(_("voters from the DPT"))
    voters_dptb = models.PositiveIntegerField(_("voters from the DPTb"), default=0)
    voters_dpk = models.PositiveIntegerField(_("voters from the DPK"), default=0)
    valid = models.PositiveIntegerField(_("valid votes"))
    invalid = models.PositiveIntegerField(_("invalid votes"))
    ballots_received = models.PositiveIntegerField(_("ballots received"))
    ballots_used = models.PositiveIntegerField(_("ballots used"))
    ballots_unused = models.PositiveIntegerField(_("ballots unused"))
    ballots_damaged = models.PositiveIntegerField(_("ballots damaged or returned"), default=0)
    votes = models.JSONField(_("votes per pair"), default=dict,
                             help_text=_("Ballot number → votes."))
    status = models.CharField(_("status"), max_length=20, choices=ResultStatus.choices)
    checks = models.JSONField(_("failed checks"), default=list, blank=True)
    flags = models.JSONField(_("anomaly flags"), default=list, blank=True)
    reason = models.TextField(_("reason for the correction"), blank=True)
    entered_at = models.DateTimeField(_("entered at"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("entered by"))


    class Meta:
        ordering = ["tps_id", "contest_id", "source", "-version"]
        verbose_name = _("TPS result")
        verbose_name_plural = _("TPS results")
        constraints = [
            models.UniqueConstraint(fields=["tps", "contest", "source", "version"],
                                    name="one_result_version"),
            models.UniqueConstraint(fields=["tps", "contest", "source"],
                                    condition=models.Q(is_current=True), name="one_current_result"),
        ]
        indexes = [models.Index(fields=["election", "contest", "kecamatan", "kelurahan"],
                                condition=models.Q(is_current=True), name="voting_result_current")]

    def __str__(self):
        return f"{self.tps} {self.contest} ({self.get_source_display()} v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])

    @property
    def voters(self) -> int:
        return self.voters_dpt + self.voters_dptb + self.voters_dpk
