"""Coordination API: agencies, stages, tasks and meetings under /api/v1/ — scope per
persona, writes through the services (400 with field errors, 409 on a stale version,
403 visible-but-not-editable, 404 invisible), notes with files, query counts, schema."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from posko.accounts import tokens as api_tokens
from posko.accounts.models import Agency, Role, User
from posko.coordination.models import (
    Attachment,
    Decision,
    Meeting,
    Notification,
    Task,
    TaskNote,
)
from posko.core.models import AuditEntry
from posko.elections.models import Election, Stage
from tests.conftest import PERSONA_NAMES
from tests.media_fixtures import pdf_bytes

SIGNED_IN = [name for name in PERSONA_NAMES if name != "anonymous"]
TASKS = reverse("api:task-list")
NOW = timezone.now()
PDF = pdf_bytes()  # a real PDF: uploads are read and written again without metadata


def task_url(task) -> str:
    return reverse("api:task-detail", args=[task.pk])


def notes_url(task) -> str:
    return reverse("api:task-notes", args=[task.pk])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def english(client):
    client.cookies["django_language"] = "en"
    return client


def make_task(world, agency, title, *, kelurahan=None, kecamatan=None, assignees=(), election=None,
              due=None, status=Task.Status.BELUM_MULAI):
    task = Task(election=election or world.election, title=title, agency=agency,
                kelurahan=kelurahan, kecamatan=kecamatan, status=status,
                due_at=due or NOW + datetime.timedelta(days=3))
    task.set_place()
    task.save()
    task.assignees.set(assignees)
    return task


@pytest.fixture
def tasks(world, users):
    dinkes = users["agency"].agency
    satpol = Agency.objects.create(name="Satpol PP")
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    return {
        "a": make_task(world, satpol, "Kel A", kelurahan=world.kel_a),
        # Lurah A sees and edits it only because it is assigned to them.
        "a2": make_task(world, dinkes, "Kel A2", kelurahan=world.kel_a2,
                        assignees=[users["kelurahan_a"]]),
        "b": make_task(world, satpol, "Kel B", kelurahan=world.kel_b),
        "kec_a": make_task(world, satpol, "Kec A", kecamatan=world.kec_a),
        "pemda": make_task(world, dinkes, "Pemda"),
        "old": make_task(world, satpol, "Lama", kelurahan=world.kel_a, election=old),
    }


SEES = {
    "a": {"admin", "kecamatan_a", "kelurahan_a", "agency", "pemantau"},
    "a2": {"admin", "kecamatan_a", "kelurahan_a", "agency", "pemantau"},
    "b": {"admin", "kelurahan_b", "agency", "pemantau"},
    "kec_a": {"admin", "kecamatan_a", "agency", "pemantau"},
    "pemda": {"admin", "agency", "pemantau"},
    "old": {"admin", "kecamatan_a", "kelurahan_a", "agency", "pemantau"},
}
EDITS = {
    "a": {"admin", "kecamatan_a", "kelurahan_a"},
    "a2": {"admin", "kecamatan_a", "kelurahan_a", "agency"},
    "b": {"admin", "kelurahan_b"},
    "kec_a": {"admin", "kecamatan_a"},
    "pemda": {"admin", "agency"},
    "old": {"admin", "kecamatan_a", "kelurahan_a"},
}


# --- reads per persona ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_task_list_is_scoped(tasks, personas, persona):
    expected = {tasks[k].pk for k, sees in SEES.items() if persona in sees and k != "old"}
    response = personas[persona].client.get(TASKS)
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_task_detail_outside_scope_is_404(tasks, personas, persona):
    for key, task in tasks.items():
        response = personas[persona].client.get(task_url(task))
        assert response.status_code == (200 if persona in SEES[key] else 404), (persona, key)


def test_lurah_sees_own_kelurahan_and_assigned_only(tasks, personas):
    rows = personas["kelurahan_a"].client.get(TASKS).json()["results"]
    assert {r["title"] for r in rows} == {"Kel A", "Kel A2"}


def test_anonymous_is_refused(tasks, personas):
    client = personas["anonymous"].client
    for url in (TASKS, task_url(tasks["a"]), reverse("api:agency-list"), reverse("api:stage-list"),
                reverse("api:meeting-list")):
        assert client.get(url).status_code in (401, 403), url
    before = Task.objects.count()
    response = client.post(TASKS, {"title": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert Task.objects.count() == before


def test_task_filters(world, tasks, personas):
    client = personas["admin"].client
    Task.objects.filter(pk=tasks["b"].pk).update(status=Task.Status.SELESAI)
    Task.objects.filter(pk=tasks["kec_a"].pk).update(due_at=NOW - datetime.timedelta(hours=1))
    assert ids(client.get(TASKS, {"status": "selesai"})) == {tasks["b"].pk}
    assert ids(client.get(TASKS, {"kecamatan": world.kec_a.code})) == {
        tasks["a"].pk, tasks["a2"].pk, tasks["kec_a"].pk}
    assert ids(client.get(TASKS, {"kelurahan": world.kel_a2.code})) == {tasks["a2"].pk}
    assert ids(client.get(TASKS, {"agency": tasks["pemda"].agency_id})) == {
        tasks["a2"].pk, tasks["pemda"].pk}
    assert ids(client.get(TASKS, {"overdue": "true"})) == {tasks["kec_a"].pk}
    old = tasks["old"]
    assert ids(client.get(TASKS, {"election": old.election_id})) == {old.pk}


def test_filter_stays_inside_scope(world, tasks, personas):
    response = personas["kelurahan_a"].client.get(TASKS, {"kelurahan": world.kel_b.code})
    assert response.status_code == 400 or ids(response) == set()
    assert b"Kel B" not in response.content


def test_token_auth(tasks, users):
    token = api_tokens.create(users["kelurahan_b"], name="test")[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert ids(api.get(TASKS)) == {tasks["b"].pk}


def test_task_list_queries_do_not_grow(world, users, personas, django_assert_max_num_queries):
    satpol = Agency.objects.create(name="Satpol PP")
    lurah = users["kelurahan_a"]

    def seed(n, start):
        for i in range(n):
            task = make_task(world, satpol, f"T{start + i}", kelurahan=world.kel_a, assignees=[lurah])
            task.checklist.create(text="cek", order=0)

    seed(5, 0)
    counts = {}
    for persona in ("admin", "kelurahan_a"):
        with CaptureQueriesContext(connection) as few:
            assert len(ids(personas[persona].client.get(TASKS))) == 5
        counts[persona] = len(few)
    seed(35, 5)
    for persona in ("admin", "kelurahan_a"):
        with django_assert_max_num_queries(counts[persona]):
            assert len(ids(personas[persona].client.get(TASKS))) == 40
    # session, user, Pemda (for the kecamatan/kelurahan filter choices; cached per process,
    # reset per test), count, page, assignees, checklist
    assert counts["admin"] <= 7


# --- create ---------------------------------------------------------------------------------


def new_task(world, users, **extra) -> dict:
    return {"title": "Pasang tenda TPS", "agency": users["agency"].agency_id,
            "kelurahan": world.kel_a.code, "due_at": (NOW + datetime.timedelta(days=2)).isoformat(),
            "assignees": [users["kelurahan_a"].pk], "priority": 3,
            "checklist_items": ["Tenda", "Kursi"], **extra}


def counts():
    return (Task.objects.count(), AuditEntry.objects.count(), Notification.objects.count())


def test_create_goes_through_service(world, users, personas):
    response = personas["admin"].client.post(TASKS, new_task(world, users),
                                             content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    task = Task.objects.get(pk=body["id"])
    assert (task.election, task.kelurahan, task.kecamatan) == (world.election, world.kel_a, world.kec_a)
    assert body["kecamatan"] == world.kec_a.code and body["version"] == 1
    assert body["assignees"] == [users["kelurahan_a"].pk]
    assert [c["text"] for c in body["checklist"]] == ["Tenda", "Kursi"]
    assert task.created_by == users["admin"]
    assert AuditEntry.objects.filter(action="create", object_id=str(task.pk)).exists()
    # The service notified the assignee.
    assert Notification.objects.filter(user=users["kelurahan_a"], task=task, kind="assigned").exists()


def test_lurah_task_defaults_to_own_kelurahan(world, users, personas):
    data = new_task(world, users)
    del data["kelurahan"]
    response = personas["kelurahan_a"].client.post(TASKS, data, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["kelurahan"] == world.kel_a.code


def test_agency_task_defaults_to_own_agency(world, users, personas):
    data = new_task(world, users, assignees=[])
    del data["agency"], data["kelurahan"]
    response = personas["agency"].client.post(TASKS, data, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["agency"] == users["agency"].agency_id


BAD_CREATES = {
    "due before creation": (lambda w, u: {"due_at": (NOW - datetime.timedelta(days=1)).isoformat()},
                            "due_at"),
    "assignee outside region": (lambda w, u: {"assignees": [u["kelurahan_b"].pk]}, "assignees"),
    "unknown assignee": (lambda w, u: {"assignees": [999999]}, "assignees"),
    "blocked without reason": (lambda w, u: {"status": "terhambat", "blocked_reason": " "},
                               "blocked_reason"),
    "kelurahan not in kecamatan": (lambda w, u: {"kecamatan": w.kec_b.code}, "kelurahan"),
    "kelurahan of another Pemda": (lambda w, u: {"kelurahan": w.kel_outside.code}, "kelurahan"),
    "tps of another kelurahan": (lambda w, u: {"tps": w.tps_b.pk}, "tps"),
    "no title": (lambda w, u: {"title": ""}, "title"),
}


@pytest.mark.parametrize("case", BAD_CREATES)
def test_bad_create_is_400_and_saves_nothing(world, users, personas, case):
    fields, field = BAD_CREATES[case]
    before = counts()
    client = english(personas["admin"].client)
    response = client.post(TASKS, new_task(world, users, **fields(world, users)),
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert counts() == before


def test_bad_create_messages(world, users, personas):
    client = english(personas["admin"].client)
    body = client.post(TASKS, new_task(world, users, due_at=(
        NOW - datetime.timedelta(days=1)).isoformat()), content_type="application/json").json()
    assert "cannot be before the task was created" in body["due_at"][0]
    body = client.post(TASKS, new_task(world, users, assignees=[users["kelurahan_b"].pk]),
                       content_type="application/json").json()
    assert body["assignees"] == [
        "kelurahan_b works in Kelurahan Jodipan and cannot be given a task outside it."]


def test_lurah_cannot_create_in_another_kelurahan(world, users, personas):
    before = counts()
    response = personas["kelurahan_a"].client.post(
        TASKS, new_task(world, users, kelurahan=world.kel_b.code, assignees=[]),
        content_type="application/json")
    assert response.status_code == 400 and "kelurahan" in response.json()
    assert counts() == before


def test_agency_operator_cannot_create_for_another_agency(world, users, personas):
    other = Agency.objects.create(name="Dinas Perhubungan")
    before = counts()
    response = english(personas["agency"].client).post(
        TASKS, new_task(world, users, agency=other.pk), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["agency"] == ["An agency operator's tasks belong to their own agency."]
    assert counts() == before


def test_pemantau_cannot_create(world, users, personas):
    before = counts()
    response = personas["pemantau"].client.post(TASKS, new_task(world, users),
                                                content_type="application/json")
    assert response.status_code == 403
    assert counts() == before


def test_html_is_stored_as_text(world, users, personas):
    title = '<script>alert("x")</script>'
    response = personas["admin"].client.post(TASKS, new_task(world, users, title=title),
                                             content_type="application/json")
    assert response.status_code == 201
    assert Task.objects.get(pk=response.json()["id"]).title == title


# --- status change ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_status_change_per_persona(tasks, personas, persona):
    for key, task in tasks.items():
        if key == "a2":  # its assignee is outside its region: the service refuses any save
            continue
        response = personas[persona].client.patch(
            task_url(task), {"status": "berjalan", "version": 1}, content_type="application/json")
        expected = 200 if persona in EDITS[key] else (403 if persona in SEES[key] else 404)
        assert response.status_code == expected, (persona, key, response.content)
        task.refresh_from_db()
        assert task.status == ("berjalan" if expected == 200 else "belum_mulai")


def test_status_change_goes_through_service(tasks, users, personas):
    task = tasks["a"]
    response = personas["kelurahan_a"].client.patch(
        task_url(task), {"status": "terhambat", "blocked_reason": "Hujan deras", "version": 1},
        content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["blocked_reason"], body["version"]) == ("terhambat", "Hujan deras", 2)
    note = TaskNote.objects.get(task=task)
    assert (note.status_from, note.status_to, note.author) == (
        "belum_mulai", "terhambat", users["kelurahan_a"])
    entry = AuditEntry.objects.get(action="update", object_id=str(task.pk))
    assert entry.before["status"] == "belum_mulai" and entry.after["status"] == "terhambat"


def test_stale_version_is_409(tasks, personas):
    task = tasks["a"]
    client = english(personas["admin"].client)
    assert client.patch(task_url(task), {"status": "berjalan", "version": 1},
                        content_type="application/json").status_code == 200
    entries = AuditEntry.objects.count()
    response = client.patch(task_url(task), {"status": "selesai", "version": 1},
                            content_type="application/json")
    assert response.status_code == 409
    assert "Someone else saved this task while you were editing it" in response.json()["detail"]
    task.refresh_from_db()
    assert (task.status, task.version, task.completed_at) == ("berjalan", 2, None)
    assert AuditEntry.objects.count() == entries
    assert TaskNote.objects.filter(task=task).count() == 1


@pytest.mark.parametrize("data,field", [
    ({"status": "selesai"}, "version"),
    ({"version": 1}, "status"),
    ({"status": "hilang", "version": 1}, "status"),
    ({"status": "terhambat", "version": 1}, "blocked_reason"),
])
def test_bad_status_change_is_400(tasks, personas, data, field):
    task = tasks["a"]
    response = personas["admin"].client.patch(task_url(task), data, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.content
    task.refresh_from_db()
    assert (task.status, task.version) == ("belum_mulai", 1)


def test_put_and_delete_are_not_allowed(tasks, personas):
    client = personas["admin"].client
    assert client.put(task_url(tasks["a"]), {"status": "selesai", "version": 1},
                      content_type="application/json").status_code == 405
    assert client.delete(task_url(tasks["a"])).status_code == 405
    assert Task.objects.filter(pk=tasks["a"].pk, status="belum_mulai").exists()


# --- notes -------------------------------------------------------------------------------------


def test_add_note_json(tasks, users, personas):
    response = personas["kecamatan_a"].client.post(notes_url(tasks["a"]), {"text": "Sudah dicek"},
                                                   content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["text"], body["author"], body["attachments"]) == (
        "Sudah dicek", users["kecamatan_a"].pk, [])
    assert AuditEntry.objects.filter(object_id=str(tasks["a"].pk), action="update").exists()
    detail = personas["kecamatan_a"].client.get(task_url(tasks["a"])).json()
    assert [n["text"] for n in detail["notes"]] == ["Sudah dicek"]


def test_add_note_with_file(tasks, personas, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("berita-acara.pdf", PDF, content_type="application/pdf")
    response = personas["kelurahan_a"].client.post(notes_url(tasks["a"]),
                                                   {"text": "Foto", "files": [upload]})
    assert response.status_code == 201, response.content
    [attachment] = response.json()["attachments"]
    assert (attachment["original_name"], attachment["content_type"]) == (
        "berita-acara.pdf", "application/pdf")
    assert Attachment.objects.get().note.task == tasks["a"]


def test_note_with_disguised_exe_is_400(tasks, personas, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 100,
                                content_type="application/pdf")
    before = (TaskNote.objects.count(), Attachment.objects.count(), AuditEntry.objects.count())
    response = personas["admin"].client.post(notes_url(tasks["a"]), {"text": "x", "files": [upload]})
    assert response.status_code == 400 and "text" in response.json()
    assert "laporan.pdf" in response.json()["text"][0]
    assert (TaskNote.objects.count(), Attachment.objects.count(), AuditEntry.objects.count()) == before
    assert not list(tmp_path.rglob("*.*"))


def test_empty_note_is_400(tasks, personas):
    response = personas["admin"].client.post(notes_url(tasks["a"]), {"text": "  "},
                                             content_type="application/json")
    assert response.status_code == 400 and "text" in response.json()
    assert not TaskNote.objects.exists()


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_note_per_persona(tasks, personas, persona):
    task = tasks["a"]
    response = personas[persona].client.post(notes_url(task), {"text": "catatan"},
                                             content_type="application/json")
    expected = 201 if persona in EDITS["a"] else (403 if persona in SEES["a"] else 404)
    assert response.status_code == expected
    assert TaskNote.objects.filter(task=task).count() == (1 if expected == 201 else 0)


# --- agencies, stages, meetings ---------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_agencies_for_everyone(tasks, personas, persona):
    response = personas[persona].client.get(reverse("api:agency-list"))
    assert {r["name"] for r in response.json()["results"]} == {"Dinas Kesehatan", "Satpol PP"}
    agency = Agency.objects.get(name="Satpol PP")
    detail = personas[persona].client.get(reverse("api:agency-detail", args=[agency.pk]))
    assert detail.status_code == 200 and detail.json()["kind"] == "perangkat_daerah"


def test_stages_of_active_election_by_default(world, personas):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    done = Stage.objects.create(election=world.election, name="Pendaftaran", start_date=today - 9 * day,
                                end_date=today - 5 * day)
    ongoing = Stage.objects.create(election=world.election, name="Kampanye", start_date=today - day,
                                   end_date=today + day)
    upcoming = Stage.objects.create(election=world.election, name="Pemungutan suara",
                                    start_date=today + 5 * day, end_date=today + 5 * day)
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    old_stage = Stage.objects.create(election=old, name="Lama", start_date=datetime.date(2020, 9, 1),
                                     end_date=datetime.date(2020, 9, 2))
    client = personas["kelurahan_b"].client
    rows = client.get(reverse("api:stage-list")).json()["results"]
    assert [(r["id"], r["status"]) for r in rows] == [
        (done.pk, "done"), (ongoing.pk, "ongoing"), (upcoming.pk, "upcoming")]
    assert ids(client.get(reverse("api:stage-list"), {"election": old.pk})) == {old_stage.pk}
    assert client.get(reverse("api:stage-detail", args=[old_stage.pk])).status_code == 200


def make_meeting(world, users, title, n_decisions=2, election=None):
    meeting = Meeting.objects.create(election=election or world.election, title=title,
                                     starts_at=NOW, place="Ruang Sidang Balai Kota", chair="Sekda")
    meeting.agencies.set(Agency.objects.all())
    for i in range(n_decisions):
        Decision.objects.create(meeting=meeting, text=f"Keputusan {i}", order=i,
                                assignee=users["kelurahan_a"])
    return meeting


def test_meetings_with_decisions_and_task_status(world, users, tasks, personas,
                                                 django_assert_max_num_queries):
    meeting = make_meeting(world, users, "Rakor H-7")
    first = meeting.decisions.first()
    first.task = tasks["a"]
    first.save()
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    make_meeting(world, users, "Rakor 2020", election=old)
    client = personas["pemantau"].client
    rows = client.get(reverse("api:meeting-list")).json()["results"]
    assert [r["title"] for r in rows] == ["Rakor H-7"]
    decisions = rows[0]["decisions"]
    assert [(d["text"], d["task"], d["task_status"]) for d in decisions] == [
        ("Keputusan 0", tasks["a"].pk, "belum_mulai"), ("Keputusan 1", None, None)]
    assert len(rows[0]["agencies"]) == 2
    for i in range(10):
        make_meeting(world, users, f"Rakor {i}", n_decisions=3)
    # session, user, count, page, agencies, decisions with their tasks
    with django_assert_max_num_queries(6):
        assert len(client.get(reverse("api:meeting-list")).json()["results"]) == 11
    assert client.get(reverse("api:meeting-detail", args=[meeting.pk])).status_code == 200


# --- schema ---------------------------------------------------------------------------------------


def test_schema_lists_the_coordination_endpoints(world, personas):
    response = personas["pemantau"].client.get(reverse("api:schema"), {"format": "json"})
    paths = response.json()["paths"]
    for path in ["/api/v1/agencies/", "/api/v1/stages/{id}/", "/api/v1/tasks/",
                 "/api/v1/tasks/{id}/", "/api/v1/tasks/{id}/notes/", "/api/v1/meetings/{id}/"]:
        assert path in paths, path
    assert set(paths["/api/v1/tasks/{id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/tasks/{id}/"] and "delete" not in paths["/api/v1/tasks/{id}/"]
    assert "multipart/form-data" in paths["/api/v1/tasks/{id}/notes/"]["post"]["requestBody"]["content"]
    patch = paths["/api/v1/tasks/{id}/"]["patch"]["requestBody"]["content"]["application/json"]
    assert patch["schema"]["$ref"] == "#/components/schemas/TaskStatus"
    component = response.json()["components"]["schemas"]["TaskStatus"]
    assert set(component["required"]) == {"status", "version"}


def test_schema_generates_without_warnings(db, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))


def test_inactive_user_is_refused(tasks, users):
    user = User.objects.create_user("mantan", password="x", role=Role.ADMIN, is_active=False)
    token = api_tokens.create(user, name="test")[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(TASKS).status_code == 401
