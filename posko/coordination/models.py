"""The Desk Pilkada: its structure, tasks and task templates, coordination
meetings and their decisions, per-stage supervision checklists, notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Role
from posko.core.scope import PemdaWideQuerySet, Scope, ScopedQuerySet

# --- the desk ---------------------------------------------------------------------------

class Desk(models.Model):
    """The Desk Pilkada's head and secretariat (one row, pk=1)."""

    decree = models.CharField(_("decree (SK)"), max_length=200, blank=True,
                              help_text=_("e.g. Keputusan Wali Kota Malang Nomor …"))
    chair_title = models.CharField(_("chair"), max_length=150, default="Sekretaris Daerah")
    chair_name = models.CharField(_("chair's name"), max_length=150, blank=True)
    secretariat = models.ForeignKey("accounts.Agency", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("secretariat"))
    secretary_name = models.CharField(_("secretary's name"), max_length=150, blank=True)
    reports_to = models.CharField(_("reports to"), max_length=200, blank=True,
                                  default="Menteri Dalam Negeri melalui Gubernur")

    class Meta:
        verbose_name = _("Desk Pilkada")
        verbose_name_plural = _("Desk Pilkada")

    def __str__(self):
        return str(_("Desk Pilkada"))

    @classmethod
    def load(cls) -> Desk:
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def get_absolute_url(self) -> str:
        return reverse("coordination:desk")


class Division(models.Model):
    """A division (bidang) of the desk and its member agencies."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    duties = models.TextField(_("duties"), blank=True)
    lead = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("lead agency"))
    members = models.ManyToManyField("accounts.Agency", blank=True, related_name="divisions",
                                     verbose_name=_("member agencies"))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("coordination:desk")


# --- tasks -------------------------------------------------------------------------------

class TaskQuerySet(ScopedQuerySet):
    """Pemda-wide roles see every task; a camat or lurah sees the tasks placed in their
    region and those assigned to them. Editing: admin all; an agency operator its
    agency's tasks; a camat/lurah their region's; anyone the tasks assigned to them."""

    def _assigned(self, user) -> Q:
        through = Task.assignees.through
        return Q(pk__in=through.objects.filter(user_id=user.pk).values("task_id"))

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        role = user.effective_role
        if role in (Role.ADMIN, Role.AGENCY, Role.PEMANTAU):
            return self
        if role == Role.KELURAHAN and user.kelurahan_id:
            return self.filter(Q(kelurahan_id=user.kelurahan_id) | self._assigned(user))
        if role == Role.KECAMATAN and user.kecamatan_id:
            return self.filter(Q(kecamatan_id=user.kecamatan_id) | self._assigned(user))
        return self.filter(self._assigned(user))

    def editable_by(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        role = user.effective_role
        if role == Role.ADMIN:
            return self
        if role == Role.AGENCY and user.agency_id:
            return self.filter(Q(agency_id=user.agency_id) | self._assigned(user))
        if role == Role.KELURAHAN and user.kelurahan_id:
            return self.filter(Q(kelurahan_id=user.kelurahan_id) | self._assigned(user))
        if role == Role.KECAMATAN and user.kecamatan_id:
            return self.filter(Q(kecamatan_id=user.kecamatan_id) | self._assigned(user))
        if role == Role.PEMANTAU:
            return self.none()
        return self.filter(self._assigned(user))

    def overdue(self, now=None):
        now = now or timezone.now()
        return self.filter(due_at__lt=now).exclude(status=Task.Status.SELESAI)

    def due_within(self, hours: int, now=None):
        now = now or timezone.now()
        return self.filter(due_at__gte=now, due_at__lt=now + timezone.timedelta(hours=hours)).exclude(
            status=Task.Status.SELESAI)


class Task(models.Model):
    class Status(models.TextChoices):
        BELUM_MULAI = "belum_mulai", _("Not started")
        BERJALAN = "berjalan", _("In progress")
        SELESAI = "selesai", _("Done")
        TERHAMBAT = "terhambat", _("Blocked")

    class Priority(models.IntegerChoices):
        RENDAH = 1, _("Low")
        SEDANG = 2, _("Normal")
        TINGGI = 3, _("High")
        MENDESAK = 4, _("Urgent")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT, related_name="tasks",
                                 verbose_name=_("election"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="tasks",
                               verbose_name=_("owning agency"))
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="tasks",
                                       verbose_name=_("assignees"))
    # Optional place; kecamatan and kelurahan are copied from the most precise one given.
    kecamatan = models.ForeignKey("regions.Kecamatan", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("kelurahan"))
    tps = models.ForeignKey("elections.Tps", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="tasks", verbose_name=_("TPS"))
    stage = models.ForeignKey("elections.Stage", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tasks", verbose_name=_("stage"))
    due_at = models.DateTimeField(_("due"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.SEDANG)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices,
                              default=Status.BELUM_MULAI)
    blocked_reason = models.TextField(_("reason it is blocked"), blank=True)
    template_item = models.ForeignKey("TaskTemplateItem", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="tasks",
                                      verbose_name=_("from template item"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    # Set when another module created the task through core.tasks ("vulnerability.action:42").
    source = models.CharField(_("created from"), max_length=80, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Optimistic locking: a save must name the version it was edited from.
    version = models.PositiveIntegerField(_("version"), default=1)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "-priority", "pk"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["election", "status", "due_at"], name="task_status_due"),
            models.Index(fields=["agency", "status"], name="task_agency_status"),
            models.Index(fields=["kecamatan", "status"], name="task_kecamatan_status"),
            models.Index(fields=["kelurahan", "status"], name="task_kelurahan_status"),
        ]
        constraints = [
            # Applying a template twice creates nothing new: one task per item and place.
            models.UniqueConstraint(fields=["template_item", "election", "kelurahan"],
                                    condition=Q(template_item__isnull=False, kelurahan__isnull=False),
                                    name="task_once_per_template_item_kelurahan"),
            models.UniqueConstraint(fields=["template_item", "election", "kecamatan"],
                                    condition=Q(template_item__isnull=False, kelurahan__isnull=True,
                                                kecamatan__isnull=False),
                                    name="task_once_per_template_item_kecamatan"),
            models.UniqueConstraint(fields=["template_item", "election"],
                                    condition=Q(template_item__isnull=False, kecamatan__isnull=True),
                                    name="task_once_per_template_item_pemda"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("coordination:task_detail", args=[self.pk])

    def set_place(self) -> None:
        """Fill kelurahan and kecamatan from the most precise place given."""
        if self.tps_id:
            self.kelurahan_id = self.tps.kelurahan_id
        if self.kelurahan_id:
            self.kecamatan_id = self.kelurahan_id.rsplit(".", 1)[0]

    @property
    def place_label(self) -> str:
        if self.tps_id:
            return str(self.tps)
        if self.kelurahan_id:
            return self.kelurahan.name
        if self.kecamatan_id:
            return f"Kec. {self.kecamatan.name}"
        return ""

    def is_overdue(self, now=None) -> bool:
        return self.status != self.Status.SELESAI and self.due_at < (now or timezone.now())

    def is_due_soon(self, now=None, hours: int = 48) -> bool:
        now = now or timezone.now()
        return self.status != self.Status.SELESAI and now <= self.due_at < now + timezone.timedelta(
            hours=hours)


class TaskChecklistItem(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist",
                             verbose_name=_("task"))
    text = models.CharField(_("item"), max_length=300)
    done = models.BooleanField(_("done"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["task", "order", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.text


class TaskNote(models.Model):
    """A progress note; a status change is recorded as a note too."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notes",
                             verbose_name=_("task"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("author"))
    text = models.TextField(_("note"), blank=True)
    status_from = models.CharField(_("status before"), max_length=15, blank=True)
    status_to = models.CharField(_("status after"), max_length=15, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self):
        return self.text[:60]


def attachment_path(instance, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A photo or PDF attached to a task note or a meeting. Files are stored under a
    random name; the original name is kept for display and download."""

    note = models.ForeignKey(TaskNote, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="attachments", verbose_name=_("progress note"))
    meeting = models.ForeignKey("Meeting", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="attachments", verbose_name=_("meeting"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    token = models.CharField(max_length=32, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.CheckConstraint(condition=Q(note__isnull=False) | Q(meeting__isnull=False),
                                   name="attachment_has_owner"),
        ]

    def __str__(self):
        return self.original_name


class TaskTemplate(models.Model):
    """A named package of tasks relative to voting day, applied to every kecamatan or
    every kelurahan at once."""

    class Level(models.TextChoices):
        KECAMATAN = "kecamatan", _("Every kecamatan")
        KELURAHAN = "kelurahan", _("Every kelurahan")
        PEMDA = "pemda", _("Once for the Pemda")

    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("applies to"), max_length=10, choices=Level.choices,
                             default=Level.KELURAHAN)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("coordination:template_detail", args=[self.pk])


class TaskTemplateItem(models.Model):
    template = models.ForeignKey(TaskTemplate, on_delete=models.CASCADE, related_name="items",
                                 verbose_name=_("template"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("owning agency"))
    days_from_voting_day = models.SmallIntegerField(
        _("days from voting day"), help_text=_("-7 for H-7, -1 for H-1, 0 for voting day, 1 for H+1."))
    due_time = models.TimeField(_("due time"), default="16:00")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Task.Priority.choices,
                                                default=Task.Priority.SEDANG)
    checklist = models.TextField(_("checklist"), blank=True, help_text=_("One item per line."))
    assign_region_operators = models.BooleanField(
        _("assign the region's operators"), default=True,
        help_text=_("Assign each task to the camat/lurah accounts of its region."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["template", "days_from_voting_day", "order", "pk"]
        verbose_name = _("template item")
        verbose_name_plural = _("template items")

    def __str__(self):
        return self.title

    @property
    def h_label(self) -> str:
        d = self.days_from_voting_day
        return "H" if d == 0 else (f"H{d}" if d < 0 else f"H+{d}")


# --- meetings ----------------------------------------------------------------------------

MeetingQuerySet = PemdaWideQuerySet  # meetings and checklists: all see, admins change


class Meeting(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="meetings", verbose_name=_("election"))
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    chair = models.CharField(_("chaired by"), max_length=150)
    agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="meetings",
                                      verbose_name=_("attending agencies"))
    attendees = models.TextField(_("attendees"), blank=True, help_text=_("One person per line."))
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        indexes = [models.Index(fields=["election", "starts_at"], name="meeting_election_time")]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("coordination:meeting_detail", args=[self.pk])


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions",
                                verbose_name=_("meeting"))
    text = models.TextField(_("decision"))
    agency = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("responsible agency"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="decisions",
                                 verbose_name=_("person responsible"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    task = models.OneToOneField(Task, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="decision", verbose_name=_("task"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "order", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return self.text[:80]

    def get_absolute_url(self) -> str:
        return self.meeting.get_absolute_url()


# --- supervision checklists per stage ------------------------------------------------------

class SupervisionChecklist(models.Model):
    class Level(models.TextChoices):
        KECAMATAN = "kecamatan", _("Each kecamatan")
        KELURAHAN = "kelurahan", _("Each kelurahan")

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="checklists", verbose_name=_("election"))
    stage = models.ForeignKey("elections.Stage", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="checklists", verbose_name=_("stage"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("filled by"), max_length=10, choices=Level.choices,
                             default=Level.KELURAHAN)

    objects = MeetingQuerySet.as_manager()  # Pemda-wide: all see, admins change

    class Meta:
        ordering = ["election", "stage__start_date", "title"]
        verbose_name = _("supervision checklist")
        verbose_name_plural = _("supervision checklists")

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("coordination:checklist_detail", args=[self.pk])


class SupervisionItem(models.Model):
    checklist = models.ForeignKey(SupervisionChecklist, on_delete=models.CASCADE, related_name="items",
                                  verbose_name=_("checklist"))
    text = models.CharField(_("item"), max_length=300)
    agencies = models.ManyToManyField("accounts.Agency", blank=True, related_name="+",
                                      verbose_name=_("responsible agencies"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["checklist", "order", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.text


def finding_photo_path(instance, filename: str) -> str:
    return f"findings/{timezone.now():%Y/%m}/{instance.photo_token}{instance.photo_extension}"


class SupervisionResponse(models.Model):
    """One region's answer to one checklist item."""

    class Answer(models.TextChoices):
        MET = "met", _("Met")
        UNMET = "unmet", _("Not met")
        NOT_APPLICABLE = "na", _("Not applicable")

    item = models.ForeignKey(SupervisionItem, on_delete=models.CASCADE, related_name="responses",
                             verbose_name=_("item"))
    kecamatan = models.ForeignKey("regions.Kecamatan", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("kecamatan"))
    kelurahan = models.ForeignKey("regions.Kelurahan", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("kelurahan"))
    answer = models.CharField(_("answer"), max_length=5, choices=Answer.choices)
    finding = models.TextField(_("finding"), blank=True)
    photo = models.FileField(_("photo"), upload_to=finding_photo_path, blank=True, max_length=200)
    photo_token = models.CharField(max_length=32, blank=True, editable=False)
    photo_extension = models.CharField(max_length=8, blank=True, editable=False)
    task = models.OneToOneField(Task, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="supervision_response", verbose_name=_("task"))
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("answered by"))
    responded_at = models.DateTimeField(_("answered"), default=timezone.now)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="kelurahan_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("checklist answer")
        verbose_name_plural = _("checklist answers")
        constraints = [
            models.UniqueConstraint(fields=["item", "kelurahan"], condition=Q(kelurahan__isnull=False),
                                    name="one_answer_per_item_kelurahan"),
            models.UniqueConstraint(fields=["item", "kecamatan"], condition=Q(kelurahan__isnull=True),
                                    name="one_answer_per_item_kecamatan"),
        ]

    def __str__(self):
        return f"{self.item} — {self.get_answer_display()}"


# --- notifications -----------------------------------------------------------------------

class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Task assigned")
        DUE_SOON = "due_soon", _("Task due within 24 hours")
        OVERDUE = "overdue", _("Task overdue")
        DECISION = "decision", _("Decision assigned")
        DIGEST = "digest", _("Daily digest")
        ESCALATION = "escalation", _("Escalation")  # sent by other modules via core.notify
        ALERT = "alert", _("Alert")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=250)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=200, blank=True)
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("task"))
    # What makes a notification unique, so that sending twice sends nothing twice.
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title
