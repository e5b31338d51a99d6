"""ASN neutrality: pledges per agency, the joint decree's catalogue of prohibited acts per
election, and neutrality cases (the 2022 joint decree)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Role
from posko.core import clock
from posko.core.scope import PemdaWideQuerySet
from posko.incidents.models.reports import Report


class Pledge(models.Model):
    """An agency's ASN neutrality pledge (pakta integritas) for an election."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("election"))
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    asn_total = models.PositiveIntegerField(_("ASN in the agency"))
    asn_covered = models.PositiveIntegerField(_("ASN covered by the pledge"), default=0)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signatory = models.CharField(_("signed by"), max_length=150, blank=True,
                                 help_text=_("Name and position of the head of the agency."))
    document = models.FileField(_("signed document"), blank=True, upload_to="pakta/%Y/",
                                max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        ordering = ["agency__name"]
        verbose_name = _("neutrality pledge")
        verbose_name_plural = _("neutrality pledges")
        constraints = [
            models.UniqueConstraint(fields=["election", "agency"], name="pledge_once_per_agency"),
        ]

    def __str__(self):
        return f"{self.agency}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:pledge_edit", args=[self.pk])

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None

    @property
    def coverage_percent(self) -> float | None:
        if not self.asn_total:
            return None
        return round(100 * self.asn_covered / self.asn_total, 1)


class BreachType(models.TextChoices):
    KODE_ETIK = "kode_etik", _("Code-of-ethics breach")
    DISIPLIN = "disiplin", _("Disciplinary breach")


class ActSeverity(models.TextChoices):
    """The sanction an act of the catalogue carries at least."""

    MORAL = "moral", _("Moral sanction")
    SEDANG = "sedang", _("Medium disciplinary penalty")
    BERAT = "berat", _("Heavy disciplinary penalty")
    PTDH = "ptdh", _("Dismissal not with honour")


class ProhibitedAct(models.Model):
    """One act of the joint decree's catalogue (SKB 2022), per election: what it is, the family
    of its breach and the sanction it carries at least. Seeded from ``posko.incidents.skb2022``;
    the Desk admin may edit it (audited); once a case names it, its code, type and severity
    stay as they are (``rules.act_problems``)."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("election"))
    code = models.CharField(_("code"), max_length=12)
    description = models.TextField(_("act"))
    breach_type = models.CharField(_("type of breach"), max_length=10, choices=BreachType.choices)
    severity = models.CharField(_("sanction at least"), max_length=8, choices=ActSeverity.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True,
                                    help_text=_("An act no longer used is not offered for new "
                                                "cases."))
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("prohibited act")
        verbose_name_plural = _("prohibited acts")
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="prohibited_act_code_once"),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:act_edit", args=[self.pk])

    @property
    def minimum_sanction(self) -> str:
        """The lightest sanction that meets the act's severity."""
        return MINIMUM_SANCTION[self.severity]


class NeutralityCaseQuerySet(models.QuerySet):
    """Cases name civil servants: desk admins and observers see every case (names masked
    unless the user may see personal data); an agency operator sees the agency's cases; a
    camat sees the cases of ASN whose office is in the kecamatan, a lurah those whose office
    is in the kelurahan (a case without the office's place: only Pemda-wide users)."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()

        role = user.effective_role
        if role in (Role.ADMIN, Role.PEMANTAU):
            return self
        if role == Role.AGENCY and user.agency_id:
            return self.filter(agency_id=user.agency_id)
        if role == Role.KELURAHAN and user.kelurahan_id:
            return self.filter(kelurahan_id=user.kelurahan_id)
        if role == Role.KECAMATAN and user.kecamatan_id:
            return self.filter(kecamatan_id=user.kecamatan_id)
        return self.none()

    def editable_by(self, user):
        return self if user is not None and getattr(user, "is_desk_admin", False) else self.none()


class NeutralityCase(models.Model):
    """A case of an ASN suspected of breaching neutrality (SKB of 22 Sep 2022)."""

    BreachType = BreachType

    class Sanction(models.TextChoices):
        NONE = "", _("— none yet —")
        MORAL_TERTUTUP = "moral_tertutup", _("Moral sanction (closed statement)")
        MORAL_TERBUKA = "moral_terbuka", _("Moral sanction (open statement)")
        DISIPLIN_SEDANG = "disiplin_sedang", _("Medium disciplinary penalty")
        DISIPLIN_BERAT = "disiplin_berat", _("Heavy disciplinary penalty")
        PTDH = "ptdh", _("Dismissal not with honour")
        TIDAK_TERBUKTI = "tidak_terbukti", _("Not proven: no sanction")

    class Status(models.TextChoices):
        DILAPORKAN = "dilaporkan", _("Reported")
        DIKAJI = "dikaji", _("Under Bawaslu review")
        DIREKOMENDASIKAN = "direkomendasikan", _("Recommendation issued")
        DIRUJUK = "dirujuk", _("Referred to BKN / staffing official")
        DISANKSI = "disanksi", _("Sanction imposed")
        DIHENTIKAN = "dihentikan", _("Stopped / not proven")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("election"))
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="neutrality_cases", verbose_name=_("from report"))
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency of the ASN"))
    asn_name = models.CharField(_("name of the ASN"), max_length=150)
    asn_position = models.CharField(_("position"), max_length=150, blank=True)
    kecamatan = models.ForeignKey("regions.Kecamatan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan of the office"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan of the office"))
    prohibited_act = models.ForeignKey(ProhibitedAct, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="cases",
                                       verbose_name=_("act of the joint decree"))
    act = models.TextField(_("what the ASN did"))
    occurred_on = models.DateField(_("happened on"))
    breach_type = models.CharField(_("type of breach"), max_length=10,
                                   choices=BreachType.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DILAPORKAN)
    bawaslu_finding = models.TextField(_("Bawaslu's finding"), blank=True)
    bawaslu_recommendation = models.TextField(_("Bawaslu's recommendation"), blank=True)
    recommendation_date = models.DateField(_("recommendation date"), null=True, blank=True)
    referred_bkn_on = models.DateField(_("referred to BKN on"), null=True, blank=True)
    referred_ppk_on = models.DateField(_("referred to the staffing official on"), null=True,
                                       blank=True)
    sanction = models.CharField(_("sanction imposed"), max_length=16, blank=True,
                                choices=Sanction.choices)
    sanction_date = models.DateField(_("sanction date"), null=True, blank=True)
    lighter_sanction_reason = models.TextField(
        _("reason for a lighter sanction"), blank=True,
        help_text=_("Needed when the sanction is lighter than the act's minimum."))
    created_at = models.DateTimeField(_("created"), default=clock.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = NeutralityCaseQuerySet.as_manager()
    audit_exclude = ("asn_name",)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = _("neutrality case")
        verbose_name_plural = _("neutrality cases")

    def __str__(self):
        return f"{_('Case')} #{self.pk}: {self.agency}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:case_detail", args=[self.pk])

    @property
    def sanction_is_lighter(self) -> bool:
        """Is the sanction imposed lighter than the minimum of the act named?"""
        act = self.prohibited_act if self.prohibited_act_id else None
        rank = SANCTION_RANK.get(self.sanction)
        return act is not None and rank is not None and rank < SANCTION_RANK[act.minimum_sanction]


_S = NeutralityCase.Sanction
# Sanctions from the lightest to the heaviest ("not proven" is no sanction: no rank).
SANCTION_RANK = {_S.MORAL_TERTUTUP: 1, _S.MORAL_TERBUKA: 2, _S.DISIPLIN_SEDANG: 3,
                 _S.DISIPLIN_BERAT: 4, _S.PTDH: 5}
# The lightest sanction that meets an act's severity.
MINIMUM_SANCTION = {ActSeverity.MORAL: _S.MORAL_TERTUTUP, ActSeverity.SEDANG: _S.DISIPLIN_SEDANG,
                    ActSeverity.BERAT: _S.DISIPLIN_BERAT, ActSeverity.PTDH: _S.PTDH}
