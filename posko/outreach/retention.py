"""Retention (issue 16): what the purge of an election deletes in this module.

An attendance sheet (daftar hadir) lists the names, and often the signatures and phone
numbers, of the people who came: once the election's retention date has passed the file is
deleted from storage (the attachment row stays with its name and size, the activity keeps its
attendance counts by sex and group). Activity photos stay: they document a public event and
were stored without metadata."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.outreach.models import Attachment


def _sheets(election_id):
    return Attachment.objects.filter(activity__election_id=election_id,
                                     kind=Attachment.Kind.ATTENDANCE_SHEET)


def register() -> None:
    retention.register("outreach.attendance_file", _("Attendance sheets (files)"),
                       *retention.file_source(Attachment, _sheets, "file"), order=40,
                       unit="files",
                       fields=_("the attendance sheet file (attendance counts stay)"))
