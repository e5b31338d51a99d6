"""Rule functions of activities and turnout."""

from __future__ import annotations

import datetime
import re

from django.http import Http404
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.core import clock
from posko.elections.models import place_codes
from posko.outreach.models import (
    Activity,
    OutreachSettings,
)
from posko.regions.models import Kecamatan, Kelurahan, Pemda

Kind = Activity.Kind
Organiser = Activity.OrganiserKind
Status = Activity.Status

#: How far a phone's clock may run ahead before "held" counts as "in the future".
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)
_RT_RW = re.compile(r"\d{1,3}")


# --- activity rules -------------------------------------------------------------------

def organiser_key(activity: Activity) -> str:
    kind = activity.organiser_kind
    if kind == Organiser.AGENCY:
        return f"agency:{activity.agency_id or ''}"
    if kind == Organiser.PARTNER:
        return "partner:" + " ".join((activity.partner_name or "").lower().split())[:150]
    if kind == Organiser.KECAMATAN:
        return f"kecamatan:{activity.kecamatan_id or ''}"
    return f"kelurahan:{activity.kelurahan_id or ''}"


def _place(activity: Activity) -> None:
    """kecamatan and kab/kota follow the kelurahan; without a place, the Pemda's kab/kota."""
    if activity.kelurahan_id:
        activity.kecamatan_id, activity.kabkota_id = place_codes(activity.kelurahan_id)
    elif activity.kecamatan_id:
        activity.kabkota_id = activity.kecamatan_id.rsplit(".", 1)[0]
    else:
        pemda = Pemda.current()
        activity.kabkota_id = pemda.kabkota_id if pemda and pemda.kabkota_id else None


def check_place_in_scope(user, kecamatan_id: str | None, kelurahan_id: str | None) -> None:
    """A kecamatan or kelurahan outside the user's scope (or the Pemda) is a 404."""
    if kelurahan_id and not Kelurahan.objects.visible_to(user).filter(code=kelurahan_id).exists():
        raise Http404(_("There is no such kelurahan in your area."))
    if kecamatan_id and not Kecamatan.objects.visible_to(user).filter(code=kecamatan_id).exists():
        raise Http404(_("There is no such kecamatan in your area."))


def _number_problem(value, label: str) -> str:
    if value is None:
        return ""
    if value < 0:
        return _("%(label)s cannot be negative.") % {"label": label}
    return ""


def activity_problems(activity: Activity, groups, *, actor=None, confirm_large=False,
                      now=None) -> dict[str, list[str]]:
    """Every rule of an activity: ``{field: [message]}`` (empty when it may be saved)."""
    now = now or clock.now()
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    kind = activity.kind
    if kind not in Kind.values:
        add("kind", _("Choose the kind of activity."))
    if not (activity.title or "").strip():
        add("title", _("Give the activity a short title."))
    if activity.starts_at is None:
        add("starts_at", _("Enter the date and time."))
    # place
    if kind != Kind.MEDIA and not activity.kelurahan_id:
        add("kelurahan", _("Choose the kelurahan where the activity takes place (only media and "
                           "online activities may have no place)."))
    if activity.kelurahan_id and activity.kecamatan_id and \
            not activity.kelurahan_id.startswith(activity.kecamatan_id + "."):
        add("kelurahan", _("This kelurahan is not in the chosen kecamatan."))
    for name, label in (("rw", "RW"), ("rt", "RT")):
        value = getattr(activity, name) or ""
        if value and not _RT_RW.fullmatch(value):
            add(name, _("%(label)s is a number of up to 3 digits.") % {"label": label})
    if (activity.latitude is None) != (activity.longitude is None):
        add("longitude", _("Enter both latitude and longitude, or neither."))
    if activity.latitude is not None and not (-11 <= activity.latitude <= 6):
        add("latitude", _("The latitude is outside Indonesia (-11 to 6)."))
    if activity.longitude is not None and not (94 <= activity.longitude <= 142):
        add("longitude", _("The longitude is outside Indonesia (94 to 142)."))
    # organiser
    org = activity.organiser_kind
    if org not in Organiser.values:
        add("organiser_kind", _("Choose who organises the activity."))
    elif org == Organiser.AGENCY and not activity.agency_id:
        add("agency", _("Choose the organising agency."))
    elif org == Organiser.PARTNER and not (activity.partner_name or "").strip():
        add("partner_name", _("Name the partner (e.g. KPU Kota Malang)."))
    elif org == Organiser.KECAMATAN and not activity.kecamatan_id:
        add("kecamatan", _("A kecamatan office organises in a kecamatan: choose it."))
    elif org == Organiser.KELURAHAN and not activity.kelurahan_id:
        add("kelurahan", _("A kelurahan office organises in a kelurahan: choose it."))
    if actor is not None and getattr(actor, "effective_role", None) == Role.AGENCY and not (
            org == Organiser.AGENCY and activity.agency_id == actor.agency_id):
        add("organiser_kind", _("As an agency operator you record your own agency's activities."))
    # status and figures
    status = activity.status
    attendance_label = _("Attendance")
    for field, label in (("expected_attendance", _("Expected attendance")),
                         ("attendance", attendance_label),
                         ("attendance_men", _("Men")), ("attendance_women", _("Women"))):
        message = _number_problem(getattr(activity, field), label)
        if message:
            add(field, message)
    if status == Status.HELD:
        if activity.starts_at is not None and activity.starts_at > now + CLOCK_TOLERANCE:
            add("starts_at", _("An activity in the future cannot be marked held: check the date "
                               "and time, or keep it planned."))
        if activity.attendance is None:
            add("attendance", _("Enter how many people attended."))
    elif status == Status.PLANNED:
        if activity.attendance is not None or activity.attendance_men is not None or \
                activity.attendance_women is not None:
            add("attendance", _("A planned activity has no attendance yet: mark it held to "
                                "enter the actual figures."))
    elif status == Status.CANCELLED:
        if not (activity.cancel_reason or "").strip():
            add("cancel_reason", _("Give the reason for cancelling."))
    men, women, total = activity.attendance_men, activity.attendance_women, activity.attendance
    if total is not None and total >= 0 and (men or 0) >= 0 and (women or 0) >= 0 and \
            (men or 0) + (women or 0) > total:
        add("attendance_women", _("Men and women together (%(sum)s) are more than the "
                                  "attendance (%(total)s).") % {"sum": (men or 0) + (women or 0),
                                                                "total": total})
    if not errors.get("attendance") and kind in Kind.values:
        settings = OutreachSettings.for_election(activity.election)
        cap = settings.cap_for(kind)
        for field in ("attendance", "expected_attendance"):
            value = getattr(activity, field)
            if value is not None and value > cap and not confirm_large:
                add(field, _("%(n)s people is more than usual for %(kind)s (%(cap)s). Check the "
                             "number; if it is right, tick “The number is right” and save "
                             "again.") % {"n": f"{value:,}".replace(",", "."),
                                          "kind": Kind(kind).label.lower(),
                                          "cap": f"{cap:,}".replace(",", ".")})
    if groups is not None and not list(groups):
        add("target_groups", _("Choose at least one target group."))
    # duplicates: same organiser, place and time (cancelled ones do not count)
    if not errors and activity.starts_at is not None:
        same = Activity.objects.filter(
            election_id=activity.election_id, organiser_key=organiser_key(activity),
            kelurahan_id=activity.kelurahan_id, kecamatan_id=activity.kecamatan_id,
            starts_at__gte=activity.starts_at.replace(second=0, microsecond=0),
            starts_at__lt=activity.starts_at.replace(second=0, microsecond=0)
            + datetime.timedelta(minutes=1),
        ).exclude(status=Status.CANCELLED)
        if activity.pk:
            same = same.exclude(pk=activity.pk)
        other = same.first()
        if other is not None:
            add("starts_at", _("This activity is already recorded: “%(title)s” (same organiser, "
                               "place and time, #%(pk)s).") % {"title": other.title, "pk": other.pk})
    return errors


# --- turnout ---------------------------------------------------------------------------

def turnout_problems(dpt: int, values: dict, voting_date=None, today=None) -> dict[str, list[str]]:
    """Rules of one TPS's turnout. ``values``: registered_dptb, registered_dpk, voted_dpt,
    voted_dptb, voted_dpk (ints or None)."""
    errors: dict[str, list[str]] = {}
    labels = {"registered_dptb": _("DPTb registered"), "registered_dpk": _("DPK registered"),
              "voted_dpt": _("Voters from the DPT"), "voted_dptb": _("Voters from the DPTb"),
              "voted_dpk": _("Voters from the DPK")}
    numbers = {}
    for field, label in labels.items():
        value = values.get(field)
        if value is None:
            if field == "voted_dpt":
                errors.setdefault(field, []).append(_("Enter the voters from the DPT."))
            numbers[field] = 0
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(field, []).append(_("%(label)s must be a whole number.") % {
                "label": label})
            numbers[field] = 0
        elif value < 0:
            errors.setdefault(field, []).append(_("%(label)s cannot be negative.") % {
                "label": label})
            numbers[field] = 0
        else:
            numbers[field] = value
    if errors:
        return errors
    if voting_date is not None and today is not None and today < voting_date:
        errors.setdefault("voted_dpt", []).append(
            _("Turnout can be entered from voting day (%(date)s).") % {
                "date": voting_date.strftime("%d-%m-%Y")})
    registered = dpt + numbers["registered_dptb"] + numbers["registered_dpk"]
    voted = numbers["voted_dpt"] + numbers["voted_dptb"] + numbers["voted_dpk"]
    if voted > registered:
        errors.setdefault("voted_dpt", []).append(
            _("%(voted)s voters is more than the %(registered)s registered at this TPS (DPT "
              "%(dpt)s + DPTb %(dptb)s + DPK %(dpk)s): check the figures.") % {
                "voted": voted, "registered": registered, "dpt": dpt,
                "dptb": numbers["registered_dptb"], "dpk": numbers["registered_dpk"]})
    if numbers["voted_dpt"] > dpt:
        errors.setdefault("voted_dpt", []).append(
            _("More voters from the DPT (%(voted)s) than the DPT of this TPS (%(dpt)s).") % {
                "voted": numbers["voted_dpt"], "dpt": dpt})
    if numbers["voted_dptb"] > numbers["registered_dptb"]:
        errors.setdefault("voted_dptb", []).append(
            _("More DPTb voters (%(voted)s) than DPTb registered (%(registered)s).") % {
                "voted": numbers["voted_dptb"], "registered": numbers["registered_dptb"]})
    if numbers["voted_dpk"] > numbers["registered_dpk"]:
        errors.setdefault("voted_dpk", []).append(
            _("More DPK voters (%(voted)s) than DPK registered (%(registered)s).") % {
                "voted": numbers["voted_dpk"], "registered": numbers["registered_dpk"]})
    return errors
