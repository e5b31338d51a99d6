"""Writes of the workers module. Each validates with the rules, saves and writes its
audit row in one transaction; views, the API and the imports only call these.

Audit snapshots never hold a NIK or phone number in clear (``Worker.audit_exclude``):
:func:`snapshot` adds the masked values instead, so a changed NIK still shows."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Role, User
from posko.core import audit, derived, notify
from posko.core.services import bump_version, raise_problems
from posko.elections.models import Tps, place_codes
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import rules
from posko.workers.models import Claim, DutyLog, Incident, Screening, Worker, WorkerSettings
from posko.workers.nik import mask_nik, mask_phone

DERIVED_KEY = "workers.domicile"


def snapshot(worker: Worker) -> dict:
    data = audit.snapshot(worker)
    data["nik"] = mask_nik(worker.nik)
    data["phone"] = mask_phone(worker.phone)
    return data


def months_between(start: datetime.date | None, end: datetime.date | None) -> int:
    if not start or not end or end < start:
        return 0
    return max(1, math.ceil(((end - start).days + 1) / 30.4))


def set_place(worker: Worker) -> None:
    """Copy the posting's kelurahan, kecamatan and kab/kota from its TPS / kelurahan / kecamatan."""
    if worker.role in Worker.TPS_ROLES:
        if worker.tps_id:
            tps = worker.tps
            worker.kelurahan_id, worker.kecamatan_id, worker.kabkota_id = (
                tps.kelurahan_id, tps.kecamatan_id, tps.kabkota_id)
    else:
        worker.tps = None
        if worker.role == Worker.Role.PPS and worker.kelurahan_id:
            worker.kecamatan_id, worker.kabkota_id = place_codes(worker.kelurahan_id)
        elif worker.role == Worker.Role.PPK:
            worker.kelurahan = None
            if worker.kecamatan_id:
                worker.kabkota_id = worker.kecamatan_id.rsplit(".", 1)[0]


def _check_scope(worker: Worker, actor) -> None:
    """The posting must be one the actor may edit (the API and forms already 404 outside
    the scope; this guards every other caller)."""
    ok = getattr(actor, "can_edit_registry", False)
    if ok and worker.tps_id:
        ok = Tps.objects.editable_by(actor).filter(pk=worker.tps_id,
                                                   election_id=worker.election_id).exists()
    elif ok and worker.role == Worker.Role.PPS:
        ok = Kelurahan.objects.visible_to(actor).filter(code=worker.kelurahan_id).exists()
    elif ok and worker.role == Worker.Role.PPK:
        ok = (Kecamatan.objects.visible_to(actor).filter(code=worker.kecamatan_id).exists()
              and not getattr(actor, "scope_kelurahan_id", None))
    if not ok:
        raise ValidationError({"tps": [_("You may not place workers at this posting.")]})


def validate(worker: Worker, *, today: datetime.date | None = None) -> None:
    """Every hard rule; fills birth date and sex from the NIK when they are empty."""
    today = today or timezone.localdate()
    problems = rules.posting_problems(worker.role, worker.tps_id, worker.kelurahan_id,
                                      worker.kecamatan_id)
    info, person = rules.person_problems(worker.nik, worker.birth_date, worker.sex or None,
                                         today=today)
    problems += person
    if info is not None:
        worker.nik = info.nik
        if worker.birth_date is None:
            worker.birth_date = info.birth_date
        if not worker.sex:
            worker.sex = info.sex
    problems += rules.domicile_problems(worker.domicile_code)
    problems += rules.term_problems(worker.term_start, worker.term_end)
    if not problems and worker.status == Worker.Status.AKTIF:
        other = (Worker.objects.filter(election_id=worker.election_id, nik=worker.nik,
                                       status=Worker.Status.AKTIF)
                 .exclude(pk=worker.pk).select_related("tps", "kelurahan", "kecamatan").first())
        if other is not None:
            problems.append(("nik", rules.duplicate_message(other)))
    raise_problems(problems)


def apply_flags(worker: Worker) -> None:
    settings = WorkerSettings.for_election(worker.election)
    flags = rules.eligibility_flags(worker.role, worker.birth_date, worker.domicile_code,
                                    worker.kelurahan_id if worker.tps_id else None, settings,
                                    worker.election.voting_date)
    worker.flags = "\n".join(flags)
    worker.outside_domicile = rules.is_outside_domicile(
        worker.role, worker.domicile_code, worker.kelurahan_id if worker.tps_id else None)
    worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)


def _derived_changed(worker: Worker, *extra_tps) -> None:
    ids = {t for t in (worker.tps_id, *extra_tps) if t}
    if ids:
        transaction.on_commit(lambda: derived.changed(DERIVED_KEY, worker.election, ids))


@transaction.atomic
def create_worker(worker: Worker, *, actor, message: str = "") -> Worker:
    set_place(worker)
    validate(worker)
    _check_scope(worker, actor)
    apply_flags(worker)
    worker.full_clean(exclude=["kabkota", "kecamatan", "kelurahan", "tps", "election", "replaces"],
                      validate_unique=False, validate_constraints=False)
    worker.save()
    audit.record("create", worker, actor=actor, after=snapshot(worker), message=message)
    _derived_changed(worker)
    return worker


@transaction.atomic
def update_worker(worker: Worker, *, actor, before: dict | None = None,
                  expected_version: int | None = None, message: str = "") -> Worker:
    old = Worker.objects.get(pk=worker.pk)
    if before is None:
        before = snapshot(old)
    set_place(worker)
    validate(worker)
    _check_scope(worker, actor)
    apply_flags(worker)
    bump_version(worker, expected_version if expected_version is not None else old.version)
    worker.full_clean(exclude=["kabkota", "kecamatan", "kelurahan", "tps", "election", "replaces"],
                      validate_unique=False, validate_constraints=False)
    worker.save()
    after = snapshot(worker)
    after.pop("version", None)
    before = {k: v for k, v in before.items() if k != "version"}
    if after != before:
        audit.record("update", worker, actor=actor, before=before, after=after, message=message)
    _derived_changed(worker, old.tps_id)
    return worker


@transaction.atomic
def replace_worker(old: Worker, new: Worker, *, actor, reason: str = "") -> Worker:
    """``new`` takes ``old``'s posting; ``old`` stays on record as replaced."""
    if old.status != Worker.Status.AKTIF:
        raise ValidationError(_("Only an active worker can be replaced."))
    before = snapshot(old)
    old.status = Worker.Status.DIGANTI
    bump_version(old, old.version)
    old.save(update_fields=["status", "version", "updated_at"])
    audit.record("update", old, actor=actor, before=before, after=snapshot(old),
                 message=_("Replaced by %(name)s. %(reason)s") % {"name": new.full_name,
                                                                  "reason": reason})
    new.election_id, new.role = old.election_id, old.role
    new.tps_id, new.kelurahan_id, new.kecamatan_id = old.tps_id, old.kelurahan_id, old.kecamatan_id
    new.replaces = old
    return create_worker(new, actor=actor, message=_("Replaces %(name)s.") % {"name": old.full_name})


def reveal(worker: Worker, *, actor, reason: str) -> dict:
    """The full NIK and phone, for a user with personal-data access; audited with the reason."""
    if not getattr(actor, "can_see_personal_data", False):
        raise PermissionError
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": [_("Give the reason for revealing the personal data.")]})
    audit.record("view", worker, actor=actor, object_repr=str(worker),
                 message=_("Revealed NIK and phone. Reason: %(reason)s") % {"reason": reason[:500]})
    return {"nik": worker.nik, "phone": worker.phone}


# --- screening --------------------------------------------------------------------------------

def _copy_place(row, worker: Worker) -> None:
    row.kecamatan_id, row.kelurahan_id, row.kabkota_id = (
        worker.kecamatan_id, worker.kelurahan_id, worker.kabkota_id)


@transaction.atomic
def record_screening(screening: Screening, *, actor) -> Screening:
    if not rules.can_screen(actor):
        raise ValidationError(_("Only Dinas Kesehatan operators record screenings."))
    worker = screening.worker
    _copy_place(screening, worker)
    raise_problems(rules.screening_problems(screening.systolic, screening.diastolic))
    if screening.date and screening.date > timezone.localdate():
        raise_problems([("date", _("The screening date is in the future."))])
    screening.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    screening.save()
    audit.record("create", screening, actor=actor, after=audit.snapshot(screening),
                 object_repr=f"{worker.full_name}: {screening}")
    latest = worker.screenings.order_by("-date", "-pk").first()
    Worker.objects.filter(pk=worker.pk).update(screening_result=latest.result,
                                               screening_date=latest.date)
    worker.screening_result, worker.screening_date = latest.result, latest.date
    return screening


# --- BPJS -------------------------------------------------------------------------------------

@transaction.atomic
def set_coverage(worker: Worker, *, actor, before: dict, message: str = "") -> Worker:
    if worker.bpjs_start and worker.bpjs_end and worker.bpjs_end < worker.bpjs_start:
        raise_problems([("bpjs_end", _("The coverage cannot end before it starts."))])
    if worker.bpjs_status == Worker.Bpjs.AKTIF and not worker.bpjs_number:
        raise_problems([("bpjs_number", _("An active coverage needs the BPJS membership number."))])
    if worker.bpjs_status == Worker.Bpjs.AKTIF and not (worker.bpjs_jkk or worker.bpjs_jkm):
        raise_problems([("bpjs_jkk", _("Choose at least one programme (JKK, JKM)."))])
    worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)
    bump_version(worker, before.get("version"))
    worker.save()
    after = snapshot(worker)
    audit.record("update", worker, actor=actor, before=before, after=after,
                 message=message or "BPJS")
    return worker


def contribution_cost(queryset, settings: WorkerSettings) -> int:

    months = queryset.filter(bpjs_status=Worker.Bpjs.AKTIF).aggregate(m=Sum("bpjs_months"))["m"] or 0
    return int(months * settings.monthly_contribution)


# --- incidents and claims ---------------------------------------------------------------------

@transaction.atomic
def record_incident(incident: Incident, *, actor) -> Incident:
    worker = incident.worker
    _copy_place(incident, worker)
    if incident.date and incident.date > timezone.localdate():
        raise_problems([("date", _("The incident date is in the future."))])
    incident.covered = worker.is_covered and (
        worker.bpjs_start is None or incident.date is None or worker.bpjs_start <= incident.date) and (
        worker.bpjs_end is None or incident.date is None or incident.date <= worker.bpjs_end)
    incident.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    incident.save()
    audit.record("create", incident, actor=actor, after=audit.snapshot(incident),
                 object_repr=f"{worker.full_name}: {incident}")
    if incident.kind == Incident.Kind.MENINGGAL and worker.status == Worker.Status.AKTIF:
        before = snapshot(worker)
        worker.status = Worker.Status.MENINGGAL
        bump_version(worker, worker.version)
        worker.save(update_fields=["status", "version", "updated_at"])
        audit.record("update", worker, actor=actor, before=before, after=snapshot(worker),
                     message=str(incident))
        _derived_changed(worker)
    return incident


@transaction.atomic
def update_incident(incident: Incident, *, actor, before: dict) -> Incident:
    incident.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"])
    incident.save()
    after = audit.snapshot(incident)
    if after != before:
        audit.record("update", incident, actor=actor, before=before, after=after)
    return incident


@transaction.atomic
def save_claim(claim: Claim, *, actor, before: dict | None = None) -> Claim:
    incident = claim.incident
    if not incident.covered:
        raise ValidationError(_("The worker had no active BPJS coverage when this happened: "
                                "there is nothing to claim. The case is shown as uncovered."))
    if claim.programme == Claim.Programme.JKM and incident.kind != Incident.Kind.MENINGGAL:
        raise_problems([("programme", _("A JKM claim is for a death."))])
    if claim.status in (Claim.Status.DIAJUKAN, Claim.Status.DIBAYAR, Claim.Status.DITOLAK) \
            and not claim.submitted_on:
        raise_problems([("submitted_on", _("Fill in when the claim was submitted."))])
    if claim.status == Claim.Status.DIBAYAR and not claim.amount:
        raise_problems([("amount", _("Fill in the amount paid."))])
    if claim.submitted_on and claim.decided_on and claim.decided_on < claim.submitted_on:
        raise_problems([("decided_on", _("The decision cannot come before the submission."))])
    claim.kecamatan_id, claim.kelurahan_id, claim.kabkota_id = (
        incident.kecamatan_id, incident.kelurahan_id, incident.kabkota_id)
    claim.full_clean(exclude=["incident", "kecamatan", "kelurahan", "kabkota"])
    is_new = claim.pk is None
    claim.save()
    after = audit.snapshot(claim)
    if is_new:
        audit.record("create", claim, actor=actor, after=after)
    elif after != before:
        audit.record("update", claim, actor=actor, before=before, after=after)
    return claim


# --- duty log ---------------------------------------------------------------------------------

@transaction.atomic
def log_duty(worker: Worker, *, day: datetime.date, hours, note: str = "", actor) -> tuple[DutyLog, bool]:
    """Record (or correct) the hours; returns (row, over the threshold). Over the
    threshold, the kecamatan's operators and the admins get a notification (once)."""

    try:
        hours = Decimal(str(hours).replace(",", "."))
    except InvalidOperation:
        raise_problems([("hours", _("%(value)r is not a number of hours.") % {"value": str(hours)})])
    row = DutyLog.objects.filter(worker=worker, date=day).first()
    before = audit.snapshot(row) if row else None
    if row is None:
        row = DutyLog(worker=worker, date=day)
        _copy_place(row, worker)
    row.hours, row.note = hours, note
    row.full_clean(exclude=["worker", "kecamatan", "kelurahan", "kabkota"], validate_unique=False,
                   validate_constraints=False)
    row.save()
    after = audit.snapshot(row)
    if before is None:
        audit.record("create", row, actor=actor, after=after, object_repr=f"{worker.full_name}: {row}")
    elif before != after:
        audit.record("update", row, actor=actor, before=before, after=after,
                     object_repr=f"{worker.full_name}: {row}")
    threshold = WorkerSettings.for_election(worker.election).duty_hours_threshold
    over = hours > threshold
    if over:

        title = _("%(name)s (%(posting)s) has been on duty %(hours)s hours (limit %(limit)s).") % {
            "name": worker.full_name, "posting": worker.posting_label, "hours": hours,
            "limit": threshold}
        recipients = User.objects.filter(is_active=True).filter(
            models_q_role(Role, worker))
        for user in recipients:
            notify.notify(user, "alert", title, key=f"workers.duty.{worker.pk}.{day.isoformat()}",
                          url=reverse("workers:worker_detail", args=[worker.pk]))
    return row, over


def models_q_role(Role, worker):

    return Q(role=Role.ADMIN) | Q(is_superuser=True) | Q(role=Role.KECAMATAN,
                                                           kecamatan_id=worker.kecamatan_id)
