"""Retention (issue 16): what the purge of an election anonymises in this module.

Kept: every row, so the counts per TPS/kelurahan/kecamatan, roles, statuses, BPJS coverage
(status, months, funding), screening results and dates, incidents (kind, date, on duty),
claims (programme, status, amounts) and duty hours stay as they were. Blanked or replaced:
what names, reaches or describes the person — NIK (a ``#`` followed by the row's id, never a
valid NIK, so the one-post-per-NIK constraint holds), name ("Petugas #<id>"), phone,
address, the day and month of birth (the year stays for age roll-ups), the BPJS membership
number; the screening's measurements and note (blood pressure 0/0 means removed); an
incident's description, place and Dinkes follow-up; claim and duty-log notes."""

from __future__ import annotations

from django.db.models import CharField, DateField, Q, Value
from django.db.models.functions import Cast, Concat, LPad, Trunc
from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.workers.models import Claim, DutyLog, Incident, Screening, Worker

REMOVED = "[dihapus]"  # stored text that replaces a description (data, not interface)
NIK_MARK = "#"


def _workers(election_id):
    return Worker.objects.filter(election_id=election_id).exclude(nik__startswith=NIK_MARK)


def _purge_workers(election_id, batch):
    pks = retention.batch_pks(_workers(election_id), batch)
    Worker.objects.filter(pk__in=pks).update(
        nik=Concat(Value(NIK_MARK), LPad(Cast("pk", CharField()), 15, Value("0"))),
        full_name=Concat(Value("Petugas #"), Cast("pk", CharField())),
        phone="", address="", bpjs_number="",
        birth_date=Trunc("birth_date", "year", output_field=DateField()))
    return len(pks)


def _screenings(election_id):
    return Screening.objects.filter(worker__election_id=election_id).filter(
        Q(systolic__gt=0) | Q(diastolic__gt=0) | Q(blood_sugar__isnull=False)
        | Q(cholesterol__isnull=False) | ~Q(note=""))


def _purge_screenings(election_id, batch):
    pks = retention.batch_pks(_screenings(election_id), batch)
    Screening.objects.filter(pk__in=pks).update(systolic=0, diastolic=0, blood_sugar=None,
                                                cholesterol=None, note="")
    return len(pks)


def _incidents(election_id):
    return Incident.objects.filter(worker__election_id=election_id).exclude(
        description=REMOVED, place="", followup="")


def _purge_incidents(election_id, batch):
    pks = retention.batch_pks(_incidents(election_id), batch)
    Incident.objects.filter(pk__in=pks).update(description=REMOVED, place="", followup="")
    return len(pks)


def _notes(model, election_id):
    return model.objects.filter(**{f"{'incident__' if model is Claim else ''}worker__election_id":
                                   election_id}).exclude(note="")


def _purge_notes(model):
    def purge(election_id, batch):
        pks = retention.batch_pks(_notes(model, election_id), batch)
        model.objects.filter(pk__in=pks).update(note="")
        return len(pks)
    return purge


def register() -> None:
    retention.register("workers.worker", _("Ad hoc workers"), lambda e: _workers(e).count(),
                       _purge_workers, order=10, model=Worker,
                       rows=lambda e: Worker.objects.filter(election_id=e),
                       audit_fields=("full_name", "address", "birth_date", "bpjs_number"),
                       fields=_("NIK, name, phone, address, day and month of birth, BPJS number"))
    retention.register("workers.screening", _("Health screenings"),
                       lambda e: _screenings(e).count(), _purge_screenings, order=11,
                       model=Screening, audit_fields=Screening.audit_exclude,
                       rows=lambda e: Screening.objects.filter(worker__election_id=e),
                       fields=_("measurements and note (the result stays)"))
    retention.register("workers.incident", _("Worker incidents"), lambda e: _incidents(e).count(),
                       _purge_incidents, order=12, model=Incident,
                       rows=lambda e: Incident.objects.filter(worker__election_id=e),
                       audit_fields=("description", "place", "followup"),
                       fields=_("description, place, follow-up (kind, date and claims stay)"))
    retention.register("workers.claim", _("BPJS claims"), lambda e: _notes(Claim, e).count(),
                       _purge_notes(Claim), order=13, model=Claim, audit_fields=("note",),
                       rows=lambda e: Claim.objects.filter(incident__worker__election_id=e),
                       fields=_("note (amounts stay)"))
    retention.register("workers.dutylog", _("Duty log"), lambda e: _notes(DutyLog, e).count(),
                       _purge_notes(DutyLog), order=14, model=DutyLog, audit_fields=("note",),
                       rows=lambda e: DutyLog.objects.filter(worker__election_id=e),
                       fields=_("note (hours stay)"))
