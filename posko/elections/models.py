"""Elections, their contests and candidate pairs, and the TPS registry."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import constants
from posko.core.scope import PemdaWideQuerySet, Scope, ScopedManager


class ElectionQuerySet(PemdaWideQuerySet):
    """Elections belong to the whole Pemda: every signed-in user sees them, admins change them."""


class Election(models.Model):
    name = models.CharField(_("name"), max_length=150)
    voting_date = models.DateField(_("voting day"))
    max_voters_per_tps = models.PositiveIntegerField(
        _("maximum voters per TPS"), default=600, validators=[MinValueValidator(1)])
    ballot_reserve_percent = models.DecimalField(
        _("ballot reserve (%)"), max_digits=4, decimal_places=2, default=Decimal("2.5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))])
    is_active = models.BooleanField(_("active"), default=False,
                                    help_text=_("The election the registry and the modules work on."))

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["-voting_date"]
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="one_active_election"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def active(cls) -> Election | None:
        """The active election (a per-process constant, see ``core.constants``)."""
        return constants.get(("elections.active",),
                             lambda: cls.objects.filter(is_active=True).first())

    @classmethod
    def cached(cls, pk) -> Election | None:
        """One election by pk (None if absent or not a pk), a per-process constant."""
        try:
            pk = int(pk)
        except (TypeError, ValueError, OverflowError):
            return None
        if not -2**63 <= pk < 2**63:
            return None
        return constants.get(("elections.election", pk), lambda: cls.objects.filter(pk=pk).first())

    def stages_cached(self) -> list[Stage]:
        """This election's stages (tahapan) in schedule order, a per-process constant."""
        return constants.get(("elections.stages", self.pk),
                             lambda: list(Stage.objects.filter(election_id=self.pk)))

    def get_absolute_url(self) -> str:
        return reverse("elections:election_detail", args=[self.pk])


class Contest(models.Model):
    class Level(models.TextChoices):
        GUBERNUR = "gubernur", _("Governor")
        BUPATI = "bupati", _("Regent (bupati)")
        WALIKOTA = "walikota", _("Mayor (wali kota)")

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="contests",
                                 verbose_name=_("election"))
    name = models.CharField(_("name"), max_length=150)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    provinsi = models.ForeignKey("regions.Provinsi", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("province"))
    kabkota = models.ForeignKey("regions.KabKota", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("regency/city"),
                                help_text=_("Empty for a governor's contest."))
    ballot_colour = models.CharField(_("ballot colour"), max_length=40, blank=True)

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["election", "level", "name"]
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="contest_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return self.election.get_absolute_url()

    @property
    def region_name(self) -> str:
        return str(self.kabkota or self.provinsi)


class CandidatePair(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="pairs",
                                verbose_name=_("contest"))
    ballot_number = models.PositiveSmallIntegerField(_("ballot number"),
                                                     validators=[MinValueValidator(1)])
    head_name = models.CharField(_("candidate"), max_length=150)
    deputy_name = models.CharField(_("running mate"), max_length=150)
    parties = models.CharField(_("supporting parties"), max_length=500, blank=True,
                               help_text=_("Comma-separated; empty for an independent pair."))

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["contest", "ballot_number"]
        verbose_name = _("candidate pair")
        verbose_name_plural = _("candidate pairs")
        constraints = [
            models.UniqueConstraint(fields=["contest", "ballot_number"], name="pair_unique_number"),
        ]

    def __str__(self):
        return f"{self.ballot_number}. {self.head_name} – {self.deputy_name}"

    def get_absolute_url(self) -> str:
        return self.contest.election.get_absolute_url()

    @property
    def party_list(self) -> list[str]:
        return [p.strip() for p in self.parties.split(",") if p.strip()]


class Stage(models.Model):
    """One stage (tahapan) of the official schedule."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="stages",
                                 verbose_name=_("election"))
    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    owner = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="stages", verbose_name=_("owner institution"))

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["election", "start_date", "end_date", "name"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="stage_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date.")),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return self.election.get_absolute_url()

    def status(self, today) -> str:
        if today < self.start_date:
            return "upcoming"
        if today > self.end_date:
            return "done"
        return "ongoing"


class Tps(models.Model):
    class SpecialLocation(models.TextChoices):
        NONE = "", _("—")
        LAPAS = "lapas", _("Prison (lapas/rutan)")
        RUMAH_SAKIT = "rumah_sakit", _("Hospital")
        KAMPUS = "kampus", _("Campus")
        LAINNYA = "lainnya", _("Other")

    # No single-column indexes on these keys: the unique (election, kelurahan, number) and the
    # (election, kecamatan|kabkota) indexes serve every scoped query, and imports stay fast.
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="tps",
                                 db_index=False, verbose_name=_("election"))
    # The kelurahan decides the place; kab/kota and kecamatan are copies kept for scope queries.
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.PROTECT, related_name="tps",
                                  db_index=False, verbose_name=_("kelurahan"))
    # Copies derived from the kelurahan code (place_codes): the kelurahan's own foreign key
    # already guarantees they exist, so the database does not check them again (imports of
    # 100,000 rows would pay 200,000 extra checks at commit).
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="tps",
                                  editable=False, db_index=False, db_constraint=False,
                                  verbose_name=_("kecamatan"))
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.PROTECT, related_name="tps",
                                editable=False, db_index=False, db_constraint=False,
                                verbose_name=_("regency/city"))
    number = models.PositiveSmallIntegerField(_("TPS number"), validators=[MinValueValidator(1)])
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    dpt_men = models.PositiveIntegerField(_("DPT men"), default=0)
    dpt_women = models.PositiveIntegerField(_("DPT women"), default=0)
    dpt_total = models.GeneratedField(
        expression=models.F("dpt_men") + models.F("dpt_women"),
        output_field=models.PositiveIntegerField(), db_persist=True, verbose_name=_("DPT total"))
    special_location = models.CharField(_("special location"), max_length=20, blank=True,
                                        choices=SpecialLocation.choices)
    special_location_note = models.CharField(_("special location note"), max_length=200, blank=True)
    accessible = models.BooleanField(_("accessible for voters with disabilities"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedManager()

    class Meta:
        ordering = ["kelurahan_id", "number"]
        verbose_name = _("TPS")
        verbose_name_plural = _("TPS")
        constraints = [
            models.UniqueConstraint(fields=["election", "kelurahan", "number"], name="tps_unique_number"),
        ]
        indexes = [
            models.Index(fields=["election", "kecamatan"], name="tps_election_kecamatan"),
            models.Index(fields=["election", "kabkota"], name="tps_election_kabkota"),
        ]

    def __str__(self):
        # Only name the kelurahan when it is already loaded: str() must not query.
        name = self.kelurahan.name if Tps.kelurahan.is_cached(self) else self.kelurahan_id or ""
        return f"TPS {self.number:03d} {name}".strip()

    @property
    def label(self) -> str:
        return f"TPS {self.number:03d}"

    def get_absolute_url(self) -> str:
        return reverse("elections:tps_detail", args=[self.pk])

    def set_place(self) -> None:
        """Copy kecamatan and kab/kota from the kelurahan code (35.73.01.1001)."""
        if self.kelurahan_id:
            self.kecamatan_id, self.kabkota_id = place_codes(self.kelurahan_id)

    def save(self, *args, **kwargs):
        self.set_place()
        super().save(*args, **kwargs)


def place_codes(kelurahan_code: str) -> tuple[str, str]:
    """(kecamatan code, kab/kota code) of a kelurahan code."""
    kecamatan = kelurahan_code.rsplit(".", 1)[0]
    return kecamatan, kecamatan.rsplit(".", 1)[0]


class TpsRow(models.Model):
    """Base of a row about one TPS (its turnout, its voting day, its results): copies of the
    TPS's kab/kota, kecamatan and kelurahan codes, so scoped queries need no join (no
    constraint or index of their own: the TPS's foreign key keeps them right), and the scope
    over them. Build one with ``for_tps(tps, **fields)``."""

    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.PROTECT, related_name="+",
                                db_constraint=False, db_index=False)
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  db_constraint=False, db_index=False)
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.PROTECT, related_name="+",
                                  db_constraint=False, db_index=False)

    scope = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def for_tps(cls, tps, **fields):
        """A new (unsaved) row of ``tps``'s election and place."""
        return cls(election_id=tps.election_id, tps=tps, kabkota_id=tps.kabkota_id,
                   kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id, **fields)


class ElectionSettings(models.Model):
    """Base of a module's per-election settings: one row per election, created with the
    defaults on first use (``for_election``), readable Pemda-wide, edited by the Desk admin
    with optimistic locking (``version``). A subclass adds its fields and its Meta names;
    its reverse accessor on Election is ``<app_label>_settings``."""

    election = models.OneToOneField("elections.Election", on_delete=models.CASCADE,
                                    related_name="%(app_label)s_settings",
                                    verbose_name=_("election"))
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return str(self.election)

    @classmethod
    def for_election(cls, election):
        return cls.objects.get_or_create(election=election)[0]


class Retention(models.Model):
    """How long an election's personal data is kept (issue 16, UU PDP): the date after which
    it is anonymised, the Desk admin's approval of the dry-run (``approved_counts``: the rows
    per source the admin saw) and when it was purged. See ``posko.elections.retention``."""

    election = models.OneToOneField(Election, on_delete=models.CASCADE, related_name="retention",
                                    verbose_name=_("election"))
    retain_until = models.DateField(
        _("keep personal data until"),
        help_text=_("After this date the personal data of workers, public reporters and ASN in "
                    "neutrality cases is anonymised; counts and amounts stay."))
    approved_at = models.DateTimeField(_("purge approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("purge approved by"))
    approved_counts = models.JSONField(_("dry-run seen"), default=dict, blank=True)
    purged_at = models.DateTimeField(_("personal data purged at"), null=True, blank=True)
    purged_counts = models.JSONField(_("rows anonymised"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        verbose_name = _("retention of personal data")
        verbose_name_plural = _("retention of personal data")

    def __str__(self):
        return f"{self.election}: {self.retain_until:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("elections:election_retention", args=[self.election_id])
