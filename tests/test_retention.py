"""Retention of personal data per election (issue 16): the dry-run changes nothing, the purge
anonymises exactly the personal fields and keeps the aggregates, it runs only when approved by
a Desk admin and due, it is idempotent and audited per module; expired API tokens are purged."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import translation

from posko.accounts import tokens
from posko.accounts.housekeeping import PURGE_TOKENS
from posko.accounts.models import ApiToken
from posko.core import audit, clock, jobs, retention, schedule
from posko.core.models import AuditEntry, Job
from posko.elections import retention as election_retention
from posko.elections.models import Election, Retention
from posko.incidents.models import Evidence, NeutralityCase, Report
from posko.logistics.models import Shipment
from posko.workers.models import Claim, DutyLog, Incident, Screening, Worker
from tests.incidents_fixtures import make_report
from tests.workers_fixtures import make_worker

FAR = datetime.date(2099, 1, 1)
MODELS = (Worker, Screening, Incident, Claim, DutyLog, Report, Evidence, NeutralityCase, Shipment)


def place(worker):
    return {"kecamatan_id": worker.kecamatan_id, "kelurahan_id": worker.kelurahan_id,
            "kabkota_id": worker.kabkota_id}


@pytest.fixture
def data(world, users):
    admin = users["admin"]
    a = make_worker(admin, world.tps_a, name="Budi Santoso", address="Jl. Kawi 3",
                    bpjs_number="BP123", bpjs_status=Worker.Bpjs.AKTIF)
    b = make_worker(admin, world.tps_b, name="Siti Aminah", role=Worker.Role.LINMAS,
                    birth=datetime.date(1990, 8, 9), sex="P")
    Screening.objects.create(worker=a, date=datetime.date(2024, 11, 1), facility_kind="puskesmas",
                             systolic=150, diastolic=95, blood_sugar=180, result="catatan",
                             note="hipertensi", **place(a))
    incident = Incident.objects.create(worker=a, kind="sakit", date=datetime.date(2024, 11, 27),
                                       place="Rumah Jl. Kawi 3", description="Pingsan, jantung",
                                       followup="Dirujuk RSSA", **place(a))
    Claim.objects.create(incident=incident, programme="jkk", amount=Decimal("5000000"),
                         note="ahli waris Budi", **place(a))
    DutyLog.objects.create(worker=a, date=datetime.date(2024, 11, 27), hours=Decimal("21"),
                           note="lembur", **place(a))
    public = make_report(world, admin, reporter_name="Pak Joko",
                         reporter_contact="0812999", client_hash="abc")
    make_report(world, admin)  # entered by an official: no personal data
    Evidence.objects.create(report=public, file="laporan/x.jpg", kind="jpeg", original_name="x.jpg",
                            size=10, latitude=Decimal("-7.98"), longitude=Decimal("112.63"))
    case = NeutralityCase.objects.create(
        election=world.election, agency=users["agency"].agency, asn_name="Tuti Lestari",
        asn_position="Lurah Klojen", act="Kampanye", occurred_on=datetime.date(2024, 10, 1),
        breach_type="disiplin", sanction="disiplin_sedang")
    shipment = Shipment.objects.create(election=world.election, from_level="pps", to_level="tps",
                                       kecamatan=world.kec_a, kelurahan=world.kel_a, tps=world.tps_a,
                                       driver="Pak Slamet", receiver_name="Budi Santoso",
                                       dispatched_at=clock.now())
    for obj in (case, shipment, incident):  # as their services would have audited them
        audit.record("create", obj, actor=admin, after=audit.snapshot(obj))
    return {"a": a, "b": b, "public": public, "case": case}


def everything():
    return {model.__name__: sorted((model_to_dict(obj) for obj in model.objects.all()),
                                   key=lambda row: row["id"]) for model in MODELS}


def aggregates():
    return {
        "per_tps": list(Worker.objects.values("tps", "role", "status", "bpjs_status",
                                              "screening_result").annotate(n=Count("pk"))
                        .order_by("tps", "role")),
        "ages": list(Worker.objects.values_list("birth_date__year", flat=True).order_by("pk")),
        "claims": Claim.objects.aggregate(total=Sum("amount"), n=Count("pk")),
        "hours": DutyLog.objects.aggregate(Sum("hours")),
        "reports": list(Report.objects.values("category", "tps", "state").annotate(n=Count("pk"))
                        .order_by("category", "tps")),
        "cases": list(NeutralityCase.objects.values_list("agency", "breach_type", "sanction",
                                                         "status")),
        "shipments": Shipment.objects.count(),
    }


def retention_url(election):
    return reverse("elections:election_retention", args=[election.pk])


EXPECTED = {"workers.worker": 2, "workers.screening": 1, "workers.incident": 1, "workers.claim": 1,
            "workers.dutylog": 1, "incidents.report": 1, "incidents.evidence": 1,
            "incidents.case": 1, "incidents.evidence_file": 0, "incidents.evidence_name": 1, "incidents.report_text": 4,
            "incidents.comment_text": 0, "incidents.case_text": 1, "logistics.shipment": 1,
            "outreach.attendance_file": 0, "voting.photo_original": 0}


def test_default_date_is_twelve_months_after_voting_day_and_leap_days_fall_back():
    assert election_retention.default_date(datetime.date(2024, 11, 27)) == datetime.date(2025, 11, 27)
    assert election_retention.default_date(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)
    assert election_retention.default_date(datetime.date(2024, 6, 30), 8) == datetime.date(2025, 2, 28)


def test_dry_run_page_and_command_count_and_change_nothing(world, data, personas):
    before, audit_before = everything(), AuditEntry.objects.count()
    personas["admin"].client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        response = personas["admin"].client.get(retention_url(world.election))
    assert response.status_code == 200
    rows = {entry["key"]: entry["rows"] for entry in response.context["report"]}
    assert rows == EXPECTED
    assert b"Retention of personal data" in response.content
    assert "27 November 2025" in response.content.decode()  # the default date
    out = StringIO()
    call_command("purge_personal_data", "--election", str(world.election.pk), "--dry-run", stdout=out)
    assert "workers.worker: 2" in out.getvalue() and "incidents.case: 1" in out.getvalue()
    assert everything() == before
    assert AuditEntry.objects.count() == audit_before
    assert Retention.objects.get().purged_at is None


def test_purge_anonymises_exactly_the_personal_fields_and_keeps_aggregates(world, data, users):
    before, sums = everything(), aggregates()
    Retention.objects.create(election=world.election, retain_until=datetime.date(2025, 1, 1))
    done = election_retention.purge(world.election.pk, actor=users["admin"], batch=1)
    assert done == EXPECTED
    assert aggregates() == sums
    after = everything()
    changed = {name: {key for row_b, row_a in zip(before[name], after[name], strict=True)
                      for key in row_b if row_b[key] != row_a[key]} for name in before}
    assert changed == {
        "Worker": {"nik", "full_name", "phone", "address", "birth_date", "bpjs_number"},
        "Screening": {"systolic", "diastolic", "blood_sugar", "note"},
        "Incident": {"description", "place", "followup"},
        "Claim": {"note"}, "DutyLog": {"note"},
        "Report": {"reporter_name", "reporter_contact", "title", "description"},  # and client_hash
        "Evidence": {"latitude", "longitude", "original_name"},
        "NeutralityCase": {"asn_name", "asn_position", "act"},  # free text: [dihapus: retensi]
        "Shipment": {"driver", "receiver_name"},
    }
    a = Worker.objects.get(pk=data["a"].pk)
    assert (a.full_name, a.nik, a.phone, a.address, a.bpjs_number) == (
        f"Petugas #{a.pk}", f"#{a.pk:015d}", "", "", "")
    assert a.birth_date == datetime.date(1985, 1, 1)
    assert NeutralityCase.objects.get().asn_name == f"ASN #{data['case'].pk}"
    assert Incident.objects.get().description == "[dihapus]"
    assert set(Report.objects.values_list("client_hash", flat=True)) == {""}
    assert retention.dry_run(world.election.pk) and all(
        rows == 0 for _source, rows in retention.dry_run(world.election.pk))


PERSONAL = ("Budi Santoso", "Siti Aminah", "Kawi", "Pak Slamet", "Lurah Klojen", "jantung", "RSSA")


def audit_text():
    return json.dumps([[e.object_repr, e.before, e.after, e.message] for e in AuditEntry.objects.all()],
                      default=str)


def test_purge_scrubs_the_audit_logs_copies_and_keeps_the_rest(world, data, users):
    text = audit_text()
    assert all(word in text for word in ("Budi Santoso", "Siti Aminah", "Kawi", "Pak Slamet",
                                         "Lurah Klojen", "jantung"))
    entries = AuditEntry.objects.count()
    Retention.objects.create(election=world.election, retain_until=datetime.date(2025, 1, 1))
    election_retention.purge(world.election.pk, actor=users["admin"])
    text = audit_text()
    assert not [word for word in PERSONAL if word in text]
    assert AuditEntry.objects.count() == entries + 3  # one row per module, nothing deleted
    worker_entry = AuditEntry.objects.filter(object_id=str(data["a"].pk),
                                             content_type__model="worker").first()
    assert worker_entry.object_repr.startswith(f"Petugas #{data['a'].pk}")
    assert worker_entry.after["role"] == "kpps_anggota" and "full_name" not in worker_entry.after
    assert "audit rows scrubbed: " in AuditEntry.objects.get(
        message__startswith="Personal data anonymised (workers)").message


def test_purge_touches_only_the_election_named(world, data, users):
    other = Election.objects.create(name="Pilkada 2029", voting_date=datetime.date(2029, 11, 27))
    Retention.objects.create(election=other, retain_until=datetime.date(2030, 1, 1))
    before = everything()
    assert sum(election_retention.purge(other.pk, actor=users["admin"]).values()) == 0
    assert everything() == before


def test_purge_is_idempotent_and_audited_once_per_module(world, data, users):
    Retention.objects.create(election=world.election, retain_until=datetime.date(2025, 1, 1))
    election_retention.purge(world.election.pk, actor=users["admin"])
    entries = AuditEntry.objects.filter(message__startswith="Personal data anonymised")
    assert sorted(e.object_repr.rsplit(": ", 1)[1] for e in entries) == ["incidents", "logistics", "workers"]
    workers_entry = entries.get(object_repr__endswith=": workers")
    assert "workers.worker 2" in workers_entry.message and "workers.screening 1" in workers_entry.message
    assert workers_entry.username == "admin"
    assert "Budi" not in "".join(e.message for e in entries)
    row = Retention.objects.get()
    assert row.purged_at is not None and row.purged_counts == EXPECTED
    first_purge, snapshot, audit_count = row.purged_at, everything(), AuditEntry.objects.count()

    again = election_retention.purge(world.election.pk, actor=users["admin"])
    assert sum(again.values()) == 0
    assert everything() == snapshot and AuditEntry.objects.count() == audit_count
    row.refresh_from_db()
    assert row.purged_at == first_purge and row.purged_counts == EXPECTED


def test_admin_approves_a_due_purge_and_the_job_runs_it(world, data, personas, users,
                                                          django_capture_on_commit_callbacks):
    client = personas["admin"].client
    client.get(retention_url(world.election))
    row = Retention.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retention_url(world.election),
                               {"action": "approve", "version": row.version})
    assert response.status_code == 302
    job = Job.objects.get(kind=election_retention.PURGE_JOB)
    assert job.status == Job.Status.DONE and job.params == {"election": world.election.pk}
    assert job.result == EXPECTED
    row.refresh_from_db()
    assert row.approved_by == users["admin"] and row.approved_counts == EXPECTED
    assert row.purged_at is not None
    assert not Worker.objects.filter(full_name="Budi Santoso").exists()
    assert AuditEntry.objects.filter(message__startswith="Purge of personal data approved").count() == 1
    page = client.get(retention_url(world.election))
    assert page.context["row"].purged_at is not None
    assert b'data-testid="purged">' + b"not yet" not in page.content


def test_not_due_approval_waits_for_the_daily_job_and_a_date_change_withdraws_it(
        world, data, personas, django_capture_on_commit_callbacks):
    client = personas["admin"].client
    client.get(retention_url(world.election))
    row = Retention.objects.get()
    response = client.post(retention_url(world.election),
                           {"action": "date", "retain_until": "2099-01-01", "version": row.version})
    assert response.status_code == 302
    row.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retention_url(world.election), {"action": "approve", "version": row.version})
        election_retention.due_job(None)
    assert not Job.objects.filter(kind=election_retention.PURGE_JOB).exists()
    row.refresh_from_db()
    assert row.approved_at is not None and row.purged_at is None

    # Moving the date into the past withdraws the approval: the daily job still waits.
    client.post(retention_url(world.election),
                {"action": "date", "retain_until": "2025-06-01", "version": row.version})
    row.refresh_from_db()
    assert row.approved_at is None and row.approved_counts == {}
    with django_capture_on_commit_callbacks(execute=True):
        election_retention.due_job(None)
    assert not Job.objects.filter(kind=election_retention.PURGE_JOB).exists()
    assert Worker.objects.filter(full_name="Budi Santoso").exists()

    # Approved again (the date has passed): queued at once.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retention_url(world.election), {"action": "approve", "version": row.version})
    assert Job.objects.get(kind=election_retention.PURGE_JOB).status == Job.Status.DONE
    assert not Worker.objects.filter(full_name="Budi Santoso").exists()


def test_daily_job_purges_approved_due_elections_only(world, data, users,
                                                      django_capture_on_commit_callbacks):
    assert any(p.key == election_retention.DUE_JOB for p in schedule.periodic())
    Retention.objects.create(election=world.election, retain_until=datetime.date(2025, 1, 1),
                             approved_at=clock.now(), approved_by=users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        election_retention.due_job(None)
    assert Job.objects.get(kind=election_retention.PURGE_JOB).status == Job.Status.DONE
    assert Retention.objects.get().purged_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        election_retention.due_job(None)  # purged: not queued again
    assert Job.objects.filter(kind=election_retention.PURGE_JOB).count() == 1


def test_purge_job_refuses_without_approval_or_before_the_date(world, data, users,
                                                               django_capture_on_commit_callbacks):
    row = Retention.objects.create(election=world.election, retain_until=datetime.date(2025, 1, 1))
    before = everything()
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue(election_retention.PURGE_JOB, label="x", params={"election": world.election.pk})
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "not approved" in job.error
    Retention.objects.filter(pk=row.pk).update(retain_until=FAR, approved_at=clock.now())
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue(election_retention.PURGE_JOB, label="x", params={"election": world.election.pk})
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "not been reached" in job.error
    assert everything() == before


@pytest.mark.parametrize("value, message", [
    ("2024-11-27", "The date must be after voting day (27-11-2024)."),
    ("", "This field is required."),
    ("kemarin", "Enter a valid date."),
])
def test_bad_date_is_refused_and_nothing_saved(world, personas, value, message):
    client = personas["admin"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get(retention_url(world.election))
    row = Retention.objects.get()
    with translation.override("en"):
        response = client.post(retention_url(world.election),
                               {"action": "date", "retain_until": value, "version": row.version})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Retention.objects.get().retain_until == row.retain_until
    assert Retention.objects.get().version == row.version


def test_stale_version_is_a_conflict_and_nothing_is_approved(world, data, personas):
    client = personas["admin"].client
    client.get(retention_url(world.election))
    row = Retention.objects.get()
    response = client.post(retention_url(world.election),
                           {"action": "date", "retain_until": "2099-01-01", "version": row.version + 5})
    assert response.status_code == 409
    client.post(retention_url(world.election), {"action": "approve", "version": row.version + 5})
    row.refresh_from_db()
    assert row.approved_at is None and row.retain_until == datetime.date(2025, 11, 27)
    assert Worker.objects.filter(full_name="Budi Santoso").exists()


@pytest.mark.parametrize("persona", ["kecamatan_a", "kelurahan_a", "kelurahan_b", "agency",
                                     "pemantau", "anonymous"])
def test_only_desk_admins_see_or_approve(world, data, personas, persona,
                                         django_capture_on_commit_callbacks):
    client = personas[persona].client
    url = retention_url(world.election)
    before = everything()
    get = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        post = client.post(url, {"action": "approve", "version": 1})
    expected = 302 if persona == "anonymous" else 403
    assert get.status_code == expected and post.status_code == expected
    if persona == "anonymous":
        assert get["Location"].startswith(reverse("login"))
    assert everything() == before
    assert not Retention.objects.filter(approved_at__isnull=False).exists()
    assert not Job.objects.filter(kind=election_retention.PURGE_JOB).exists()


def test_unknown_election_is_a_404(world, personas):
    assert personas["admin"].client.get(reverse("elections:election_retention", args=[999999])
                                        ).status_code == 404


def test_election_page_links_to_retention_for_admins_only(world, personas):
    url = reverse("elections:election_detail", args=[world.election.pk])
    assert b'data-testid="retention-link"' in personas["admin"].client.get(url).content
    assert b'data-testid="retention-link"' not in personas["pemantau"].client.get(url).content


def test_command_refuses_before_the_date_then_purges(world, data):
    Retention.objects.create(election=world.election, retain_until=FAR)
    before = everything()
    with pytest.raises(CommandError, match="has not been reached"), translation.override("en"):
        call_command("purge_personal_data", "--election", str(world.election.pk), stdout=StringIO())
    assert everything() == before
    with pytest.raises(CommandError):
        call_command("purge_personal_data", "--election", "999999", stdout=StringIO())
    Retention.objects.update(retain_until=datetime.date(2025, 1, 1))
    call_command("purge_personal_data", "--election", str(world.election.pk), stdout=StringIO())
    assert not Worker.objects.filter(full_name="Budi Santoso").exists()
    entry = AuditEntry.objects.filter(message__startswith="Personal data anonymised (workers)").get()
    assert entry.username == "posko purge_personal_data" and entry.user is None


def test_token_purge_job_removes_only_expired_tokens(world, users, django_capture_on_commit_callbacks):
    assert any(p.key == PURGE_TOKENS and p.job_key == PURGE_TOKENS for p in schedule.periodic())
    fresh, _key = tokens.create(users["admin"], name="masih berlaku")
    old, _key = tokens.create(users["kelurahan_a"], name="kedaluwarsa")
    ApiToken.objects.filter(pk=old.pk).update(expiry=clock.real_now() - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.enqueue(PURGE_TOKENS, label="tokens")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result == {"deleted": 1}
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [fresh.pk]
