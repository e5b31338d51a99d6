"""Task templates (a stage's standard tasks)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.coordination.models.tasks import Task


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
