"""The coordination part of the Kota Malang demo: realistic, deterministic, idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from posko.accounts.models import Agency, User
from posko.coordination.models import (
    Decision,
    Desk,
    Division,
    Meeting,
    Notification,
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    Task,
    TaskChecklistItem,
    TaskNote,
    TaskTemplate,
    TaskTemplateItem,
)
from posko.core.models import AuditEntry
from posko.demo.coordination import build_coordination
from posko.demo.data import DemoResult, build_demo
from posko.elections.models import Election, Stage

pytestmark = pytest.mark.django_db

MODELS = (Agency, Desk, Division, TaskTemplate, TaskTemplateItem, Task, TaskChecklistItem, TaskNote,
          SupervisionChecklist, SupervisionItem, SupervisionResponse, Meeting, Decision,
          Notification, AuditEntry)


def _build() -> DemoResult:
    """The whole demo. Works whether or not build_demo already calls build_coordination:
    a second call of an idempotent builder changes nothing."""
    result = build_demo()
    build_coordination(result)
    return result


def stages_of(election):
    return Stage.objects.filter(election=election).values_list("pk", flat=True)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _state():
    return {
        "tasks": list(Task.objects.order_by("pk").values_list(
            "pk", "title", "agency_id", "kecamatan_id", "kelurahan_id", "stage_id", "due_at",
            "status", "created_at", "version")),
        "agencies": list(Agency.objects.order_by("pk").values_list(
            "name", "kind", "contact_person", "phone")),
        "answers": list(SupervisionResponse.objects.order_by("pk").values_list(
            "item_id", "kelurahan_id", "answer", "finding", "task_id", "responded_at")),
        "divisions": [(d.name, d.lead_id, sorted(d.members.values_list("pk", flat=True)))
                      for d in Division.objects.order_by("pk")],
    }


def test_demo_has_the_desk_agencies_and_stage_owners():
    _build()
    assert Agency.objects.filter(kind=Agency.Kind.KECAMATAN).count() == 5
    assert Agency.objects.count() == 19
    assert not Agency.objects.filter(contact_person="").exists()
    assert all(a.phone.startswith("0341-") for a in Agency.objects.all())
    desk = Desk.load()
    assert desk.pk == 1 and Desk.objects.count() == 1
    assert desk.chair_title == "Sekretaris Daerah Kota Malang"
    assert desk.secretariat.short_name == "Bakesbangpol"
    assert "Menteri Dalam Negeri" in desk.reports_to and "Gubernur" in desk.reports_to
    divisions = {d.name: d for d in Division.objects.all()}
    assert len(divisions) == 4
    security = divisions["Bidang Keamanan dan Ketertiban"]
    assert security.lead.short_name == "Satpol PP"
    assert {"Polresta", "Kodim 0833", "Satpol PP"} <= {str(a) for a in security.members.all()}
    outreach = divisions["Bidang Sosialisasi dan Pemantauan"]
    assert outreach.members.filter(kind=Agency.Kind.KECAMATAN).count() == 5
    election = Election.active()
    stages = Stage.objects.filter(election=election)
    assert stages.count() == 12 and set(stages.values_list("owner__name", flat=True)) == {
        "KPU Kota Malang"}


def test_demo_templates_tasks_checklists_and_meeting():
    _build()
    election = Election.active()
    names = set(TaskTemplate.objects.values_list("name", flat=True))
    assert names == {"H-7 kesiapan", "H-1 logistik", "Pasca pemungutan"}
    assert TaskTemplate.objects.get(name="H-1 logistik").level == "kelurahan"
    h7 = TaskTemplate.objects.get(name="H-7 kesiapan")
    # "H-7 kesiapan" applied to every kecamatan: 5 kecamatan × 4 items, due 20 Nov 2024.
    tasks = Task.objects.filter(template_item__template=h7, election=election)
    assert tasks.count() == 20
    assert set(tasks.values_list("kecamatan_id", flat=True)) == {f"35.73.0{i}" for i in range(1, 6)}
    assert {timezone.localtime(t.due_at).date() for t in tasks} == {datetime.date(2024, 11, 20)}
    assert {t.stage.name for t in tasks} == {"Kampanye"}
    camat = User.objects.get(username="camat.klojen")
    assert set(camat.tasks.values_list("kecamatan_id", flat=True)) == {"35.73.02"}
    assert camat.tasks.count() == 4
    assert tasks.filter(status=Task.Status.SELESAI).count() == 2
    blocked = tasks.get(status=Task.Status.TERHAMBAT)
    assert "Bawaslu" in blocked.blocked_reason and blocked.kecamatan_id == "35.73.03"
    assert not Task.objects.filter(template_item__template__name="H-1 logistik").exists()

    checklists = SupervisionChecklist.objects.filter(election=election)
    assert checklists.count() == 13  # the standard set: one per stage, two for the quiet period
    assert {c.stage_id for c in checklists} == set(stages_of(election))
    assert checklists.filter(stage__name="Masa tenang").count() == 2
    props = checklists.get(title__startswith="Masa tenang")
    assert {str(a) for a in SupervisionItem.objects.get(
        checklist=props, order=2).agencies.all()} == {"Dishub", "Satpol PP"}
    unmet = SupervisionResponse.objects.get(answer="unmet")
    assert unmet.kelurahan.name == "Kauman" and unmet.task is not None
    assert unmet.task.agency.short_name == "Dishub" and unmet.task.kelurahan_id == unmet.kelurahan_id
    assert SupervisionResponse.objects.count() == 6

    meeting = Meeting.objects.get(title="Rapat Koordinasi Kesiapan Pilkada")
    assert timezone.localtime(meeting.starts_at) == datetime.datetime(
        2024, 10, 9, 9, 0, tzinfo=timezone.get_default_timezone())
    assert "Aria Gajayana" in meeting.place and "Iwan Kurniawan" in meeting.chair
    texts = [d.text for d in meeting.decisions.order_by("order")]
    assert len(texts) == 7
    for word in ("koordinasi", "logistik", "kerawanan", "pengawasan", "lurah",
                 "BPJS Ketenagakerjaan", "ASN"):
        assert any(word in text for text in texts), word


def test_second_build_changes_nothing():
    _build()
    counts, state = _counts(), _state()
    again = DemoResult(election_id=Election.active().pk, users=list(User.objects.all()))
    build_coordination(again)
    assert again.other_changes == 0
    second = build_demo()
    assert not second.changed
    build_coordination(second)
    assert not second.changed
    assert _counts() == counts
    assert _state() == state


def test_rebuild_resets_reference_rows_but_keeps_work():
    _build()
    bakesbangpol = Agency.objects.get(short_name="Bakesbangpol")
    bakesbangpol.phone = "0000"
    bakesbangpol.save()
    Division.objects.get(name="Bidang Dukungan Logistik").members.clear()
    task = Task.objects.filter(status=Task.Status.BELUM_MULAI).first()
    Task.objects.filter(pk=task.pk).update(status=Task.Status.BERJALAN)
    TaskTemplateItem.objects.filter(template__name="H-1 logistik").update(due_time="07:00")

    result = DemoResult(election_id=Election.active().pk, users=list(User.objects.all()))
    build_coordination(result)
    assert result.other_changes >= 3
    bakesbangpol.refresh_from_db()
    assert bakesbangpol.phone == "0341-555102"
    assert Division.objects.get(name="Bidang Dukungan Logistik").members.count() == 5
    assert set(TaskTemplateItem.objects.filter(template__name="H-1 logistik").values_list(
        "due_time", flat=True)) != {datetime.time(7, 0)}
    task.refresh_from_db()
    assert task.status == Task.Status.BERJALAN  # practice on the demo is kept
    assert Task.objects.filter(template_item__template__name="H-7 kesiapan").count() == 20
