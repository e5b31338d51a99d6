"""Supervision checklists, their items and each kelurahan's answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.coordination.models.meetings import MeetingQuerySet
from posko.coordination.models.tasks import Task
from posko.core import clock
from posko.core.scope import Scope, ScopedQuerySet

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
    return f"findings/{clock.now():%Y/%m}/{instance.photo_token}{instance.photo_extension}"


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
    responded_at = models.DateTimeField(_("answered"), default=clock.now)

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
