"""The world of the URL sweep (tests/test_url_sweep.py): the persona world of conftest plus one
object of every model a route takes a key of, placed in kelurahan A (or owned by a kelurahan A
user), and its twin placed in kelurahan B.

Objects are made through the modules' services and the helpers of their tests, as the pages
make them, so every page has something real to render. ``SweepWorld.objects`` maps a *kind*
(the name the route table of the sweep uses) to ``(object in A, twin in B)``; a Pemda-wide
object has itself as its twin.
"""

from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from posko.accounts import tokens as api_tokens
from posko.accounts.models import Agency
from posko.coordination.models import (
    Decision,
    Division,
    Meeting,
    Notification,
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    Task,
    TaskTemplate,
    TaskTemplateItem,
)
from posko.coordination.services import checklists as checklist_services
from posko.coordination.services import tasks as coordination_services
from posko.core import jobs
from posko.core.models import AuditEntry, Job, UploadSession
from posko.elections.models import CandidatePair, Contest, Stage
from posko.incidents import services as incident_services
from posko.incidents.models import NeutralityCase, Pledge, ProhibitedAct
from posko.logistics.models import (
    Item,
    Requirement,
    Shipment,
    Shortfall,
    SupportRequest,
    TpsReadiness,
)
from posko.logistics.services import catalogue
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.outreach import services as outreach_services
from posko.portal.models import PortalSettings
from posko.readiness.services.compute import refresh as refresh_readiness
from posko.voting import services as voting_services
from posko.voting.services import evidence as voting_evidence
from posko.voting.services import quickcount as quick_count_services
from posko.vulnerability.instrument import current, ensure_rules
from posko.vulnerability.models import Assessment, MitigationAction, MitigationRule
from posko.vulnerability.services import mitigation as vulnerability_services
from posko.workers import services as worker_services
from posko.workers.models import Claim, Incident, Screening, Worker
from tests.conftest import World
from tests.incidents_fixtures import category, make_report, photo
from tests.media_fixtures import pdf_bytes
from tests.outreach_fixtures import add_activity, png
from tests.vulnerability_fixtures import set_values
from tests.workers_fixtures import make_worker

PDF = pdf_bytes()  # a real PDF: uploads are read and written again without metadata
DAY = datetime.date(2024, 11, 20)
DISPATCHED = datetime.datetime(2024, 11, 25, 8, 0, tzinfo=datetime.UTC)
RECEIVED = datetime.datetime(2024, 11, 25, 14, 0, tzinfo=datetime.UTC)
TURNOUT = {"registered_dptb": 5, "registered_dpk": 3, "voted_dpt": 300, "voted_dptb": 4,
           "voted_dpk": 3}


@dataclass
class SweepWorld:
    world: World
    users: dict
    objects: dict[str, tuple] = field(default_factory=dict)

    def add(self, kind, a, b=None):
        self.objects[kind] = (a, a if b is None else b)


def _pemda_wide(sw: SweepWorld) -> None:
    w, admin = sw.world, sw.users["admin"]
    election = w.election
    dinkes = sw.users["agency"].agency
    satpol = Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP")
    stage = Stage.objects.create(election=election, name="Masa tenang",
                                 start_date=datetime.date(2024, 11, 24),
                                 end_date=datetime.date(2024, 11, 26))
    contest = Contest.objects.create(election=election, name="Wali Kota Malang",
                                     level=Contest.Level.WALIKOTA, provinsi_id="35",
                                     kabkota_id="35.73")
    pair = CandidatePair.objects.create(contest=contest, ballot_number=1, head_name="Calon Satu",
                                        deputy_name="Wakil Satu")
    division = Division.objects.create(name="Bidang Keamanan", lead=satpol)
    division.members.set([satpol, dinkes])
    template = TaskTemplate.objects.create(name="H-1 logistik", level=TaskTemplate.Level.KELURAHAN)
    template_item = TaskTemplateItem.objects.create(
        template=template, title="Pantau distribusi logistik", agency=satpol,
        days_from_voting_day=-1, due_time=datetime.time(16, 0), checklist="Kotak suara diterima")
    meeting = Meeting.objects.create(
        election=election, title="Rakor Desk H-7", place="Balai Kota", chair="Sekda",
        starts_at=timezone.now() - datetime.timedelta(hours=2), created_by=admin)
    meeting.agencies.set([dinkes])
    decision = Decision.objects.create(meeting=meeting, text="Siagakan ambulans", agency=dinkes,
                                       assignee=sw.users["agency"], order=1)
    checklist = SupervisionChecklist.objects.create(
        election=election, stage=stage, title="Masa tenang: APK dibersihkan",
        level=SupervisionChecklist.Level.KELURAHAN)
    checklist_item = SupervisionItem.objects.create(checklist=checklist, text="APK diturunkan")
    checklist_item.agencies.set([satpol])
    catalogue.install_defaults(election, actor=admin)  # items and the TPS's requirements
    ensure_rules(election)
    instrument = current(election)
    pledge = incident_services.save_pledge(
        Pledge(election=election, agency=dinkes, asn_total=40, asn_covered=40,
               signed_on=datetime.date(2024, 10, 1), signatory="Kepala Dinkes"), actor=admin,
        document=SimpleUploadedFile("pakta.pdf", PDF, "application/pdf"))
    incident_services.ensure_acts(election)
    act = ProhibitedAct.objects.get(election=election, code="KE-04")
    case = incident_services.save_case(
        NeutralityCase(election=election, agency=dinkes, asn_name="Budi Santoso", act="Kampanye",
                       occurred_on=datetime.date(2024, 10, 10), prohibited_act=act,
                       breach_type=NeutralityCase.BreachType.KODE_ETIK), actor=admin)
    sw.add("election", election)
    sw.add("stage", stage)
    sw.add("contest", contest)
    sw.add("pair", pair)
    sw.add("agency", dinkes)
    sw.add("division", division)
    sw.add("template", template)
    sw.add("template_item", template_item)
    sw.add("meeting", meeting)
    sw.add("decision", decision)
    sw.add("checklist", checklist)
    sw.add("checklist_item", checklist_item)
    sw.add("item", Item.objects.filter(election=election).order_by("pk").first())
    sw.add("rule", MitigationRule.objects.filter(election=election).order_by("pk").first())
    sw.add("instrument", instrument)
    sw.add("indicator", instrument.indicators.order_by("pk").first())
    sw.add("category", category())
    sw.add("pledge", pledge)
    sw.add("case", case)
    sw.add("act", act)
    sw.add("user", sw.users["kelurahan_a"], sw.users["kelurahan_b"])
    sw.add("api_token", api_tokens.create(sw.users["kelurahan_a"], name="sweep")[0],
           api_tokens.create(sw.users["kelurahan_b"], name="sweep")[0])
    sw.add("upload_session", *(UploadSession.objects.create(
        id=uuid.uuid4(), user=sw.users[name], name="c.jpg", size=10, sha256="0" * 64,
        expires_at=timezone.now() + datetime.timedelta(hours=1)) for name in ("kelurahan_a", "kelurahan_b")))


def _placed(sw: SweepWorld, side: str) -> dict:
    """One object of every placed kind in kelurahan ``side`` ("a" or "b")."""
    w, admin = sw.world, sw.users["admin"]
    tps, kel = (w.tps_a, w.kel_a) if side == "a" else (w.tps_b, w.kel_b)
    operator = sw.users["kelurahan_a" if side == "a" else "kelurahan_b"]
    election = w.election
    agency = sw.users["agency"].agency
    found = {"tps": tps, "kelurahan": kel, "kecamatan": kel.kecamatan}

    task = coordination_services.create_task(
        Task(election=election, title=f"Cek kesiapan TPS {side}", agency=agency, kelurahan=kel,
             due_at=timezone.now() + datetime.timedelta(days=5)),
        actor=admin, assignees=[operator], checklist=["Kotak suara tiba"])
    note = coordination_services.add_note(task, actor=admin, text="Berita acara", files=[
        SimpleUploadedFile("berita acara.pdf", PDF, "application/pdf")])
    found.update(task=task, task_item=task.checklist.get(),
                 attachment=note.attachments.get())
    checklist_item = sw.objects["checklist_item"][0]
    checklist_services.save_answers(checklist_item.checklist, kel, [checklist_services.Answer(
        checklist_item, SupervisionResponse.Answer.UNMET, "Baliho masih terpasang", png())],
        actor=operator)
    found["response"] = SupervisionResponse.objects.get(item=checklist_item, kelurahan=kel)
    result = jobs.jobs_dir() / f"sweep-{side}.csv"
    result.write_bytes(b"kode,nama\n")
    found["job"] = Job.objects.create(kind="core.export", label=f"Ekspor {side}",
                                      requested_by=operator, status=Job.Status.DONE,
                                      file_path=str(result), file_name="ekspor.csv",
                                      content_type="text/csv")
    found["notification"] = Notification.objects.create(
        user=operator, kind=Notification.Kind.ASSIGNED, title=task.title, key=f"sweep-{side}",
        task=task, url=task.get_absolute_url())

    items = list(Item.objects.filter(election=election).order_by("pk")[:2])
    shipment = create_shipment(
        election, Shipment.Level.PPS, Shipment.Level.TPS, tps, {i: 2 for i in items},
        seal_numbers="KPU-001", vehicle="N 1234 AB", driver="Pak Slamet",
        dispatched_at=DISPATCHED, actor=operator)
    confirm_receipt(shipment, {items[0].pk: (2, 1, ""), items[1].pk: (2, 0, "")},
                            "Bu Sri (KPPS)", RECEIVED, png(), actor=operator,
                            expected_version=1)
    found.update(shipment=shipment,
                 shortfall=Shortfall.objects.filter(tps=tps).order_by("pk").first(),
                 requirement=Requirement.objects.filter(tps=tps).order_by("pk").first(),
                 readiness=TpsReadiness.objects.get(tps=tps))
    found["support"] = SupportRequest.objects.create(
        election=election, kind=SupportRequest.Kind.AMBULANS, quantity=1,
        kecamatan=kel.kecamatan, kelurahan=kel, tps=tps, agency=agency,
        needed_by=datetime.datetime(2024, 11, 27, 6, 0, tzinfo=datetime.UTC))

    set_values(election, admin, [(tps, "rawan_bencana", 1)])
    found["assessment"] = Assessment.objects.get(tps=tps, indicator__code="rawan_bencana")
    found["action"] = vulnerability_services.create_action(MitigationAction(
        election=election, tps=tps, variable="lokasi", indicator="rawan_bencana",
        title="Siaga BPBD", due_date=datetime.date(2024, 11, 24)), actor=admin)

    worker = make_worker(admin, tps, name=f"Petugas {side.upper()}", bpjs_status="aktif",
                         bpjs_number="2401", bpjs_jkk=True, bpjs_start=datetime.date(2024, 11, 1),
                         bpjs_end=datetime.date(2024, 12, 31))
    screening = worker_services.record_screening(Screening(
        worker=worker, date=DAY, facility_kind=Screening.Facility.PUSKESMAS, systolic=120,
        diastolic=80, result=Worker.Screening.LAYAK), actor=admin)
    incident = worker_services.record_incident(Incident(
        worker=worker, kind=Incident.Kind.KECELAKAAN, date=datetime.date(2024, 11, 27),
        place="TPS", description="Jatuh"), actor=admin)
    claim = worker_services.save_claim(Claim(incident=incident, programme=Claim.Programme.JKK),
                                       actor=admin)
    found.update(worker=worker, screening=screening, incident=incident, claim=claim)

    report = make_report(w, operator, tps=tps, files=[photo()])
    found.update(report=report, evidence=report.evidence.get(), public_code=report.code)
    # The public portal (issue 17), switched on: its routes take codes, not scoped objects.
    PortalSettings.objects.update_or_create(election=election, defaults={"is_public": True})
    found.update(portal_kelurahan=kel.pk, portal_tps_number=str(tps.number),
                 language_code="id", open_data_file="tps.csv")

    activity = add_activity(w, operator, kel=kel)
    activity = outreach_services.save_activity(activity, None, actor=operator, photos=[png()])
    found.update(activity=activity, activity_file=activity.attachments.get())
    found["turnout"] = outreach_services.save_turnout(tps, TURNOUT, actor=operator)
    outreach_services.set_target(election, kecamatan=kel.kecamatan, kelurahan=kel,
                                 percent=Decimal("80"), actor=admin)
    opened = timezone.make_aware(datetime.datetime.combine(election.voting_date,
                                                           datetime.time(7, 30)))
    voting_services.record_report(tps, actor=operator, election=election, state="dibuka",
                                  kpps_present=7, linmas_present=2, happened_at=opened,
                                  now=opened)
    voting_services.submit_result(
        tps, Contest.objects.get(election=election, name="Wali Kota Malang"), actor=operator,
        election=election, votes={1: 200}, now=opened + datetime.timedelta(hours=7),
        values={"voters_dpt": 205, "valid": 200, "invalid": 5, "ballots_received": 420,
                "ballots_used": 205, "ballots_unused": 215})
    found["photo"] = voting_evidence.add_photo(
        tps, Contest.objects.get(election=election, name="Wali Kota Malang"), actor=operator,
        election=election, source="pemda", page=1, upload=_chasil_png())
    return found


def _chasil_png() -> SimpleUploadedFile:
    """A real (decodable) PNG: C.Hasil photos are opened by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (220, 220, 220)).save(out, "PNG")
    return SimpleUploadedFile("chasil.png", out.getvalue(), content_type="image/png")


def build(world: World, users: dict) -> SweepWorld:
    sw = SweepWorld(world, users)
    _pemda_wide(sw)
    a, b = _placed(sw, "a"), _placed(sw, "b")
    for kind in a:
        sw.add(kind, a[kind], b[kind])
    _quick_count(sw)
    sw.add("audit_entry", AuditEntry.objects.order_by("pk").first())
    refresh_readiness(sw.world.election)  # the readiness pages and API read stored rows
    return sw


def _quick_count(sw: SweepWorld) -> None:
    """A locked quick-count sample of every TPS (drawn a week before voting day), so the
    estimate page shows its estimate from the two C.Hasil above."""
    admin, election = sw.users["admin"], sw.world.election
    week_before = timezone.make_aware(datetime.datetime.combine(
        election.voting_date - datetime.timedelta(days=7), datetime.time(10, 0)))
    contest = Contest.objects.get(election=election, name="Wali Kota Malang")
    design = quick_count_services.save_design(
        contest, {"strata": "kecamatan", "sample_size": 3, "min_per_stratum": 1, "seed": 1,
                  "show_after_percent": 0}, actor=admin, election=election, now=week_before)
    design = quick_count_services.draw_sample(design, actor=admin, election=election,
                                              now=week_before)
    quick_count_services.lock_sample(design, actor=admin, election=election, now=week_before)

