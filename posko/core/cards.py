"""Core's own beranda card: a warning to Desk admins when no background worker was seen."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import schedule
from posko.core.dashboard import Card


def worker_card(user, election):
    if settings.POSKO_JOBS == "immediate" or not getattr(user, "is_desk_admin", False):
        return None
    seen = schedule.last_seen()
    stale = timezone.now() - timedelta(seconds=settings.POSKO_WORKER_STALE_SECONDS)
    if seen is not None and seen >= stale:
        return None
    note = (_("Last seen %(when)s.") % {"when": timezone.localtime(seen).strftime("%d-%m-%Y %H.%M")}
            if seen else _("Never seen."))
    return Card(label=_("Background worker not running"), value=_("stopped"),
                url=reverse("job_list"), alert=True,
                note=note + " " + _("Imports, exports and reminders wait until `posko worker` runs."))

