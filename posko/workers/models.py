"""Ad hoc workers (KPPS, Linmas, PTPS, PPS, PPK, Pantarlih) of an election and their
protection: eligibility flags, health screening, BPJS Ketenagakerjaan coverage,
incidents and claims, and the voting-day duty log.

The BPJS coverage and the latest screening result are columns of the worker row, so the
coverage dashboard and the follow-up lists are single-table roll-ups (4.35 million
workers nationally). Every row carries the kecamatan/kelurahan of its posting (and its
kab/kota), which decides its scope."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.personal import mask_address, mask_name
from posko.core.scope import Scope, ScopedQuerySet
from posko.elections.models import ElectionSettings
from posko.workers.nik import mask_nik, mask_phone

WORKER_SCOPE = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")


class WorkerSettings(ElectionSettings):
    """Per-election norms and rules (one row per election, created on first use)."""

    kpps_per_tps = models.PositiveSmallIntegerField(_("KPPS per TPS (incl. the chair)"), default=7)
    linmas_per_tps = models.PositiveSmallIntegerField(_("Linmas per TPS"), default=2)
    ptps_per_tps = models.PositiveSmallIntegerField(_("PTPS per TPS"), default=1)
    pps_per_kelurahan = models.PositiveSmallIntegerField(_("PPS per kelurahan"), default=3)
    ppk_per_kecamatan = models.PositiveSmallIntegerField(_("PPK per kecamatan"), default=5)
    kpps_min_age = models.PositiveSmallIntegerField(_("KPPS minimum age"), default=17)
    kpps_max_age = models.PositiveSmallIntegerField(_("KPPS maximum age"), default=55,
                                                    help_text=_("On voting day."))
    adhoc_min_age = models.PositiveSmallIntegerField(_("PPK/PPS minimum age"), default=17,
                                                     help_text=_("PPK and PPS have no maximum age."))
    kpps_domicile_required = models.BooleanField(
        _("KPPS must live in the TPS's kelurahan"), default=True)
    adhoc_domicile_required = models.BooleanField(
        _("PPS must live in their kelurahan, PPK in their kecamatan"), default=True)
    monthly_contribution = models.DecimalField(
        _("BPJS contribution per worker per month (Rp)"), max_digits=10, decimal_places=0,
        default=Decimal("16800"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("JKK + JKM for one worker; the amount is set by the Pemda's agreement with BPJS."))
    duty_hours_threshold = models.PositiveSmallIntegerField(
        _("Duty hours warning threshold"), default=20, validators=[MinValueValidator(1),
                                                                   MaxValueValidator(72)])
    # The JKM (death) benefit BPJS Ketenagakerjaan pays the heirs: set by regulation, data
    # per election so that a change of the regulation is an edit, not a release.
    jkm_benefit = models.DecimalField(
        _("JKM benefit (Rp)"), max_digits=14, decimal_places=0, default=Decimal("42000000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Death benefit paid to the heirs; prefilled on a JKM claim."))
    jkm_regulation = models.CharField(
        _("Regulation of the JKM benefit"), max_length=200,
        default="PP 82/2019 (perubahan PP 44/2015), Pasal 34: santunan sekaligus Rp20 juta, "
                "santunan berkala Rp12 juta, biaya pemakaman Rp10 juta")

    class Meta:
        verbose_name = _("worker settings")
        verbose_name_plural = _("worker settings")


class WorkerQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(status=Worker.Status.AKTIF)

    def kpps(self):
        return self.filter(role__in=Worker.KPPS_ROLES)


class Worker(models.Model):
    class Role(models.TextChoices):
        KPPS_KETUA = "kpps_ketua", _("KPPS chair")
        KPPS_ANGGOTA = "kpps_anggota", _("KPPS member")
        LINMAS = "linmas", _("Linmas")
        PTPS = "ptps", _("PTPS")
        PPS = "pps", _("PPS")
        PPK = "ppk", _("PPK")
        PANTARLIH = "pantarlih", _("Pantarlih")

    class Sex(models.TextChoices):
        L = "L", _("male")
        P = "P", _("female")

    class Status(models.TextChoices):
        AKTIF = "aktif", _("active")
        DIGANTI = "diganti", _("replaced")
        MUNDUR = "mundur", _("resigned")
        MENINGGAL = "meninggal", _("deceased")

    class Bpjs(models.TextChoices):
        BELUM = "belum", _("not enrolled")
        DIAJUKAN = "diajukan", _("submitted")
        AKTIF = "aktif", _("active")
        BERAKHIR = "berakhir", _("ended")

    class Funding(models.TextChoices):
        NONE = "", _("—")
        APBD = "apbd", _("APBD / NPHD")
        BTT = "btt", _("BTT (contingency budget)")
        MANDIRI = "mandiri", _("self-funded")
        LAINNYA = "lainnya", _("other")

    class Screening(models.TextChoices):
        BELUM = "", _("not screened")
        LAYAK = "layak", _("fit")
        CATATAN = "catatan", _("fit with notes")
        TIDAK_LAYAK = "tidak_layak", _("unfit")

    KPPS_ROLES = (Role.KPPS_KETUA, Role.KPPS_ANGGOTA)
    TPS_ROLES = (Role.KPPS_KETUA, Role.KPPS_ANGGOTA, Role.LINMAS, Role.PTPS, Role.PANTARLIH)

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="workers", db_index=False, verbose_name=_("election"))
    role = models.CharField(_("role"), max_length=14, choices=Role.choices)
    # The posting: a TPS (KPPS, Linmas, PTPS, Pantarlih), a kelurahan (PPS) or a kecamatan (PPK).
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="workers", db_index=False, verbose_name=_("TPS"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", db_index=False, db_constraint=False,
                                  verbose_name=_("kelurahan"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  db_index=False, db_constraint=False, verbose_name=_("kecamatan"))
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.PROTECT, related_name="+",
                                db_index=False, db_constraint=False, editable=False,
                                verbose_name=_("regency/city"))
    nik = models.CharField(_("NIK"), max_length=16)
    full_name = models.CharField(_("full name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # A kelurahan code (35.73.02.1001); it may lie outside the regions loaded here.
    domicile_code = models.CharField(_("domicile kelurahan code"), max_length=13)
    decree_number = models.CharField(_("appointment decree number"), max_length=100, blank=True)
    decree_date = models.DateField(_("appointment decree date"), null=True, blank=True)
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AKTIF)
    # Where the worker is on the DPT (optional): a KPPS registered at another TPS than the
    # one they serve is Bawaslu's "KPPS bertugas/memilih di luar domisili".
    registered_tps = models.ForeignKey(
        "elections.Tps", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("TPS of registration"),
        help_text=_("The TPS where the worker is on the voters' list (DPT)."))
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by", verbose_name=_("replaces"))
    # Eligibility: the rules' messages, one per line ("" when none is broken).
    flags = models.TextField(_("eligibility flags"), blank=True)
    outside_domicile = models.BooleanField(_("domiciled outside the posting's kelurahan"),
                                           default=False)
    # Latest health screening (copied from the Screening rows).
    screening_result = models.CharField(_("screening result"), max_length=12, blank=True,
                                        choices=Screening.choices)
    screening_date = models.DateField(_("screening date"), null=True, blank=True)
    # BPJS Ketenagakerjaan.
    bpjs_status = models.CharField(_("BPJS status"), max_length=10, choices=Bpjs.choices,
                                   default=Bpjs.BELUM)
    bpjs_jkk = models.BooleanField(_("JKK (work accident)"), default=True)
    bpjs_jkm = models.BooleanField(_("JKM (death)"), default=True)
    bpjs_number = models.CharField(_("BPJS membership number"), max_length=30, blank=True)
    bpjs_start = models.DateField(_("coverage start"), null=True, blank=True)
    bpjs_end = models.DateField(_("coverage end"), null=True, blank=True)
    bpjs_months = models.PositiveSmallIntegerField(_("coverage months"), default=0, editable=False)
    bpjs_funding = models.CharField(_("funding source"), max_length=10, blank=True,
                                    choices=Funding.choices)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope = WORKER_SCOPE
    objects = WorkerQuerySet.as_manager()
    # Never copied in clear into the audit log: services add masked values themselves.
    audit_exclude = ("nik", "phone")

    class Meta:
        ordering = ["kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name"]
        verbose_name = _("ad hoc worker")
        verbose_name_plural = _("ad hoc workers")
        constraints = [
            models.UniqueConstraint(fields=["election", "nik"], condition=models.Q(status="aktif"),
                                    name="worker_one_post_per_election"),
        ]
        indexes = [
            # Every column the roll-ups read (stats.py), so PostgreSQL answers them with an
            # index-only scan; the leading columns follow the scope (kab/kota → kelurahan).
            models.Index(fields=["election", "kabkota", "kecamatan", "kelurahan", "role",
                                 "status", "bpjs_status", "screening_result", "bpjs_months"],
                         name="worker_rollup"),
            models.Index(fields=["election", "tps"], name="worker_tps"),
            models.Index(fields=["election", "nik"], name="worker_nik"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.get_role_display()})"

    def get_absolute_url(self) -> str:
        return reverse("workers:worker_detail", args=[self.pk])

    @property
    def nik_masked(self) -> str:
        return mask_nik(self.nik)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def address_masked(self) -> str:
        return mask_address(self.address)

    @property
    def full_name_masked(self) -> str:
        return mask_name(self.full_name)

    @property
    def flag_list(self) -> list[str]:
        return [line for line in self.flags.splitlines() if line.strip()]

    @property
    def votes_elsewhere(self) -> bool:
        """Registered to vote at another TPS than the one of the posting."""
        return bool(self.tps_id and self.registered_tps_id and self.registered_tps_id != self.tps_id)

    @property
    def is_covered(self) -> bool:
        return self.bpjs_status == self.Bpjs.AKTIF

    @property
    def posting_label(self) -> str:
        if self.tps_id:
            number = self.tps.number if Worker.tps.is_cached(self) else "?"
            kel = self.kelurahan.name if Worker.kelurahan.is_cached(self) and self.kelurahan else self.kelurahan_id
            return f"TPS {number:03d} {kel}" if isinstance(number, int) else f"TPS {kel}"
        if self.kelurahan_id:
            kel = self.kelurahan.name if Worker.kelurahan.is_cached(self) and self.kelurahan else self.kelurahan_id
            return f"PPS {kel}"
        kec = self.kecamatan.name if Worker.kecamatan.is_cached(self) else self.kecamatan_id
        return f"PPK {kec}"


class PlacedLikeWorker(models.Model):
    """A row about one worker, carrying a copy of the worker's place (set by
    ``services.copy_place``) so that scope and roll-ups need no join."""

    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False, db_index=False)
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, db_index=False)
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False, db_index=False)

    scope = WORKER_SCOPE
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Screening(PlacedLikeWorker):
    """One health screening by Dinas Kesehatan."""

    class Facility(models.TextChoices):
        PUSKESMAS = "puskesmas", _("puskesmas")
        KLINIK = "klinik", _("clinic")
        RUMAH_SAKIT = "rumah_sakit", _("hospital")

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="screenings",
                               verbose_name=_("worker"))
    date = models.DateField(_("date"))
    facility_kind = models.CharField(_("facility"), max_length=12, choices=Facility.choices)
    facility_name = models.CharField(_("facility name"), max_length=150, blank=True)
    systolic = models.PositiveSmallIntegerField(_("blood pressure, systolic (mmHg)"),
                                                validators=[MinValueValidator(50), MaxValueValidator(300)])
    diastolic = models.PositiveSmallIntegerField(_("blood pressure, diastolic (mmHg)"),
                                                 validators=[MinValueValidator(30), MaxValueValidator(200)])
    blood_sugar = models.PositiveSmallIntegerField(_("blood sugar (mg/dL)"), null=True, blank=True,
                                                   validators=[MinValueValidator(20), MaxValueValidator(1000)])
    cholesterol = models.PositiveSmallIntegerField(_("cholesterol (mg/dL)"), null=True, blank=True,
                                                   validators=[MinValueValidator(50), MaxValueValidator(1000)])
    result = models.CharField(_("result"), max_length=12,
                              choices=[c for c in Worker.Screening.choices if c[0]])
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    # Health data (UU PDP: specific personal data) never goes into the audit log, which
    # admins without the personal-data permission read.
    audit_exclude = ("systolic", "diastolic", "blood_sugar", "cholesterol", "note")
    MEASUREMENTS = audit_exclude

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("health screening")
        verbose_name_plural = _("health screenings")

    def __str__(self):
        return f"{self.date:%d-%m-%Y} {self.get_result_display()}"

    def get_absolute_url(self) -> str:
        return reverse("workers:worker_detail", args=[self.worker_id])

    @property
    def blood_pressure(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


class Incident(PlacedLikeWorker):
    """A worker fell sick, had an accident or died."""

    class Kind(models.TextChoices):
        SAKIT = "sakit", _("sick")
        KECELAKAAN = "kecelakaan", _("accident")
        MENINGGAL = "meninggal", _("death")

    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="incidents",
                               verbose_name=_("worker"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    on_duty = models.BooleanField(_("on duty"), default=True)
    followup = models.TextField(_("Dinkes follow-up"), blank=True)
    covered = models.BooleanField(_("covered by BPJS when it happened"), default=False, editable=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("worker incident")
        verbose_name_plural = _("worker incidents")

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%d-%m-%Y}"

    def get_absolute_url(self) -> str:
        return reverse("workers:incident_detail", args=[self.pk])


class Claim(PlacedLikeWorker):
    class Programme(models.TextChoices):
        JKK = "jkk", _("JKK (work accident)")
        JKM = "jkm", _("JKM (death)")

    class Status(models.TextChoices):
        DISIAPKAN = "disiapkan", _("being prepared")
        DIAJUKAN = "diajukan", _("submitted")
        DIBAYAR = "dibayar", _("paid")
        DITOLAK = "ditolak", _("rejected")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="claims",
                                 verbose_name=_("incident"))
    programme = models.CharField(_("programme"), max_length=3, choices=Programme.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DISIAPKAN)
    amount = models.DecimalField(_("amount (Rp)"), max_digits=14, decimal_places=0, null=True,
                                 blank=True, validators=[MinValueValidator(Decimal("0"))])
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    decided_on = models.DateField(_("paid or rejected on"), null=True, blank=True)
    amount_reason = models.CharField(
        _("reason for an amount other than the regulated one"), max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("BPJS claim")
        verbose_name_plural = _("BPJS claims")

    def __str__(self):
        return f"{self.get_programme_display()} – {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("workers:incident_detail", args=[self.incident_id])


class DutyLog(PlacedLikeWorker):
    """Hours one worker was on duty on one day (voting day: from opening to the end of
    counting, often past midnight)."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="duty_logs",
                               verbose_name=_("worker"))
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours on duty"), max_digits=4, decimal_places=1,
                                validators=[MinValueValidator(Decimal("0")),
                                            MaxValueValidator(Decimal("48"))])
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["-date", "-hours"]
        verbose_name = _("duty log entry")
        verbose_name_plural = _("duty log")
        constraints = [
            models.UniqueConstraint(fields=["worker", "date"], name="dutylog_worker_date"),
        ]

    def __str__(self):
        return f"{self.date:%d-%m-%Y} {self.hours} h"

    def get_absolute_url(self) -> str:
        return reverse("workers:worker_detail", args=[self.worker_id])
