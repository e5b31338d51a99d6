"""Voting day at each TPS: its state from set-up to the photographed C.Hasil, who was
there, the problems reported, every report kept as an event."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet
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
    voters_men = models.PositiveIntegerField(_("voters, men"), null=True, blank=True)
    voters_women = models.PositiveIntegerField(_("voters, women"), null=True, blank=True)
    registered_dptb = models.PositiveIntegerField(_("registered in the DPTb"), null=True,
                                                  blank=True)
    registered_dpk = models.PositiveIntegerField(_("registered in the DPK"), null=True, blank=True)
    valid = models.PositiveIntegerField(_("valid votes"))
    invalid = models.PositiveIntegerField(_("invalid votes"))
    ballots_received = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("ballots received"))
    ballots_used = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("ballots used"))
    ballots_unused = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("ballots unused"))
    ballots_damaged = models.PositiveIntegerField(_("ballots damaged or returned"), null=True,
                                                  blank=True, default=0)
    votes = models.JSONField(_("votes per pair"), default=dict,
                             help_text=_("Ballot number → votes."))
    status = models.CharField(_("status"), max_length=20, choices=ResultStatus.choices)
    checks = models.JSONField(_("failed checks"), default=list, blank=True)
    flags = models.JSONField(_("anomaly flags"), default=list, blank=True)
    #: Flags that compare TPS with each other (robust z-score, identical results, last digits),
    #: recomputed by a background job, not per entry.
    stat_flags = models.JSONField(_("statistical flags"), default=list, blank=True)
    #: The entry the tallies count for this TPS and contest (at most one): the Pemda's current
    #: entry unless a verifier chose or corrected another.
    is_counted = models.BooleanField(_("counted"), default=False)
    external_ref = models.CharField(_("reference at the source"), max_length=300, blank=True,
                                    help_text=_("E.g. the KPU file the entry was imported from."))
    #: What the source published beside the numbers (KPU: image links, ts, status flags).
    evidence = models.JSONField(_("evidence at the source"), default=dict, blank=True)
    device = models.CharField(_("device"), max_length=200, blank=True)
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
            models.UniqueConstraint(fields=["tps", "contest"], condition=models.Q(is_counted=True),
                                    name="one_counted_result"),
        ]
        indexes = [models.Index(fields=["election", "contest", "kecamatan", "kelurahan"],
                                condition=models.Q(is_current=True), name="voting_result_current"),
                   models.Index(fields=["election", "contest", "kecamatan", "kelurahan"],
                                condition=models.Q(is_counted=True), name="voting_result_counted")]

    def __str__(self):
        return f"{self.tps} {self.contest} ({self.get_source_display()} v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])

    @property
    def voters(self) -> int:
        return self.voters_dpt + self.voters_dptb + self.voters_dpk


class NistStatus(models.TextChoices):
    """The status of a TPS × contest result, in NIST SP 1500-100's vocabulary."""

    UNOFFICIAL_PARTIAL = "unofficial_partial", _("Unofficial, partial")
    UNOFFICIAL_COMPLETE = "unofficial_complete", _("Unofficial, complete")
    CORRECTION = "correction", _("Correction")
    RECOUNT = "recount", _("Recount")


class Agreement(models.TextChoices):
    SINGLE = "single", _("One source")
    AGREE = "agree", _("Sources agree")
    DISAGREE = "disagree", _("Sources disagree")
    VERIFIED = "verified", _("Verified")


class Reconciliation(TpsRow):
    """The three sources (Pemda, witness, KPU) of one TPS × contest side by side: whether
    they agree, the differences, which entry is counted and who decided it."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE,
                            related_name="reconciliations", verbose_name=_("TPS"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("contest"))
    agreement = models.CharField(_("agreement"), max_length=10, choices=Agreement.choices,
                                 default=Agreement.SINGLE)
    status = models.CharField(_("status"), max_length=20, choices=NistStatus.choices,
                              default=NistStatus.UNOFFICIAL_PARTIAL)
    differences = models.JSONField(_("differences"), default=list, blank=True)
    counted = models.ForeignKey(TpsResult, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("counted entry"))
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        constraints = [models.UniqueConstraint(fields=["tps", "contest"],
                                               name="one_reconciliation")]
        indexes = [models.Index(fields=["election", "contest", "agreement"],
                                name="voting_recon_agreement")]

    def __str__(self):
        return f"{self.tps} {self.contest}"

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])


def photo_path(instance, filename: str) -> str:
    return f"voting/chasil/{instance.election_id}/{instance.tps_id}/{filename}"


class ResultPhoto(TpsRow):
    """A photo of a C.Hasil page. The original is kept as uploaded (not served); what is
    served is a copy without metadata (no GPS). A corrected photo adds a version of the same
    page; nothing is replaced."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE,
                            related_name="result_photos", verbose_name=_("TPS"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("contest"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    original = models.FileField(_("original"), upload_to=photo_path, max_length=300)
    image = models.FileField(_("served copy"), upload_to=photo_path, max_length=300)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    reason = models.TextField(_("reason for the new version"), blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    device = models.CharField(_("device"), max_length=200, blank=True)

    class Meta:
        ordering = ["tps_id", "contest_id", "source", "page", "-version"]
        verbose_name = _("C.Hasil photo")
        verbose_name_plural = _("C.Hasil photos")
        constraints = [
            models.UniqueConstraint(fields=["tps", "contest", "source", "page", "version"],
                                    name="one_photo_version"),
        ]

    def __str__(self):
        return f"{self.tps} {self.contest} p{self.page} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])


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
