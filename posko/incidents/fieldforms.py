"""The incident report of the offline field app (``core.field_forms``): posted to
``/api/v1/laporan/`` under an Idempotency-Key, with the time and position of capture."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import field_forms as ff
from posko.incidents.access import can_report
from posko.incidents.models import Category
from posko.incidents.models.reports import Severity


def _categories(user, election) -> dict:
    return {"categories": [[c.code, c.name] for c in
                           Category.objects.filter(is_active=True).order_by("name")]}


REPORT = ff.FieldForm(
    key="incidents.report", label=_("Incident report"), order=40,
    description=_("A violation, a disturbance or a disaster at or near a TPS."),
    url=lambda: reverse("api:incident-report-list"),
    fields=(
        ff.Field("category", _("Category"), "choice", required=True, options="categories"),
        ff.Field("tps", _("TPS"), "tps"),
        ff.Field("title", _("Title"), "text", required=True),
        ff.Field("description", _("Description"), "textarea", required=True),
        ff.Field("severity", _("Severity"), "choice", choices=tuple(Severity.choices),
                 default=Severity.SEDANG),
        ff.Field("location_note", _("Location details"), "text"),
    ),
    capture_time="occurred_at", capture_gps=("latitude", "longitude"), data=_categories,
    visible=can_report,
    rejected_help=_("Correct what the message names and record the report again."))


def register() -> None:
    ff.register_form(REPORT)
