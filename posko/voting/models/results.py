"""The C.Hasil entries per TPS, contest and source (versions), and the reconciliation of
the three sources."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.elections.models import TpsRow


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
