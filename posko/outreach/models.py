"""Outreach (sosialisasi) and participation: activities by kecamatan and kelurahan offices,
agencies and partners, the voter groups they target, the turnout target of an election,
historical turnout for comparison and the turnout per TPS on voting day."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet
from posko.elections.models import ElectionSettings, TpsRow

#: The Pemda's default turnout target (KPU Kota Malang aimed for 83 % in 2024).
DEFAULT_TARGET = Decimal("83.00")
#: Default plausibility caps on attendance per kind of activity (above: confirm).
DEFAULT_CAPS = {
    "tatap_muka": 500,
    "door_to_door": 300,
    "sekolah": 2000,
    "keagamaan": 1500,
    "acara_warga": 3000,
    "media": 1_000_000,
    "lainnya": 1000,
}


class TargetGroup(models.Model):
    """A voter group outreach aims at (pemilih pemula, perempuan…); admins edit the list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = PemdaWideQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("outreach:group_list")


class OutreachSettings(ElectionSettings):
    """Per election: the turnout target and the thresholds of the early warning."""

    target_percent = models.DecimalField(
        _("turnout target (%)"), max_digits=5, decimal_places=2, default=DEFAULT_TARGET,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))])
    low_reach_per_1000 = models.PositiveIntegerField(
        _("low coverage: reach per 1,000 voters below"), default=100,
        help_text=_("A kelurahan below this reach counts as under-covered in the early warning."))
    history_label = models.CharField(
        _("historical election to compare with"), max_length=60, blank=True,
        help_text=_("Label of imported historical turnout (e.g. Pilkada 2018); empty: the latest."))
    caps = models.JSONField(_("attendance caps per kind"), default=dict, blank=True,
                            help_text=_("Above the cap the entry must be confirmed."))

    class Meta:
        verbose_name = _("outreach settings")
        verbose_name_plural = _("outreach settings")

    def get_absolute_url(self) -> str:
        return reverse("outreach:targets")

    def cap_for(self, kind: str) -> int:
        value = (self.caps or {}).get(kind)
        return int(value) if value else DEFAULT_CAPS.get(kind, 1000)


class TurnoutTarget(models.Model):
    """A turnout target for one kecamatan or kelurahan, overriding the election's."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("election"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("kelurahan"),
                                  help_text=_("Empty: the target of the whole kecamatan."))
    percent = models.DecimalField(
        _("turnout target (%)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))])

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id",
                  kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kecamatan_id", "kelurahan_id"]
        verbose_name = _("turnout target")
        verbose_name_plural = _("turnout targets")
        constraints = [
            models.UniqueConstraint(fields=["election", "kecamatan"],
                                    condition=models.Q(kelurahan__isnull=True),
                                    name="outreach_target_one_per_kecamatan"),
            models.UniqueConstraint(fields=["election", "kelurahan"],
                                    condition=models.Q(kelurahan__isnull=False),
                                    name="outreach_target_one_per_kelurahan"),
        ]

    def __str__(self):
        return f"{self.kelurahan_id or self.kecamatan_id}: {self.percent}%"

    def get_absolute_url(self) -> str:
        return reverse("outreach:targets")


class Activity(models.Model):
    class OrganiserKind(models.TextChoices):
        KECAMATAN = "kecamatan", _("Kecamatan office")
        KELURAHAN = "kelurahan", _("Kelurahan office")
        AGENCY = "agency", _("Pemda agency")
        PARTNER = "partner", _("Partner (KPU, Bawaslu, community…)")

    class Kind(models.TextChoices):
        TATAP_MUKA = "tatap_muka", _("Face-to-face meeting")
        DOOR_TO_DOOR = "door_to_door", _("Door-to-door")
        SEKOLAH = "sekolah", _("School or campus")
        KEAGAMAAN = "keagamaan", _("Religious gathering")
        ACARA_WARGA = "acara_warga", _("Community event")
        MEDIA = "media", _("Media or online")
        LAINNYA = "lainnya", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    organiser_kind = models.CharField(_("organiser"), max_length=12, choices=OrganiserKind.choices)
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("agency"))
    partner_name = models.CharField(_("partner"), max_length=150, blank=True,
                                    help_text=_("E.g. KPU Kota Malang, Bawaslu, a campus."))
    # "kecamatan:35.73.02", "kelurahan:35.73.02.1001", "agency:3", "partner:kpu kota malang":
    # one key for the duplicate rule.
    organiser_key = models.CharField(max_length=170, editable=False)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    # Place. Media/online activities may have none; their reach is counted separately.
    kabkota = models.ForeignKey("regions.KabKota", on_delete=models.PROTECT, related_name="+",
                                db_constraint=False, db_index=False, verbose_name=_("regency/city"))
    kecamatan = models.ForeignKey("regions.Kecamatan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kelurahan"))
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True,
                                   blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True,
                                    blank=True)
    target_groups = models.ManyToManyField(TargetGroup, related_name="activities", blank=True,
                                           verbose_name=_("target groups"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNED)
    expected_attendance = models.PositiveIntegerField(_("expected attendance"), null=True,
                                                      blank=True)
    attendance = models.PositiveIntegerField(
        _("attendance"), null=True, blank=True,
        help_text=_("People reached; for media/online: the audience reached."))
    attendance_men = models.PositiveIntegerField(_("of whom men"), null=True, blank=True)
    attendance_women = models.PositiveIntegerField(_("of whom women"), null=True, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   db_constraint=False, verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("outreach activity")
        verbose_name_plural = _("outreach activities")
        indexes = [
            models.Index(fields=["election", "kelurahan", "status"], name="outreach_act_kel"),
            models.Index(fields=["election", "kecamatan", "starts_at"], name="outreach_act_kec"),
            models.Index(fields=["election", "starts_at"], name="outreach_act_time"),
            models.Index(fields=["election", "kabkota", "status"], name="outreach_act_kab"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("outreach:activity_detail", args=[self.pk])

    @property
    def is_media(self) -> bool:
        return self.kind == self.Kind.MEDIA

    @property
    def counts_for_kelurahan(self) -> bool:
        """Held, placed in a kelurahan and not media/online (see coverage.py)."""
        return self.status == self.Status.HELD and bool(self.kelurahan_id) and not self.is_media

    @property
    def organiser_label(self) -> str:
        kind = self.organiser_kind
        if kind == self.OrganiserKind.AGENCY:
            return str(self.agency) if self.agency_id else "—"
        if kind == self.OrganiserKind.PARTNER:
            return self.partner_name
        if kind == self.OrganiserKind.KECAMATAN:
            name = self.kecamatan.name if self.kecamatan_id else ""
            return f"{_('Kecamatan')} {name}".strip()
        name = self.kelurahan.name if self.kelurahan_id else ""
        return f"{_('Kelurahan')} {name}".strip()

    @property
    def status_class(self) -> str:
        return {"planned": "warn", "held": "ok", "cancelled": "muted"}.get(self.status, "")


class Attachment(models.Model):
    """A photo or an attendance sheet of an activity (checked by content on upload)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        ATTENDANCE_SHEET = "attendance", _("Attendance sheet")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments",
                                 verbose_name=_("activity"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="sosialisasi/%Y/%m/", max_length=200)
    original_name = models.CharField(_("original name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    db_constraint=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name or self.file.name

    def get_absolute_url(self) -> str:
        return reverse("outreach:attachment", args=[self.activity_id, self.pk])


class HistoricalTurnout(models.Model):
    """Turnout of an earlier election per kelurahan (``tps_number`` 0) or per TPS."""

    label = models.CharField(_("election"), max_length=60,
                             help_text=_("E.g. Pilkada 2018, Pemilu 2024."))
    year = models.PositiveSmallIntegerField(_("year"),
                                            validators=[MinValueValidator(1955),
                                                        MaxValueValidator(2100)])
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.CASCADE, related_name="+",
                                  db_index=False, verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", on_delete=models.CASCADE, related_name="+",
                                  db_index=False, verbose_name=_("kelurahan"))
    tps_number = models.PositiveSmallIntegerField(_("TPS number"), default=0,
                                                  help_text=_("0: the whole kelurahan."))
    registered = models.PositiveIntegerField(_("registered voters"))
    voted = models.PositiveIntegerField(_("voters who used their right"))

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id",
                  kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "label", "kelurahan_id", "tps_number"]
        verbose_name = _("historical turnout")
        verbose_name_plural = _("historical turnout")
        constraints = [
            models.UniqueConstraint(fields=["label", "kelurahan", "tps_number"],
                                    name="outreach_history_unique"),
            models.CheckConstraint(condition=models.Q(voted__lte=models.F("registered")),
                                   name="outreach_history_voted_lte_registered"),
        ]

    def __str__(self):
        return f"{self.label} {self.kelurahan_id} {self.tps_number}"

    def get_absolute_url(self) -> str:
        return reverse("outreach:turnout")


class TpsTurnout(TpsRow):
    """Voting-day turnout of one TPS: voters who used their right, by list (DPT, DPTb, DPK).
    The DPT comes from the TPS registry; DPTb and DPK registered counts are entered here."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.OneToOneField("elections.Tps", on_delete=models.CASCADE, related_name="turnout",
                               verbose_name=_("TPS"))
    registered_dptb = models.PositiveIntegerField(_("DPTb registered"), default=0)
    registered_dpk = models.PositiveIntegerField(_("DPK registered"), default=0)
    voted_dpt = models.PositiveIntegerField(_("voters from the DPT"))
    voted_dptb = models.PositiveIntegerField(_("voters from the DPTb"), default=0)
    voted_dpk = models.PositiveIntegerField(_("voters from the DPK"), default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    db_constraint=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)


    class Meta:
        ordering = ["kelurahan_id", "tps_id"]
        verbose_name = _("TPS turnout")
        verbose_name_plural = _("TPS turnout")
        indexes = [
            models.Index(fields=["election", "kelurahan"], name="outreach_turnout_kel"),
            models.Index(fields=["election", "kecamatan"], name="outreach_turnout_kec"),
        ]

    def __str__(self):
        return f"{self.tps}"

    def get_absolute_url(self) -> str:
        return reverse("outreach:turnout_tps", args=[self.tps_id])

    @property
    def voted(self) -> int:
        return (self.voted_dpt or 0) + (self.voted_dptb or 0) + (self.voted_dpk or 0)
