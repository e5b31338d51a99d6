"""Tasks, their checklist items, notes and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Role
from posko.core import clock
from posko.core.scope import Scope, ScopedQuerySet

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
        now = now or clock.now()
        return self.filter(due_at__lt=now).exclude(status=Task.Status.SELESAI)

    def due_within(self, hours: int, now=None):
        now = now or clock.now()
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
    created_at = models.DateTimeField(_("created"), default=clock.now)
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
        return self.status != self.Status.SELESAI and self.due_at < (now or clock.now())

    def is_due_soon(self, now=None, hours: int = 48) -> bool:
        now = now or clock.now()
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
    created_at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self):
        return self.text[:60]


def attachment_path(instance, filename: str) -> str:
    return f"attachments/{clock.now():%Y/%m}/{instance.token}{instance.extension}"


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
    uploaded_at = models.DateTimeField(_("uploaded"), default=clock.now)

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
