"""Agencies, the Desk Pilkada's structure, the stage calendar and task templates."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import (
    Desk,
    Division,
    Notification,
    Task,
    TaskChecklistItem,
    TaskTemplate,
    TaskTemplateItem,
)
from posko.coordination.services import templates as template_services
from posko.core.models import AuditEntry
from posko.elections.models import Stage
from posko.regions.models import Pemda
from tests.conftest import PERSONA_NAMES

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BEFORE_VOTING = datetime.datetime(2024, 10, 1, 8, 0, tzinfo=UTC)  # "now" in service tests


@pytest.fixture
def desk_rows(world, users):
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    satpol = Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP",
                                   contact_person="Joko", phone="0341-555106")
    kpu = Agency.objects.create(name="KPU Kota Malang", short_name="KPU", kind=Agency.Kind.MITRA)
    division = Division.objects.create(name="Bidang Keamanan dan Ketertiban", lead=satpol)
    division.members.set([satpol, dinkes])
    template = TaskTemplate.objects.create(name="H-1 logistik", level=TaskTemplate.Level.KELURAHAN)
    item = TaskTemplateItem.objects.create(
        template=template, title="Pantau distribusi logistik", agency=satpol,
        days_from_voting_day=-1, due_time=datetime.time(16, 0), priority=Task.Priority.TINGGI,
        checklist="Kotak suara diterima\n\nBilik suara diterima\n")
    stage = Stage.objects.create(election=world.election, name="Masa tenang",
                                 start_date=datetime.date(2024, 11, 24),
                                 end_date=datetime.date(2024, 11, 26), owner=kpu)
    return {"dinkes": dinkes, "satpol": satpol, "kpu": kpu, "division": division,
            "template": template, "item": item, "stage": stage}


def _expect(persona: str, *, admin_only: bool) -> int:
    if persona == "anonymous":
        return 302
    if admin_only and persona != "admin":
        return 403
    return 200


# --- persona matrix -------------------------------------------------------------------------

READ_URLS = [
    ("coordination:agency_list", None), ("coordination:agency_detail", "satpol"),
    ("coordination:desk", None), ("coordination:calendar", None),
    ("coordination:template_list", None), ("coordination:template_detail", "template"),
]
EDIT_URLS = [
    ("coordination:agency_add", None), ("coordination:agency_edit", "satpol"),
    ("coordination:desk_edit", None), ("coordination:division_add", None),
    ("coordination:division_edit", "division"), ("coordination:division_delete", "division"),
    ("coordination:template_add", None), ("coordination:template_edit", "template"),
    ("coordination:template_item_add", "template"), ("coordination:template_item_edit", "item"),
    ("coordination:template_item_delete", "item"), ("coordination:template_apply", "template"),
]


def _url(name, key, rows):
    return reverse(name, args=[rows[key].pk]) if key else reverse(name)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_every_page_as_every_persona(personas, desk_rows, persona):
    client = personas[persona].client
    for name, key in READ_URLS:
        response = client.get(_url(name, key, desk_rows))
        assert response.status_code == _expect(persona, admin_only=False), (name, persona)
        if persona == "anonymous":
            assert response["Location"].startswith("/masuk/")
    for name, key in EDIT_URLS:
        response = client.get(_url(name, key, desk_rows))
        assert response.status_code == _expect(persona, admin_only=True), (name, persona)


@pytest.mark.parametrize("persona", [p for p in PERSONA_NAMES if p != "admin"])
def test_nobody_but_the_admin_changes_anything(personas, desk_rows, persona):
    client = personas[persona].client
    expected = 302 if persona == "anonymous" else 403
    posts = [
        (reverse("coordination:agency_add"), {"name": "Dinas Baru", "kind": "perangkat_daerah"}),
        (reverse("coordination:agency_edit", args=[desk_rows["satpol"].pk]),
         {"name": "Diubah", "kind": "perangkat_daerah"}),
        (reverse("coordination:desk_edit"), {"chair_title": "Orang lain"}),
        (reverse("coordination:division_add"), {"name": "Bidang Baru", "order": "1"}),
        (reverse("coordination:division_delete", args=[desk_rows["division"].pk]), {}),
        (reverse("coordination:template_add"), {"name": "Baru", "level": "pemda"}),
        (reverse("coordination:template_item_delete", args=[desk_rows["item"].pk]), {}),
        (reverse("coordination:template_apply", args=[desk_rows["template"].pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == expected, url
    assert Agency.objects.count() == 3 and not Agency.objects.filter(name="Diubah").exists()
    assert not Desk.objects.exists() and Division.objects.count() == 1
    assert TaskTemplate.objects.count() == 1 and TaskTemplateItem.objects.count() == 1
    assert not Task.objects.exists()


# --- agencies -------------------------------------------------------------------------------

def test_admin_creates_and_edits_an_agency_audited(personas, desk_rows):
    client = personas["admin"].client
    data = {"name": "Badan Penanggulangan Bencana Daerah", "short_name": "BPBD",
            "kind": "perangkat_daerah", "contact_person": "Rudi", "phone": "0341 555-107",
            "email": "bpbd@example.org", "address": "Jl. Contoh 1"}
    response = client.post(reverse("coordination:agency_add"), data)
    agency = Agency.objects.get(short_name="BPBD")
    assert response.status_code == 302 and response["Location"] == reverse(
        "coordination:agency_detail", args=[agency.pk])
    assert AuditEntry.objects.filter(action="create", object_repr="BPBD").exists()
    response = client.post(reverse("coordination:agency_edit", args=[agency.pk]),
                           {**data, "phone": "0341-555999"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", object_repr="BPBD")
    assert ("phone", "0341 555-107", "0341-555999") in entry.changes()


def test_a_bad_phone_is_refused_and_nothing_saved(personas, desk_rows):
    response = personas["admin"].client.post(reverse("coordination:agency_add"), {
        "name": "Dinas X", "kind": "perangkat_daerah", "phone": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert not Agency.objects.filter(name="Dinas X").exists()
    assert "phone" in response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()  # shown escaped


def test_agency_list_groups_by_kind(personas, desk_rows):
    response = personas["pemantau"].client.get(reverse("coordination:agency_list"))
    groups = dict(response.context["groups"])
    with translation.override("en"):
        labels = {str(label) for label in groups}
    assert labels == {"Pemda agency", "Partner institution"}
    assert [a.name for a in groups[Agency.Kind.MITRA.label]] == ["KPU Kota Malang"]


def _task(world, agency, **extra):
    values = {"election": world.election, "title": "Tugas", "agency": agency,
              "due_at": timezone.now() + datetime.timedelta(days=3)}
    values.update(extra)
    task = Task(**values)
    task.set_place()
    task.save()
    return task


def test_agency_detail_contacts_members_divisions_and_open_tasks(world, personas, desk_rows):
    satpol = desk_rows["satpol"]
    _task(world, satpol, kelurahan=world.kel_a)
    _task(world, satpol, kelurahan=world.kel_b)
    _task(world, satpol, status=Task.Status.SELESAI)
    _task(world, desk_rows["dinkes"])
    User.objects.create_user("satpol.op", role=Role.AGENCY, agency=satpol, first_name="Siti",
                             last_name="Aminah")
    url = reverse("coordination:agency_detail", args=[satpol.pk])
    response = personas["admin"].client.get(url)
    body = response.content.decode()
    assert response.context["open_tasks"] == 2
    assert f'href="{reverse("coordination:task_list")}?agency={satpol.pk}"' in body
    assert "0341-555106" in body and "Siti Aminah" in body and "satpol.op" in body
    assert desk_rows["division"].name in body
    # A lurah counts only the tasks they see; usernames are for the admin only.
    response = personas["kelurahan_a"].client.get(url)
    assert response.context["open_tasks"] == 1
    assert "Siti Aminah" in response.content.decode()
    assert "satpol.op" not in response.content.decode()


def test_unknown_agency_is_404(personas, desk_rows):
    assert personas["admin"].client.get(
        reverse("coordination:agency_detail", args=[9999])).status_code == 404


# --- the desk -------------------------------------------------------------------------------

def test_admin_sets_up_the_desk_on_one_page(personas, desk_rows):
    client = personas["admin"].client
    assert Desk.load().pk == 1 and not Desk.objects.exists()
    response = client.post(reverse("coordination:desk_edit"), {
        "decree": "Keputusan Wali Kota", "chair_title": "Sekretaris Daerah Kota Malang",
        "chair_name": "", "secretariat": desk_rows["kpu"].pk, "secretary_name": "Kepala",
        "reports_to": "Mendagri melalui Gubernur"})
    assert response.status_code == 302 and response["Location"] == reverse("coordination:desk")
    desk = Desk.objects.get()
    assert desk.pk == 1 and desk.secretariat == desk_rows["kpu"]
    assert AuditEntry.objects.filter(action="create", object_id="1").exists()
    response = client.post(reverse("coordination:desk_edit"), {
        "chair_title": "Sekda", "secretariat": "", "reports_to": "Gubernur"})
    assert response.status_code == 302 and Desk.objects.count() == 1
    assert Desk.load().chair_title == "Sekda"
    assert AuditEntry.objects.filter(action="update", object_id="1").count() == 1

    response = client.post(reverse("coordination:division_add"), {
        "name": "Bidang Dukungan Logistik", "order": "2", "duties": "Logistik",
        "lead": desk_rows["kpu"].pk, "members": [desk_rows["dinkes"].pk]})
    assert response.status_code == 302
    division = Division.objects.get(name="Bidang Dukungan Logistik")
    # The lead is made a member of its division.
    assert set(division.members.all()) == {desk_rows["kpu"], desk_rows["dinkes"]}
    assert AuditEntry.objects.filter(object_repr=division.name, message__startswith="members:").exists()

    page = personas["kelurahan_b"].client.get(reverse("coordination:desk")).content.decode()
    assert "Bidang Dukungan Logistik" in page and "Sekda" in page and "Gubernur" in page
    assert reverse("coordination:division_edit", args=[division.pk]) not in page
    admin_page = client.get(reverse("coordination:desk")).content.decode()
    assert reverse("coordination:division_edit", args=[division.pk]) in admin_page

    response = client.post(reverse("coordination:division_delete", args=[division.pk]))
    assert response.status_code == 302 and not Division.objects.filter(pk=division.pk).exists()


# --- the stage calendar ---------------------------------------------------------------------

def _calendar(client, day):
    with mock.patch("posko.core.clock.today", return_value=day):
        return client.get(reverse("coordination:calendar"))


def test_calendar_status_h_labels_and_today_marker(world, personas, desk_rows):
    Stage.objects.create(election=world.election, name="Kampanye",
                         start_date=datetime.date(2024, 9, 25), end_date=datetime.date(2024, 11, 23))
    Stage.objects.create(election=world.election, name="Pemungutan suara",
                         start_date=datetime.date(2024, 11, 27), end_date=datetime.date(2024, 11, 27))
    Stage.objects.create(election=world.election, name="Pendaftaran",
                         start_date=datetime.date(2024, 8, 27), end_date=datetime.date(2024, 8, 29))
    response = _calendar(personas["pemantau"].client, datetime.date(2024, 10, 9))
    assert response.status_code == 200
    months = response.context["months"]
    assert [m.strftime("%Y-%m") for m, _rows in months] == ["2024-08", "2024-09", "2024-10",
                                                            "2024-11"]
    by_name = {s.name: s for _m, rows in months for s in rows if s is not None}
    assert {n: s.state for n, s in by_name.items()} == {
        "Pendaftaran": "done", "Kampanye": "ongoing", "Masa tenang": "upcoming",
        "Pemungutan suara": "upcoming"}
    assert (by_name["Kampanye"].h_start, by_name["Kampanye"].h_end) == ("H-63", "H-4")
    assert by_name["Pemungutan suara"].h_start == "H"
    assert response.context["h_today"] == "H-49"
    # Today's marker (None) is the only row of October, between campaign and quiet period.
    assert dict((m.month, rows) for m, rows in months)[10] == [None]
    body = response.content.decode()
    assert 'data-testid="today"' in body and "H-49" in body and "KPU" in body
    assert reverse("elections:stage_edit", args=[by_name["Kampanye"].pk]) not in body
    admin = _calendar(personas["admin"].client, datetime.date(2024, 11, 25)).content.decode()
    assert reverse("elections:stage_edit", args=[by_name["Kampanye"].pk]) in admin
    assert reverse("elections:stage_add", args=[world.election.pk]) in admin
    assert 'data-state="ongoing"' in admin  # quiet period on 25 Nov


def test_calendar_without_an_active_election(world, personas):
    world.election.is_active = False
    world.election.save()
    response = personas["kelurahan_a"].client.get(reverse("coordination:calendar"))
    assert response.status_code == 200 and response.context["election"] is None


# --- task templates: the service ------------------------------------------------------------

def test_apply_creates_one_task_per_kelurahan_once(world, users, desk_rows):
    template, item = desk_rows["template"], desk_rows["item"]
    result = template_services.apply_template(template, world.election, actor=users["admin"],
                                              now=BEFORE_VOTING)
    assert (result.created, result.existing, result.regions) == (3, 0, 3)
    tasks = Task.objects.filter(template_item=item)
    # The world's Pemda has 3 kelurahan; the one in Kota Batu is outside it.
    assert sorted(tasks.values_list("kelurahan_id", flat=True)) == sorted(
        [world.kel_a.code, world.kel_a2.code, world.kel_b.code])
    for task in tasks:
        assert task.kecamatan_id == task.kelurahan_id.rsplit(".", 1)[0]
        # H-1 at 16:00 WIB is 09:00 UTC on 26 Nov.
        assert task.due_at == datetime.datetime(2024, 11, 26, 9, 0, tzinfo=UTC)
        assert task.stage == desk_rows["stage"] and task.agency == desk_rows["satpol"]
        assert task.priority == Task.Priority.TINGGI and task.created_at == BEFORE_VOTING
        assert list(task.checklist.values_list("text", flat=True)) == [
            "Kotak suara diterima", "Bilik suara diterima"]
    # Assigned to each kelurahan's lurah (none in Rampal Celaket).
    assert list(tasks.get(kelurahan=world.kel_a).assignees.all()) == [users["kelurahan_a"]]
    assert list(tasks.get(kelurahan=world.kel_b).assignees.all()) == [users["kelurahan_b"]]
    assert not tasks.get(kelurahan=world.kel_a2).assignees.exists()
    assert Notification.objects.filter(kind="assigned", user=users["kelurahan_a"]).count() == 1
    assert AuditEntry.objects.filter(action="create", object_repr=item.title).count() == 3
    assert set(AuditEntry.objects.filter(action="create", object_repr=item.title).values_list(
        "kelurahan_code", flat=True)) == {world.kel_a.code, world.kel_a2.code, world.kel_b.code}

    again = template_services.apply_template(template, world.election, actor=users["admin"],
                                             now=BEFORE_VOTING)
    assert (again.created, again.existing) == (0, 3)
    assert Task.objects.count() == 3 and TaskChecklistItem.objects.count() == 6
    assert Notification.objects.count() == 2
    with translation.override("en"):
        assert again.summary() == "0 created, 3 already existed"


def test_apply_per_kecamatan_and_once_for_the_pemda(world, users, desk_rows):
    template = TaskTemplate.objects.create(name="H-7 kesiapan", level=TaskTemplate.Level.KECAMATAN)
    TaskTemplateItem.objects.create(template=template, title="Rapat koordinasi",
                                    agency=desk_rows["satpol"], days_from_voting_day=-7,
                                    due_time=datetime.time(10, 0))
    result = template_services.apply_template(template, world.election, actor=users["admin"],
                                              now=BEFORE_VOTING)
    assert result.created == 2
    tasks = Task.objects.filter(template_item__template=template)
    assert set(tasks.values_list("kecamatan_id", flat=True)) == {world.kec_a.code, world.kec_b.code}
    assert set(tasks.values_list("kelurahan_id", flat=True)) == {None}
    assert list(tasks.get(kecamatan=world.kec_a).assignees.all()) == [users["kecamatan_a"]]
    assert tasks.get(kecamatan=world.kec_a).due_at == datetime.datetime(2024, 11, 20, 3, 0,
                                                                         tzinfo=UTC)
    assert tasks.get(kecamatan=world.kec_a).stage is None  # no stage covers 20 Nov here

    pemda = TaskTemplate.objects.create(name="Pasca", level=TaskTemplate.Level.PEMDA)
    TaskTemplateItem.objects.create(template=pemda, title="Laporan", agency=desk_rows["kpu"],
                                    days_from_voting_day=1)
    assert template_services.apply_template(pemda, world.election, actor=users["admin"],
                                            now=BEFORE_VOTING).created == 1
    assert template_services.apply_template(pemda, world.election, actor=users["admin"],
                                            now=BEFORE_VOTING).created == 0
    task = Task.objects.get(template_item__template=pemda)
    assert task.kecamatan_id is None and not task.assignees.exists()


def test_items_applied_after_their_due_time_are_due_at_once(world, users, desk_rows):
    late = datetime.datetime(2024, 11, 26, 10, 0, tzinfo=UTC)  # after H-1 16:00 WIB
    plan = template_services.preview(desk_rows["template"], world.election, actor=users["admin"],
                                     now=late)
    assert (plan.to_create, plan.late) == (3, 3)
    assert [item for item, _due in plan.late_items] == [desk_rows["item"]]
    result = template_services.apply_template(desk_rows["template"], world.election,
                                              actor=users["admin"], now=late)
    assert result.created == 3
    with translation.override("en"):
        assert "3 of them due at once because their due time had passed" in result.summary()
    task = Task.objects.get(kelurahan=world.kel_a)
    assert task.due_at == late == task.created_at
    assert "26-11-2024 16:00" in task.description
    assert task.stage == desk_rows["stage"]  # the stage of the template's own due date
    # Such a task can still be worked on: its due date is not before its creation.
    from posko.coordination.services.tasks import change_status

    change_status(task, Task.Status.SELESAI, actor=users["kelurahan_a"],
                  expected_version=task.version)
    task.refresh_from_db()
    assert task.status == Task.Status.SELESAI


def test_operators_see_only_their_copy(world, users, desk_rows):
    template_services.apply_template(desk_rows["template"], world.election, actor=users["admin"],
                                     now=BEFORE_VOTING)
    assert list(Task.objects.visible_to(users["kelurahan_a"]).values_list(
        "kelurahan_id", flat=True)) == [world.kel_a.code]


# --- task templates: the pages --------------------------------------------------------------

def _future_voting_day(world, days=30):
    world.election.voting_date = timezone.localdate() + datetime.timedelta(days=days)
    world.election.save()


def test_admin_builds_and_applies_a_template_in_the_ui(world, users, personas, desk_rows):
    _future_voting_day(world)
    client = personas["admin"].client
    response = client.post(reverse("coordination:template_add"), {
        "name": "H-3 sosialisasi", "description": "", "level": "kelurahan"})
    template = TaskTemplate.objects.get(name="H-3 sosialisasi")
    assert response.status_code == 302 and response["Location"] == template.get_absolute_url()
    response = client.post(reverse("coordination:template_item_add", args=[template.pk]), {
        "title": "Ajakan memilih lewat RT/RW", "description": "", "agency": desk_rows["kpu"].pk,
        "days_from_voting_day": "-3", "due_time": "12:00", "priority": "2",
        "checklist": "Grup RT\nSpanduk", "assign_region_operators": "on", "order": "0"})
    assert response.status_code == 302
    item = template.items.get()
    assert item.due_time == datetime.time(12, 0) and item.h_label == "H-3"
    bad = client.post(reverse("coordination:template_item_add", args=[template.pk]), {
        "title": "Salah", "agency": desk_rows["kpu"].pk, "days_from_voting_day": "-999",
        "due_time": "12:00", "priority": "2", "order": "0"})
    assert bad.status_code == 400 and template.items.count() == 1

    url = reverse("coordination:template_apply", args=[template.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and confirm.context["plan"].to_create == 3
    assert not Task.objects.exists()  # the confirmation page writes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == template.get_absolute_url()
    assert Task.objects.filter(template_item=item).count() == 3
    response = client.post(url)
    assert response.status_code == 302 and Task.objects.count() == 3
    assert client.get(url).context["plan"].existing == 3
    detail = client.get(template.get_absolute_url())
    assert detail.context["items"][0].task_count == 3


def test_apply_message_counts_created_and_existing(world, personas, desk_rows):
    _future_voting_day(world)
    client = personas["admin"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("coordination:template_apply", args=[desk_rows["template"].pk])
    first = [str(m) for m in client.post(url, follow=True).context["messages"]]
    second = [str(m) for m in client.post(url, follow=True).context["messages"]]
    assert any("3 created, 0 already existed" in m for m in first)
    assert any("0 created, 3 already existed" in m for m in second)


def test_deleting_a_template_item_keeps_its_tasks(world, users, personas, desk_rows):
    template_services.apply_template(desk_rows["template"], world.election, actor=users["admin"],
                                     now=BEFORE_VOTING)
    response = personas["admin"].client.post(
        reverse("coordination:template_item_delete", args=[desk_rows["item"].pk]))
    assert response.status_code == 302
    assert response["Location"] == desk_rows["template"].get_absolute_url()
    assert Task.objects.count() == 3 and not TaskTemplateItem.objects.exists()


def test_apply_queries_do_not_grow_with_regions(world, users, desk_rows):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for level in (TaskTemplate.Level.KECAMATAN, TaskTemplate.Level.KELURAHAN):
        template = TaskTemplate.objects.create(name=f"T {level}", level=level)
        TaskTemplateItem.objects.create(template=template, title=f"Item {level}",
                                        agency=desk_rows["kpu"], days_from_voting_day=-2,
                                        checklist="a\nb", assign_region_operators=False)
        ContentType.objects.clear_cache()
        Pemda.clear_cache()
        with CaptureQueriesContext(connection) as ctx:
            result = template_services.apply_template(template, world.election,
                                                      actor=users["admin"], now=BEFORE_VOTING)
        counts[level] = (result.created, len(ctx.captured_queries))
    assert counts["kecamatan"][0] == 2 and counts["kelurahan"][0] == 3
    assert counts["kecamatan"][1] == counts["kelurahan"][1]


def test_confirmation_page_warns_about_late_items(world, personas, desk_rows):
    # The world's voting day (27 Nov 2024) is long past.
    response = personas["admin"].client.get(
        reverse("coordination:template_apply", args=[desk_rows["template"].pk]))
    assert response.context["plan"].late == 3
    assert 'data-testid="late"' in response.content.decode()
    assert not Task.objects.exists()
