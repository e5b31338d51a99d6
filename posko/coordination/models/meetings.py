"""Coordination meetings and their decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.coordination.models.tasks import Task
from posko.core.scope import PemdaWideQuerySet

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
