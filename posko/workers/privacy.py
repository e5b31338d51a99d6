"""Personal data of the workers in clear, under UU PDP 27/2022: the health measurements
revealed one worker at a time, and the exports with full NIK, phone or health measurements.

Each use needs a reason (and, for an export, a purpose), checked here and written to the
audit log with the row count; the views only call these functions. Who may: NIK and phone,
``User.can_see_personal_data``; health measurements, ``rules.can_see_health`` (Dinkes
operators, admins given the personal-data permission)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, personal
from posko.workers import rules
from posko.workers.models import Screening, Worker

MIN_REASON = personal.MIN_REASON


class Purpose:
    """Why a list with personal data leaves Posko (asked on every such export)."""

    BPJS = "bpjs"
    HONORARIUM = "honorarium"
    KPU = "verifikasi_kpu"
    HEALTH = "kesehatan"
    OTHER = "lainnya"
    CHOICES = [
        (BPJS, gettext_lazy("BPJS Ketenagakerjaan enrolment")),
        (HONORARIUM, gettext_lazy("Honorarium payment")),
        (KPU, gettext_lazy("Verification with KPU")),
        (HEALTH, gettext_lazy("Health follow-up by Dinas Kesehatan")),
        (OTHER, gettext_lazy("Other (say which)")),
    ]

    @classmethod
    def label(cls, value: str, other: str = "") -> str:
        if value == cls.OTHER:
            return str(_("Other: %(text)s") % {"text": other})
        return str(dict(cls.CHOICES).get(value, value))


def _reason(reason: str, message) -> str:
    return personal.check_reason(reason, message)


# --- health measurements of one worker ----------------------------------------------------

def check_reason(reason: str) -> str:
    """The reason for revealing health measurements, cleaned, or ValidationError."""
    return _reason(reason, _("Give the reason for revealing the health measurements (at least "
                             "%(n)s characters).") % {"n": MIN_REASON})


def reveal_health(worker: Worker, *, actor, reason: str) -> list[Screening]:
    """The worker's screenings with their measurements, for a user who may see health data;
    one ``view`` audit row with the reason."""
    if not rules.can_see_health(actor):
        raise PermissionError
    reason = check_reason(reason)
    screenings = list(worker.screenings.all()[:20])
    audit.record("view", worker, actor=actor, object_repr=str(worker),
                 after={"data": "health", "screenings": len(screenings), "reason": reason},
                 message=_("Revealed the health measurements (%(n)s screenings). Reason: "
                           "%(reason)s") % {"n": len(screenings), "reason": reason})
    return screenings


def record_api_reveal(actor, count: int, reason: str, *, worker: Worker | None = None) -> None:
    """The audit row of an API response carrying health measurements."""
    audit.record("view", worker, actor=actor,
                 object_repr=str(worker) if worker else "worker-screenings (API)",
                 after={"data": "health", "screenings": count, "reason": reason},
                 message=_("Revealed the health measurements (%(n)s screenings) through the "
                           "API. Reason: %(reason)s") % {"n": count, "reason": reason})


# --- exports ---------------------------------------------------------------------------------

def check_export(actor, *, personal: bool, health: bool, purpose: str, purpose_other: str,
                 reason: str) -> tuple[str, str]:
    """(purpose label, reason) of an export with personal data, or ValidationError /
    PermissionError. ``personal``: full NIK and phone; ``health``: measurements."""
    if personal and not getattr(actor, "can_see_personal_data", False):
        raise PermissionError
    if health and not rules.can_see_health(actor):
        raise PermissionError
    errors = {}
    if not (personal or health):
        errors["personal"] = [_("Choose the personal data to include.")]
    if purpose not in dict(Purpose.CHOICES):
        errors["purpose"] = [_("Choose the purpose of the export.")]
    elif purpose == Purpose.OTHER and not (purpose_other or "").strip():
        errors["purpose_other"] = [_("Say what the other purpose is.")]
    try:
        reason = _reason(reason, _("Give the reason for exporting personal data (at least "
                                   "%(n)s characters).") % {"n": MIN_REASON})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return Purpose.label(purpose, " ".join(purpose_other.split())[:200]), reason


record_export = personal.record_export  # one audit row format for every module


HEALTH_FIELDS = ("date", "facility_name", "systolic", "diastolic", "blood_sugar", "cholesterol",
                 "note")


def with_latest_screening(queryset):
    """The workers with their latest screening's measurements (``h_<field>``), for an
    export with health data."""
    latest = Screening.objects.filter(worker=OuterRef("pk")).order_by("-date", "-pk")
    return queryset.annotate(**{f"h_{f}": Subquery(latest.values(f)[:1]) for f in HEALTH_FIELDS})


def health_header() -> list[str]:
    return [_("Latest screening date"), _("Facility"), _("Blood pressure (mmHg)"),
            _("Blood sugar (mg/dL)"), _("Cholesterol (mg/dL)"), _("Screening note")]


def health_cells(worker) -> list:
    if worker.h_date is None:
        return ["", "", "", "", "", ""]
    return [worker.h_date, worker.h_facility_name, f"{worker.h_systolic}/{worker.h_diastolic}",
            worker.h_blood_sugar, worker.h_cholesterol, worker.h_note]
