"""Rules of the worker registry. Each returns problems as (field, message) or flags as
messages; the form, the API (through the services) and the imports call the same
functions. Hard problems refuse the row; eligibility flags keep it, visibly flagged."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from posko.regions.models import Kecamatan
from posko.workers.models import Worker, WorkerSettings
from posko.workers.nik import check_nik, mask_nik, national_kecamatan_codes

Role = Worker.Role
KELURAHAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def posting_problems(role: str, tps_id, kelurahan_id, kecamatan_id) -> list[tuple[str, str]]:
    if role in Worker.TPS_ROLES and not tps_id:
        return [("tps", _("A %(role)s is posted at a TPS: choose the TPS.") % {
            "role": Role(role).label})]
    if role == Role.PPS and not kelurahan_id:
        return [("kelurahan", _("A PPS member is posted at a kelurahan: choose the kelurahan."))]
    if role == Role.PPK and not kecamatan_id:
        return [("kecamatan", _("A PPK member is posted at a kecamatan: choose the kecamatan."))]
    return []


def domicile_problems(code: str) -> list[tuple[str, str]]:
    if not code:
        return [("domicile_code", _("Fill in the kelurahan code of the domicile."))]
    if not KELURAHAN_CODE.match(code):
        return [("domicile_code", _(
            "%(code)s is not a kelurahan code (like 35.73.02.1001).") % {"code": code})]
    if code[:8].replace(".", "") not in national_kecamatan_codes():

        if not Kecamatan.objects.filter(code=code[:8]).exists():
            return [("domicile_code", _("%(code)s is not in a kecamatan of the national list.") % {
                "code": code})]
    return []


def person_problems(nik, birth_date, sex, *, today: datetime.date) -> tuple[object, list]:
    """NIK checks (the one NIK function) plus the date of birth itself."""
    problems = []
    if birth_date is not None and birth_date > today:
        problems.append(("birth_date", _("The date of birth %(date)s is in the future.") % {
            "date": birth_date.strftime("%d-%m-%Y")}))
        birth_date = None
    info, nik_problems = check_nik(nik, birth_date=birth_date, sex=sex or None, today=today)
    return info, problems + nik_problems


def term_problems(start, end) -> list[tuple[str, str]]:
    if start and end and end < start:
        return [("term_end", _("The term cannot end before it starts."))]
    return []


def eligibility_flags(role: str, birth_date, domicile_code: str, posting_kelurahan: str | None,
                      settings: WorkerSettings, voting_date: datetime.date,
                      posting_kecamatan: str | None = None) -> list[str]:
    """Rules a worker breaks without being refused (shown as flags). ``posting_kelurahan``:
    the kelurahan of the TPS (KPPS) or of the PPS; ``posting_kecamatan``: the PPK's."""
    flags = []
    if birth_date:
        age = age_on(birth_date, voting_date)
        if role in Worker.KPPS_ROLES:
            if age < settings.kpps_min_age or age > settings.kpps_max_age:
                flags.append(_("Age %(age)s on voting day: KPPS must be %(min)s–%(max)s.") % {
                    "age": age, "min": settings.kpps_min_age, "max": settings.kpps_max_age})
        elif role in (Role.PPK, Role.PPS) and age < settings.adhoc_min_age:
            flags.append(_("Age %(age)s on voting day: PPK/PPS must be at least %(min)s.") % {
                "age": age, "min": settings.adhoc_min_age})
    if is_outside_domicile(role, domicile_code, posting_kelurahan, posting_kecamatan):
        if role in Worker.KPPS_ROLES and settings.kpps_domicile_required:
            flags.append(_("Domiciled outside the TPS's kelurahan."))
        elif role == Role.PPS and settings.adhoc_domicile_required:
            flags.append(_("Domiciled outside the PPS's kelurahan."))
        elif role == Role.PPK and settings.adhoc_domicile_required:
            flags.append(_("Domiciled outside the PPK's kecamatan."))
    return flags


def is_outside_domicile(role: str, domicile_code: str, posting_kelurahan: str | None,
                        posting_kecamatan: str | None = None) -> bool:
    """The domicile rule (PKPU 8/2022): KPPS live in the TPS's kelurahan, PPS in their
    kelurahan, PPK in their kecamatan. An eligibility flag, not Bawaslu's indicator (that
    is the TPS of registration: ``Worker.votes_elsewhere``)."""
    if not domicile_code:
        return False
    if role in Worker.KPPS_ROLES or role == Role.PPS:
        return bool(posting_kelurahan and domicile_code != posting_kelurahan)
    if role == Role.PPK:
        return bool(posting_kecamatan and domicile_code[:8] != posting_kecamatan)
    return False


def registration_problems(election_id, tps_id, registered_tps) -> list[tuple[str, str]]:
    """The TPS of registration must be a TPS of the same election."""
    if registered_tps is not None and registered_tps.election_id != election_id:
        return [("registered_tps", _("The TPS of registration is not a TPS of this election."))]
    return []


def duplicate_message(other: Worker) -> str:
    return _("NIK %(nik)s already has a post in this election: %(role)s, %(posting)s.") % {
        "nik": mask_nik(other.nik), "role": other.get_role_display(), "posting": other.posting_label}


def screening_problems(systolic, diastolic) -> list[tuple[str, str]]:
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        return [("diastolic", _("The diastolic pressure must be lower than the systolic."))]
    return []


# --- who may do what ------------------------------------------------------------------------------

_HEALTH_OFFICE = re.compile(r"^(dinkes|dinas kesehatan)\b")


def is_health_office(agency) -> bool:
    """Dinas Kesehatan: the agency whose short name is Dinkes or whose name starts with
    "Dinas Kesehatan" ("Dinas Kesehatan Kota Malang"), in any case. The one place that
    decides it for the workers module."""
    if agency is None:
        return False
    for text in (agency.short_name, agency.name):
        if _HEALTH_OFFICE.match(" ".join((text or "").lower().split())):
            return True
    return False


def is_health_officer(user) -> bool:
    """An active operator of Dinas Kesehatan."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.effective_role == "agency" and user.agency_id
                and is_health_office(user.agency))


def can_screen(user) -> bool:
    """Dinkes operators and admins record screenings."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_desk_admin or is_health_officer(user)


def can_see_health(user) -> bool:
    """Health measurements (blood pressure, blood sugar, cholesterol, the screening note) are
    specific personal data (UU PDP 27/2022 art. 4): Dinkes operators, and admins given the
    personal-data permission, may reveal them, with a reason (audited). Everyone else sees
    the screening result only (fit / fit with notes / unfit / not screened)."""
    if is_health_officer(user):
        return True
    return bool(getattr(user, "is_authenticated", False) and user.is_desk_admin
                and user.personal_data_access)


def can_manage_bpjs(user) -> bool:
    """The BPJS enrolment list (full NIK) and the return file: admins, or a registry editor
    with personal-data access."""
    return bool(getattr(user, "is_authenticated", False)
                and (user.is_desk_admin or (user.can_see_personal_data and user.can_edit_registry)))


def can_record_incident(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)
                and (user.can_edit_registry or can_screen(user)))
