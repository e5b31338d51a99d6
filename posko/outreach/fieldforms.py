"""The outreach activity of the offline field app (``core.field_forms``): an activity held
(kind, title, kelurahan, date and time, attendance) posted to ``/api/v1/outreach/activities/``
under an Idempotency-Key. The kinds are constants; the kelurahans the user records for and
the target groups are cached on the phone (two queries). A lurah's activity is in their kelurahan when none is
chosen; a kelurahan outside the user's scope is a 404."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import field_forms as ff
from posko.outreach.access import can_record
from posko.outreach.models import Activity, TargetGroup
from posko.regions.models import Kelurahan

COUNT = dict(type="int", maximum=100_000)


def _options(user, election) -> dict:
    kelurahans = Kelurahan.objects.visible_to(user).order_by("name", "code")
    return {"kelurahans": [[k.code, k.name] for k in kelurahans],
            "groups": [[g.code, g.name] for g in
                       TargetGroup.objects.filter(is_active=True).order_by("order", "name")]}


ACTIVITY = ff.FieldForm(
    key="outreach.activity", label=_("Outreach activity"), order=60,
    description=_("An outreach activity held: kind, title, place, date and time, attendance."),
    url=lambda: reverse("api:outreach-activity-list"),
    fields=(
        ff.Field("kind", _("Kind"), "choice", required=True, choices=tuple(Activity.Kind.choices)),
        ff.Field("title", _("Title"), "text", required=True),
        ff.Field("kelurahan", _("Kelurahan"), "choice", options="kelurahans"),
        ff.Field("starts_at", _("Date and time"), "datetime", required=True),
        ff.Field("status", _("Status"), "hidden", default=Activity.Status.HELD),
        ff.Field("venue", _("Venue"), "text"),
        ff.Field("target_groups", _("Target groups"), "multi", options="groups"),
        ff.Field("attendance", _("Attendance"), required=True, **COUNT),
        ff.Field("attendance_men", _("Of whom men"), **COUNT),
        ff.Field("attendance_women", _("Of whom women"), **COUNT),
        ff.Field("notes", _("Notes"), "textarea"),
    ),
    capture_gps=("latitude", "longitude"), data=_options, visible=can_record,
    rejected_help=_("Correct what the message names and record the activity again."))


def register() -> None:
    ff.register_form(ACTIVITY)
