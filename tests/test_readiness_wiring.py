"""Each module announces a change of what its readiness component reads
(``core.readiness.changed``), so the index follows within seconds (a fan-out job after the
commit; inline in tests) instead of waiting for the 15-minute recompute: logistics
(receipts, through its own readiness refresh), workers (BPJS coverage, screening),
vulnerability (a mitigation action added or done), incidents (a serious report received,
closed, moved), coordination (a high-priority task at a TPS created or closed)."""

import datetime

import pytest
from django.utils import timezone, translation

from posko.coordination.models import Task
from posko.coordination.services import tasks as task_services
from posko.core import audit
from posko.core import readiness as registry
from posko.incidents import services as incident_services
from posko.incidents.models import State
from posko.logistics.services import readiness as logistics_readiness
from posko.readiness.models import TpsIndex
from posko.readiness.services import compute
from posko.vulnerability.models import MitigationAction
from posko.vulnerability.services import mitigation
from posko.workers import services as worker_services
from posko.workers.models import Screening, Worker
from tests.incidents_fixtures import make_report
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the components' reasons, read below
        yield


@pytest.fixture
def agency(db):
    from posko.accounts.models import Agency

    return Agency.objects.create(name="Bakesbangpol", short_name="Kesbang")


@pytest.fixture
def announced():
    """Every (component key, TPS ids) announced, as the readiness consumer hears it."""
    heard = []

    def listen(sender, election, tps_ids=None, **kwargs):
        heard.append((sender, None if tps_ids is None else sorted(tps_ids)))

    registry.component_changed.connect(listen, weak=False, dispatch_uid="test.wiring")
    yield heard
    registry.component_changed.disconnect(dispatch_uid="test.wiring")


def component(tps, key):
    return TpsIndex.objects.get(tps=tps).components.get(key)


def test_a_serious_report_lowers_the_tps_at_once_and_closing_it_restores(
        world, users, announced):
    compute.refresh(world.election)
    assert component(world.tps_a, "incidents")[0] == 1.0
    report = make_report(world, users["admin"], tps=world.tps_a, severity="kritis")
    assert ("incidents", [world.tps_a.pk]) in announced
    assert component(world.tps_a, "incidents")[0] == 0.0  # no 15-minute wait
    assert component(world.tps_b, "incidents")[0] == 1.0
    report = incident_services.transition(report, State.DIVERIFIKASI, actor=users["admin"],
                                          expected_version=report.version)
    announced.clear()
    report = incident_services.transition(report, State.SELESAI, actor=users["admin"],
                                          note="Selesai ditangani", expected_version=report.version)
    assert ("incidents", [world.tps_a.pk]) in announced
    assert component(world.tps_a, "incidents")[0] == 1.0


def test_a_low_report_announces_nothing(world, users, announced):
    make_report(world, users["admin"], tps=world.tps_a, severity="rendah")
    assert not [a for a in announced if a[0] == "incidents"]


def test_moving_a_serious_report_recomputes_both_tps(world, users, announced):
    report = make_report(world, users["admin"], tps=world.tps_a, severity="tinggi")
    announced.clear()
    before = audit.snapshot(report)
    report.tps = world.tps_a2
    report.kelurahan = world.tps_a2.kelurahan
    incident_services.update_triage(report, actor=users["admin"], before=before,
                                    expected_version=report.version)
    assert ("incidents", sorted([world.tps_a.pk, world.tps_a2.pk])) in announced


def test_a_high_priority_task_at_a_tps_and_its_closing(world, users, announced, agency):
    compute.refresh(world.election)
    task = task_services.create_task(Task(
        election=world.election, title="Ganti tenda", agency=agency, tps=world.tps_a,
        kelurahan=world.kel_a, priority=Task.Priority.MENDESAK,
        due_at=timezone.now() + datetime.timedelta(days=1), created_at=timezone.now()),
        actor=users["admin"])
    assert ("tasks", [world.tps_a.pk]) in announced
    assert component(world.tps_a, "tasks")[0] == 0.0
    announced.clear()
    task_services.change_status(task, Task.Status.SELESAI, actor=users["admin"],
                                expected_version=task.version)
    assert announced == [("tasks", [world.tps_a.pk])]
    assert component(world.tps_a, "tasks")[0] == 1.0


def test_a_normal_task_announces_nothing(world, users, announced, agency):
    task_services.create_task(Task(
        election=world.election, title="Rapat", agency=agency, tps=world.tps_a, kelurahan=world.kel_a,
        priority=Task.Priority.SEDANG, due_at=timezone.now() + datetime.timedelta(days=1),
        created_at=timezone.now()), actor=users["admin"])
    assert not [a for a in announced if a[0] == "tasks"]


def test_bpjs_coverage_and_screening_recompute_staffing(world, users, announced):
    worker = make_worker(users["admin"], world.tps_a)
    compute.refresh(world.election)
    assert "0 insured" in component(world.tps_a, "staffing")[1]
    announced.clear()
    before = worker_services.snapshot(worker)
    worker.bpjs_status, worker.bpjs_number, worker.bpjs_jkk = Worker.Bpjs.AKTIF, "2401", True
    worker.bpjs_start, worker.bpjs_end = datetime.date(2024, 11, 1), datetime.date(2024, 12, 31)
    worker_services.set_coverage(worker, actor=users["admin"], before=before)
    assert announced == [("staffing", [world.tps_a.pk])]
    assert "1 insured" in component(world.tps_a, "staffing")[1]
    announced.clear()
    worker_services.record_screening(Screening(
        worker=worker, date=datetime.date.today(), facility_kind=Screening.Facility.PUSKESMAS,
        systolic=120, diastolic=80, result=Worker.Screening.LAYAK), actor=users["admin"])
    assert announced == [("staffing", [world.tps_a.pk])]
    assert "1 screened" in component(world.tps_a, "staffing")[1]


def test_a_mitigation_action_and_its_kelurahan_wide_twin(world, users, announced):
    action = mitigation.create_action(MitigationAction(
        election=world.election, tps=world.tps_a, title="Patroli",
        due_date=datetime.date(2024, 11, 24)), actor=users["admin"])
    assert ("vulnerability", [world.tps_a.pk]) in announced
    announced.clear()
    before = audit.snapshot(action)
    action.status = MitigationAction.Status.DONE
    mitigation.update_action(action, actor=users["admin"], before=before,
                             expected_version=action.version)
    assert ("vulnerability", [world.tps_a.pk]) in announced
    announced.clear()
    mitigation.create_action(MitigationAction(
        election=world.election, kelurahan=world.kel_a, title="Sosialisasi warga",
        due_date=datetime.date(2024, 11, 24)), actor=users["admin"])
    assert ("vulnerability", [world.tps_a.pk]) in announced  # every TPS of the kelurahan


def test_logistics_announces_only_when_its_figures_change(world, announced):
    logistics_readiness.refresh(world.election, [world.tps_a.pk])
    first = [a for a in announced if a[0] == "logistics"]
    announced.clear()
    logistics_readiness.refresh(world.election, [world.tps_a.pk])  # nothing changed
    assert not [a for a in announced if a[0] == "logistics"]
    assert first in ([], [("logistics", [world.tps_a.pk])])


def test_a_vulnerability_value_and_a_derived_one_recompute_the_component(
        world, users, announced, django_capture_on_commit_callbacks):
    from posko.vulnerability.instrument import current
    from tests.vulnerability_fixtures import set_values

    current(world.election)  # the instrument exists (a fresh election has none)
    compute.refresh(world.election)
    assert component(world.tps_a, "vulnerability")[1] == "band rendah"
    announced.clear()
    set_values(world.election, users["admin"], [(world.tps_a, "politik_uang", 1),
                                                (world.tps_a, "rawan_bencana", 1)])
    assert ("vulnerability", [world.tps_a.pk]) in announced
    assert component(world.tps_a, "vulnerability")[1] != "band rendah"  # no 15-minute wait
    announced.clear()
    set_values(world.election, users["admin"], [(world.tps_a, "politik_uang", 1)])  # the same
    assert not [a for a in announced if a[0] == "vulnerability"]
    # A derived value synced from another module's source (a serious report being verified
    # feeds an incidents indicator) announces its TPS too.
    report = make_report(world, users["admin"], tps=world.tps_b, severity="kritis")
    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):  # derived.changed waits for it
        incident_services.transition(report, State.DIVERIFIKASI, actor=users["admin"],
                                     expected_version=report.version)
    assert ("vulnerability", [world.tps_b.pk]) in [a for a in announced
                                                   if a[0] == "vulnerability"]


def test_a_held_outreach_activity_recomputes_its_kelurahans_tps(world, users, announced):
    from posko.outreach.models import Activity
    from posko.outreach.services import activities as outreach_activities
    from tests.outreach_fixtures import add_activity

    planned = add_activity(world, users["admin"], status=Activity.Status.PLANNED,
                           starts_at=timezone.now() + datetime.timedelta(days=2))
    assert not [a for a in announced if a[0] == "outreach"]  # planned: no reach yet
    compute.refresh(world.election)
    before = component(world.tps_a, "outreach")
    planned.refresh_from_db()
    outreach_activities.mark_held(planned, actor=users["admin"], attendance=300,
                                  starts_at=timezone.now() - datetime.timedelta(hours=2),
                                  expected_version=planned.version)
    assert ("outreach", [world.tps_a.pk]) in announced  # kelurahan A has one TPS
    assert component(world.tps_a, "outreach")[0] > (before[0] if before else 0)
    announced.clear()
    held = Activity.objects.get(pk=planned.pk)
    outreach_activities.delete_activity(held, actor=users["admin"])
    assert ("outreach", [world.tps_a.pk]) in announced
