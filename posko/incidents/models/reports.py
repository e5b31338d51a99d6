"""Reports: severity, states, categories, settings, the report, its evidence and comments."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet
from posko.elections.models import ElectionSettings


class Severity(models.TextChoices):
    RENDAH = "rendah", _("Low")
    SEDANG = "sedang", _("Medium")
    TINGGI = "tinggi", _("High")
    KRITIS = "kritis", _("Critical")


SEVERITY_RANK = {Severity.RENDAH: 0, Severity.SEDANG: 1, Severity.TINGGI: 2, Severity.KRITIS: 3}


class State(models.TextChoices):
    BARU = "baru", _("New")
    DIVERIFIKASI = "diverifikasi", _("Verified")
    DITOLAK = "ditolak", _("Rejected")
    DITERUSKAN = "diteruskan", _("Forwarded")
    DITINDAKLANJUTI = "ditindaklanjuti", _("In follow-up")
    SELESAI = "selesai", _("Closed")


CLOSED_STATES = (State.SELESAI, State.DITOLAK)
OPEN_STATES = (State.BARU, State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI)


class Category(models.Model):
    """A report category (editable by Desk Pilkada admins). ``indicator`` links the
    category to a Bawaslu vulnerability indicator fed as a derived value."""

    class Indicator(models.TextChoices):
        NONE = "", _("—")
        POLITIK_UANG = "politik_uang", _("Money politics")
        SARA = "sara_ujaran_kebencian", _("SARA politicisation and hate speech")
        PENYELENGGARA = "penyelenggara_tidak_netral", _("Election officials not neutral")
        ASN = "asn_tidak_netral", _("ASN not neutral")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    indicator = models.CharField(_("vulnerability indicator"), max_length=40, blank=True,
                                 choices=Indicator.choices)
    is_security = models.BooleanField(
        _("security category"), default=False,
        help_text=_("Reports of this category may be flagged as violence or intimidation of "
                    "election officials."))
    is_neutrality_asn = models.BooleanField(
        _("ASN neutrality"), default=False,
        help_text=_("Reports of this category can open an ASN neutrality case."))
    default_agency = models.ForeignKey("accounts.Agency", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("usual agency"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incidents:category_list")


def _minutes(label, default: int):
    return models.PositiveIntegerField(label, default=default, validators=[MinValueValidator(1)])


class IncidentSettings(ElectionSettings):
    """Per-election settings: response and resolution targets per severity (minutes),
    the duplicate window, the public rate limit and the pledge coverage threshold."""

    respond_kritis = _minutes(_("critical: respond within (minutes)"), 60)
    resolve_kritis = _minutes(_("critical: resolve within (minutes)"), 24 * 60)
    respond_tinggi = _minutes(_("high: respond within (minutes)"), 4 * 60)
    resolve_tinggi = _minutes(_("high: resolve within (minutes)"), 3 * 24 * 60)
    respond_sedang = _minutes(_("medium: respond within (minutes)"), 24 * 60)
    resolve_sedang = _minutes(_("medium: resolve within (minutes)"), 7 * 24 * 60)
    respond_rendah = _minutes(_("low: respond within (minutes)"), 3 * 24 * 60)
    resolve_rendah = _minutes(_("low: resolve within (minutes)"), 14 * 24 * 60)
    duplicate_window_hours = models.PositiveIntegerField(
        _("duplicate window (hours)"), default=24,
        help_text=_("A new report at the same TPS or kelurahan and of the same category within "
                    "this many hours is shown as a possible duplicate."))
    public_limit = models.PositiveIntegerField(
        _("public reports per client"), default=5, validators=[MinValueValidator(1)],
        help_text=_("How many public reports one client may send within the window below."))
    public_window_minutes = models.PositiveIntegerField(_("public limit window (minutes)"),
                                                        default=60, validators=[MinValueValidator(1)])
    pledge_min_percent = models.PositiveSmallIntegerField(
        _("minimum pledge coverage (%)"), default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("An agency whose pledge covers fewer of its ASN is listed as covering too "
                    "few."))

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def targets(self, severity: str) -> tuple[datetime.timedelta, datetime.timedelta]:
        """(respond within, resolve within) for ``severity``."""
        severity = severity if severity in Severity.values else Severity.SEDANG
        return (datetime.timedelta(minutes=getattr(self, f"respond_{severity}")),
                datetime.timedelta(minutes=getattr(self, f"resolve_{severity}")))


class ReportQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_STATES, merged_into__isnull=True)

    def overdue(self, now=None):
        now = now or clock.now()
        return self.filter(merged_into__isnull=True).filter(
            Q(state=State.BARU, response_due_at__lt=now)
            | Q(state__in=OPEN_STATES, resolve_due_at__lt=now))


class Report(models.Model):
    """One supervision report (laporan): what happened, where, when, who reported it, and
    its triage and follow-up."""

    class Source(models.TextChoices):
        PETUGAS = "petugas", _("Field officer")
        LURAH = "lurah", _("Lurah / kelurahan")
        CAMAT = "camat", _("Camat / kecamatan")
        AGENCY = "agency", _("Agency")
        PUBLIC = "public", _("Member of the public")
        MEDIA = "media", _("Media monitoring")

    class Body(models.TextChoices):
        NONE = "", _("—")
        BAWASLU = "bawaslu", _("Bawaslu")
        POLRES = "polres", _("Polres")
        BKN = "bkn", _("BKN")
        KPU = "kpu", _("KPU")
        OTHER = "lainnya", _("Other body")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports",
                                 verbose_name=_("category"))
    stage = models.ForeignKey("elections.Stage", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("stage"))
    occurred_at = models.DateTimeField(_("happened at"))
    # A copy derived from the kecamatan code (like Tps.kabkota): scoped queries need no join.
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.DO_NOTHING, related_name="+",
                                editable=False, db_index=False, db_constraint=False,
                                verbose_name=_("regency/city"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+", verbose_name=_("TPS"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    location_note = models.CharField(_("location details"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"))
    involves_violence = models.BooleanField(_("violence"), default=False)
    intimidation = models.BooleanField(_("intimidation of election officials"), default=False)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices,
                                default=Severity.SEDANG)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.BARU)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices,
                              default=Source.PETUGAS)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("entered by"))
    # A member of the public (protected personal data, never shown publicly or audited).
    reporter_name = models.CharField(_("reporter's name"), max_length=150, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=150, blank=True)
    client_hash = models.CharField(max_length=64, blank=True, editable=False)
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("assigned agency"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("assigned person"))
    forwarded_to = models.CharField(_("forwarded to (outside body)"), max_length=10, blank=True,
                                    choices=Body.choices)
    state_note = models.TextField(_("note of the last state change"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    public_note = models.CharField(
        _("note for the reporter"), max_length=300, blank=True,
        help_text=_("Shown on the public status page; no names, no internal details."))
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_reports", verbose_name=_("merged into"))
    created_at = models.DateTimeField(_("received"), default=clock.now)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    escalated_response_at = models.DateTimeField(_("response target escalated"), null=True,
                                                 blank=True)
    escalated_resolution_at = models.DateTimeField(_("resolution target escalated"), null=True,
                                                   blank=True)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ReportQuerySet.as_manager()
    audit_exclude = ("reporter_name", "reporter_contact", "client_hash")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            # The live list: newest first, LIMIT 50 read straight from the index.
            models.Index(fields=["election", "-created_at", "-id"], name="incident_newest"),
            models.Index(fields=["election", "state", "-created_at"], name="incident_state"),
            models.Index(fields=["election", "kecamatan", "-created_at"], name="incident_kecamatan"),
            models.Index(fields=["election", "category", "-created_at"], name="incident_category"),
            models.Index(fields=["kelurahan", "-created_at"], name="incident_kelurahan"),
            models.Index(fields=["client_hash", "created_at"], name="incident_client"),
            models.Index(fields=["tps"], name="incident_tps"),
        ]

    def __str__(self):
        return f"{self.code}: {self.title}"

    def save(self, *args, **kwargs):
        if self.kecamatan_id:
            self.kabkota_id = self.kecamatan_id.rsplit(".", 1)[0]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("incidents:report_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES and self.merged_into_id is None

    def response_overdue(self, now=None) -> bool:
        now = now or clock.now()
        return (self.state == State.BARU and self.merged_into_id is None
                and self.response_due_at is not None and self.response_due_at < now)

    def resolution_overdue(self, now=None) -> bool:
        now = now or clock.now()
        return (self.is_open and self.resolve_due_at is not None and self.resolve_due_at < now)

    def overdue(self, now=None) -> bool:
        return self.response_overdue(now) or self.resolution_overdue(now)

    @property
    def place_label(self) -> str:
        parts = [f"Kec. {self.kecamatan.name}"]
        if self.kelurahan_id:
            parts.append(self.kelurahan.name)
        if self.tps_id:
            parts.append(self.tps.label)
        return " › ".join(parts)


class Evidence(models.Model):
    """A file attached to a report: photo, PDF or short video, checked by its content.
    A photo's location (EXIF GPS) is read into the fields below; ``file`` is the copy
    without metadata (served to whoever may see the report), ``original`` the file as
    received with its ``sha256``, kept privately as evidence (core.evidence_files) until the
    election's retention ends (then the file is deleted, the hash stays)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence",
                               verbose_name=_("report"))
    file = models.FileField(_("file"), upload_to="laporan/%Y/%m/", max_length=200)
    original = models.FileField(_("original as received"), upload_to="laporan/asli/%Y/%m/",
                                max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64, blank=True)
    kind = models.CharField(_("type"), max_length=10)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    latitude = models.DecimalField(_("photo latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("photo longitude"), max_digits=9, decimal_places=6,
                                    null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=clock.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.original_name


class Comment(models.Model):
    """An internal comment on a report (never shown publicly)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments",
                               verbose_name=_("report"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("author"))
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return self.text[:60]
