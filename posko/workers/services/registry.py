"""The worker registry: a worker's posting and person checked, flagged, saved and audited;
replacement; the audited reveal of NIK and phone.

Audit snapshots never hold a NIK or phone number in clear (``Worker.audit_exclude``):
:func:`snapshot` adds the masked values instead, so a changed NIK still shows."""

from __future__ import annotations

import datetime
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock, derived, personal
from posko.core.services import bump_version, raise_problems
from posko.elections.models import Tps, place_codes
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import norms, rules
from posko.workers.models import Worker, WorkerSettings
from posko.workers.nik import mask_nik, mask_phone

# The source of "kpps_luar_domisili" (Bawaslu: a KPPS registered to vote at another TPS). The
# key keeps its historical name: consumers store values under it.
DERIVED_KEY = "workers.domicile"


def snapshot(worker: Worker) -> dict:
    data = audit.snapshot(worker)
    data["nik"] = mask_nik(worker.nik)
    data["phone"] = mask_phone(worker.phone)
    if "address" in data:
        data["address"] = personal.mask_address(worker.address)
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
    today = today or clock.today()
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
    problems += rules.registration_problems(worker.election_id, worker.tps_id,
                                            worker.registered_tps if worker.registered_tps_id else None)
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
                                    worker.kelurahan_id, settings, worker.election.voting_date,
                                    worker.kecamatan_id)
    worker.flags = "\n".join(flags)
    worker.outside_domicile = rules.is_outside_domicile(
        worker.role, worker.domicile_code, worker.kelurahan_id, worker.kecamatan_id)
    worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)


def _check_norms(worker: Worker, before: set) -> None:
    """Refuse a posting beyond the norm (locks the place first: ``norms``)."""
    raise_problems(norms.problems(worker.election, norms.worker_slots(worker) - before,
                                  exclude_pk=worker.pk))


def derived_changed(worker: Worker, *extra_tps) -> None:
    ids = {t for t in (worker.tps_id, *extra_tps) if t}
    if ids:
        transaction.on_commit(lambda: derived.changed(DERIVED_KEY, worker.election, ids))


@transaction.atomic
def create_worker(worker: Worker, *, actor, message: str = "", replacement: bool = False) -> Worker:
    """``replacement``: the newcomer takes a post being freed (``replace_worker``), allowed
    even where the TPS is over the norm; any other posting beyond the norm is refused."""
    set_place(worker)
    validate(worker)
    _check_scope(worker, actor)
    if not replacement:
        _check_norms(worker, set())
    apply_flags(worker)
    worker.full_clean(exclude=["kabkota", "kecamatan", "kelurahan", "tps", "election", "replaces"],
                      validate_unique=False, validate_constraints=False)
    worker.save()
    audit.record("create", worker, actor=actor, after=snapshot(worker), message=message)
    derived_changed(worker)
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
    _check_norms(worker, norms.worker_slots(old))
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
    derived_changed(worker, old.tps_id)
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
    return create_worker(new, actor=actor, message=_("Replaces %(name)s.") % {"name": old.full_name},
                         replacement=True)


PERSONAL_FIELDS = ["nik", "phone", "full_name", "address"]


def personal_values(worker: Worker) -> dict:
    """The worker's personal data in clear (only ever read through :func:`reveal`)."""
    return {field: getattr(worker, field) for field in PERSONAL_FIELDS}


def reveal(worker: Worker, *, actor, reason: str) -> dict:
    """The full NIK, phone, name and address, for a user with personal-data access; audited
    with the reason (core.personal: PermissionError, ValidationError on a short reason)."""
    return personal.reveal(worker, actor=actor, reason=reason, fields=PERSONAL_FIELDS,
                           read=lambda: personal_values(worker))


def copy_place(row, worker: Worker) -> None:
    row.kecamatan_id, row.kelurahan_id, row.kabkota_id = (
        worker.kecamatan_id, worker.kelurahan_id, worker.kabkota_id)
