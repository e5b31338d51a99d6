"""Task pages (issue 3, "Tasks" and the task points of "Bad input"): every page as every
persona, the filters and highlights, the board, create/edit with optimistic locking, status
changes, progress notes with attachments, checklist toggles, downloads, escaping and query
counts. Tasks are made through the services, as the views make them."""

from __future__ import annotations

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import (
    Attachment,
    Decision,
    Meeting,
    Notification,
    Task,
    TaskChecklistItem,
    TaskNote,
)
from posko.coordination.services import tasks as services
from posko.core.models import AuditEntry
from posko.core.uploads import check_upload
from posko.elections.models import Stage
from tests.conftest import PASSWORD, PERSONA_NAMES, SEES_KEL_A, SEES_KEL_B
from tests.media_fixtures import pdf_bytes

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()  # a real PDF: uploads are read and written again without metadata
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89"
       b"\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")  # a real 1x1 PNG (photos are decoded)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Who sees a task placed in kelurahan A / B, or one for the whole Pemda (no region).
SEES_TASK_A = SEES_KEL_A
SEES_TASK_B = SEES_KEL_B
SEES_TASK_PEMDA = {"admin", "agency", "pemantau"}
# Who may change the task in kelurahan A owned by another agency than the agency operator's.
EDITS_TASK_A = {"admin", "kecamatan_a", "kelurahan_a"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def english(client: Client) -> Client:
    """Messages are asserted in English (msgids): the Indonesian catalogue is refreshed later."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def dishub(db) -> Agency:
    return Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")


@pytest.fixture
def dinkes(users) -> Agency:
    return users["agency"].agency


def make_task(world, users, agency, *, title="Cek kesiapan TPS", kelurahan=None, kecamatan=None,
              tps=None, assignees=(), due=None, created=None, status=Task.Status.BELUM_MULAI,
              checklist=None, actor=None, description="", stage=None, blocked_reason=""):
    now = timezone.now()
    task = Task(election=world.election, title=title, description=description, agency=agency,
                kelurahan=kelurahan, kecamatan=kecamatan, tps=tps, stage=stage,
                due_at=due or now + datetime.timedelta(days=5), created_at=created or now,
                status=status, blocked_reason=blocked_reason)
    return services.create_task(task, actor=actor or users["admin"], assignees=assignees,
                                checklist=checklist)


@pytest.fixture
def tasks(world, users, dishub, dinkes):
    return SimpleNamespace(
        a=make_task(world, users, dishub, title="Tugas Klojen", kelurahan=world.kel_a,
                    checklist=["Kotak suara tiba", "Bilik terpasang"]),
        b=make_task(world, users, dishub, title="Tugas Jodipan", kelurahan=world.kel_b),
        pemda=make_task(world, users, dinkes, title="Tugas Pemda"),
    )


def form_data(world, agency, **changes):
    data = {"title": "Distribusi logistik H-1", "description": "Cek kotak suara.",
            "agency": agency.pk, "kecamatan": world.kec_a.code, "kelurahan": world.kel_a.code,
            "tps": "", "stage": "", "due_at": local(timezone.now() + datetime.timedelta(days=2)),
            "priority": "2", "status": Task.Status.BELUM_MULAI, "blocked_reason": "",
            "checklist": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(task, **changes):
    data = {"title": task.title, "description": task.description, "agency": task.agency_id,
            "assignees": list(task.assignees.values_list("pk", flat=True)),
            "kecamatan": task.kecamatan_id or "", "kelurahan": task.kelurahan_id or "",
            "tps": task.tps_id or "", "stage": task.stage_id or "", "due_at": local(task.due_at),
            "priority": str(task.priority), "status": task.status,
            "blocked_reason": task.blocked_reason, "version": task.version}
    data.update(changes)
    return data


def expected(persona, seers, edits=None):
    if persona == "anonymous":
        return 302
    if persona not in seers:
        return 404
    if edits is None:
        return 200
    return 200 if persona in edits else 403


# --- who sees what -------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_list_board_and_my_tasks_show_only_visible_tasks(tasks, personas, persona):
    client = personas[persona].client
    for name in ("coordination:task_list", "coordination:task_board"):
        response = client.get(reverse(name))
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/")
            continue
        assert response.status_code == 200
        body = response.content.decode()
        for task, seers in ((tasks.a, SEES_TASK_A), (tasks.b, SEES_TASK_B),
                            (tasks.pemda, SEES_TASK_PEMDA)):
            assert (task.get_absolute_url() in body) == (persona in seers), (name, persona, task)


def test_lurah_sees_tasks_assigned_to_them_and_not_other_kelurahan(world, users, personas, dishub,
                                                                  tasks):
    assigned = make_task(world, users, dishub, title="Tugas untuk lurah", kelurahan=world.kel_a,
                         assignees=[users["kelurahan_a"]])
    client = personas["kelurahan_a"].client
    mine = client.get(reverse("coordination:my_tasks")).content.decode()
    assert assigned.get_absolute_url() in mine
    assert tasks.a.get_absolute_url() not in mine  # in their kelurahan, but not theirs
    assert client.get(reverse("coordination:task_detail", args=[tasks.b.pk])).status_code == 404
    assert client.get(reverse("coordination:task_detail", args=[assigned.pk])).status_code == 200


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_detail_and_history_scope(tasks, personas, persona):
    client = personas[persona].client
    for task, seers in ((tasks.a, SEES_TASK_A), (tasks.b, SEES_TASK_B),
                        (tasks.pemda, SEES_TASK_PEMDA)):
        for name in ("coordination:task_detail", "coordination:task_history"):
            response = client.get(reverse(name, args=[task.pk]))
            assert response.status_code == expected(persona, seers), (name, persona, task)
            if response.status_code == 200:
                assert task.title in response.content.decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_edit_page_permissions(tasks, personas, persona):
    client = personas[persona].client
    cases = ((tasks.a, SEES_TASK_A, EDITS_TASK_A),
             (tasks.b, SEES_TASK_B, {"admin", "kelurahan_b"}),
             (tasks.pemda, SEES_TASK_PEMDA, {"admin", "agency"}))  # the agency operator's agency
    for task, seers, edits in cases:
        response = client.get(reverse("coordination:task_edit", args=[task.pk]))
        assert response.status_code == expected(persona, seers, edits), (persona, task)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_who_may_create(world, personas, persona):
    response = personas[persona].client.get(reverse("coordination:task_add"))
    assert response.status_code == {"anonymous": 302, "pemantau": 403}.get(persona, 200)


def test_pemantau_cannot_create_by_post(world, personas, dishub):
    response = personas["pemantau"].client.post(reverse("coordination:task_add"),
                                                form_data(world, dishub))
    assert response.status_code == 403
    assert not Task.objects.exists()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_status_change_permissions(tasks, personas, persona):
    client = personas[persona].client
    response = client.post(reverse("coordination:task_status", args=[tasks.a.pk]),
                           {"status": Task.Status.BERJALAN, "version": 1})
    code = expected(persona, SEES_TASK_A, EDITS_TASK_A)
    assert response.status_code == (302 if code == 200 else code), persona
    tasks.a.refresh_from_db()
    changed = persona in EDITS_TASK_A
    assert tasks.a.status == (Task.Status.BERJALAN if changed else Task.Status.BELUM_MULAI)
    assert tasks.a.version == (2 if changed else 1)
    if changed:
        note = TaskNote.objects.get(task=tasks.a)
        assert (note.status_from, note.status_to) == ("belum_mulai", "berjalan")
        assert note.author == personas[persona].user


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_note_permissions(tasks, personas, persona):
    client = personas[persona].client
    response = client.post(reverse("coordination:task_note", args=[tasks.a.pk]),
                           {"text": "Kotak suara sudah tiba."})
    code = expected(persona, SEES_TASK_A, EDITS_TASK_A)
    assert response.status_code == (302 if code == 200 else code), persona
    assert TaskNote.objects.filter(task=tasks.a).exists() == (persona in EDITS_TASK_A)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_checklist_toggle_permissions(tasks, personas, persona):
    item = tasks.a.checklist.first()
    response = personas[persona].client.post(
        reverse("coordination:task_checklist_toggle", args=[tasks.a.pk, item.pk]), {"done": "1"})
    code = expected(persona, SEES_TASK_A, EDITS_TASK_A)
    assert response.status_code == (302 if code == 200 else code), persona
    item.refresh_from_db()
    assert item.done == (persona in EDITS_TASK_A)


def test_agency_operator_edits_only_its_agencys_tasks(tasks, personas, dishub):
    client = personas["agency"].client
    ok = client.post(reverse("coordination:task_edit", args=[tasks.pemda.pk]),
                     edit_data(tasks.pemda, title="Tugas Pemda (ubah)", agency=dishub.pk))
    assert ok.status_code == 302
    tasks.pemda.refresh_from_db()
    assert tasks.pemda.title == "Tugas Pemda (ubah)"
    assert tasks.pemda.agency.short_name == "Dinkes"  # the agency is locked for the operator
    refused = client.post(reverse("coordination:task_edit", args=[tasks.a.pk]),
                          edit_data(tasks.a, title="Bukan punya Dinkes"))
    assert refused.status_code == 403
    tasks.a.refresh_from_db()
    assert tasks.a.title == "Tugas Klojen"


def test_task_assigned_to_an_agency_operator_is_editable_by_them(world, users, personas, dishub):
    task = make_task(world, users, dishub, title="Dukungan Dinkes", assignees=[users["agency"]])
    response = personas["agency"].client.get(reverse("coordination:task_edit", args=[task.pk]))
    assert response.status_code == 200


# --- attachments -----------------------------------------------------------------------------

def _note_with_files(task, user, *files):
    return services.add_note(task, actor=user, text="Foto dan berita acara", files=list(files))


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_attachment_download_follows_task_scope(tasks, users, personas, persona):
    note = _note_with_files(tasks.a, users["admin"],
                            SimpleUploadedFile("berita acara.pdf", PDF, "application/pdf"))
    attachment = note.attachments.get()
    response = personas[persona].client.get(reverse("coordination:attachment_download",
                                                    args=[attachment.pk]))
    assert response.status_code == expected(persona, SEES_TASK_A), persona
    if response.status_code == 200:
        served = b"".join(response.streaming_content)  # the copy without metadata
        assert served.startswith(b"%PDF-") and b"Budi" not in served and b"Budi" in PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="berita acara.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_images_are_shown_inline(tasks, users, personas):
    note = _note_with_files(tasks.a, users["admin"], SimpleUploadedFile("foto.png", PNG, "image/png"))
    response = personas["kelurahan_a"].client.get(
        reverse("coordination:attachment_download", args=[note.attachments.get().pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_meeting_attachment_visible_to_every_signed_in_user(world, users, personas):
    meeting = Meeting.objects.create(election=world.election, title="Rakor H-7",
                                     starts_at=timezone.now(), place="Balai Kota", chair="Sekda")
    checked = check_upload(SimpleUploadedFile("notulen.pdf", PDF, "application/pdf"))
    attachment = services.store_attachment(checked, actor=users["admin"], meeting=meeting)
    url = reverse("coordination:attachment_download", args=[attachment.pk])
    for persona in PERSONA_NAMES:
        response = personas[persona].client.get(url)
        assert response.status_code == (302 if persona == "anonymous" else 200), persona
    assert personas["admin"].client.get(
        reverse("coordination:attachment_download", args=[attachment.pk + 99])).status_code == 404


# --- create and edit ---------------------------------------------------------------------------

def test_admin_creates_task_with_assignees_checklist_and_audit(world, users, personas, dishub):
    stage = Stage.objects.create(election=world.election, name="Pemungutan suara",
                                 start_date=datetime.date(2024, 11, 27),
                                 end_date=datetime.date(2024, 11, 27))
    due = timezone.now() + datetime.timedelta(days=3)
    response = personas["admin"].client.post(reverse("coordination:task_add"), form_data(
        world, dishub, assignees=[users["kelurahan_a"].pk, users["agency"].pk], tps=world.tps_a.pk,
        stage=stage.pk, due_at=local(due), checklist="Kotak suara\n\n  Bilik suara  \n"))
    assert response.status_code == 302
    task = Task.objects.get()
    assert response["Location"] == task.get_absolute_url()
    assert (task.kecamatan_id, task.kelurahan_id, task.tps_id) == (
        world.kec_a.code, world.kel_a.code, world.tps_a.pk)
    assert task.stage == stage and task.agency == dishub and task.election == world.election
    assert task.created_by == users["admin"]
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == \
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    assert set(task.assignees.values_list("username", flat=True)) == {"kelurahan_a", "agency"}
    assert list(task.checklist.values_list("text", flat=True)) == ["Kotak suara", "Bilik suara"]
    assert AuditEntry.objects.filter(action="create", object_id=str(task.pk),
                                     username="admin").exists()
    assert Notification.objects.filter(task=task, kind="assigned").count() == 2


def test_agency_operator_task_is_forced_to_own_agency(world, personas, dishub, dinkes):
    response = personas["agency"].client.post(reverse("coordination:task_add"),
                                              form_data(world, dishub, kecamatan="", kelurahan=""))
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.agency == dinkes and task.kelurahan_id is None


def test_lurah_task_is_forced_into_their_kelurahan(world, personas, dishub):
    client = personas["kelurahan_a"].client
    page = client.get(reverse("coordination:task_add")).content.decode()
    assert re.search(r'<select name="kelurahan"[^>]*disabled', page)
    response = client.post(reverse("coordination:task_add"), form_data(
        world, dishub, kecamatan=world.kec_b.code, kelurahan=world.kel_b.code))
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.kecamatan_id, task.kelurahan_id) == (world.kec_a.code, world.kel_a.code)
    assert task.agency == dishub  # a lurah may name any agency


def test_camat_cannot_place_a_task_in_another_kecamatan(world, personas, dishub):
    response = personas["kecamatan_a"].client.post(reverse("coordination:task_add"), form_data(
        world, dishub, kelurahan=world.kel_b.code))
    assert response.status_code == 400
    assert "kelurahan" in response.context["form"].errors
    assert not Task.objects.exists()
    response = personas["kecamatan_a"].client.post(reverse("coordination:task_add"), form_data(
        world, dishub, kelurahan=world.kel_a2.code))
    assert response.status_code == 302
    assert Task.objects.get().kecamatan_id == world.kec_a.code


def test_region_dropdowns_are_scoped(world, personas):
    page = personas["kecamatan_a"].client.get(reverse("coordination:task_add")).content.decode()
    assert world.kel_a.code in page and world.kel_a2.code in page
    assert world.kel_b.code not in page and world.kel_outside.code not in page


def test_tps_choices_follow_the_kelurahan(world, personas):
    client = personas["admin"].client
    page = client.get(reverse("coordination:task_add"), {"kelurahan": world.kel_a.code})
    options = re.search(r'<select name="tps".*?</select>', page.content.decode(), re.S).group(0)
    assert f'value="{world.tps_a.pk}"' in options
    assert f'value="{world.tps_b.pk}"' not in options and f'value="{world.tps_a2.pk}"' not in options
    # A TPS of another kelurahan than the one posted is refused.
    response = client.post(reverse("coordination:task_add"),
                           form_data(world, Agency.objects.first(), tps=world.tps_a2.pk))
    assert response.status_code == 400 and "tps" in response.context["form"].errors
    assert not Task.objects.exists()


def test_edit_page_carries_the_version(tasks, personas):
    page = personas["admin"].client.get(reverse("coordination:task_edit", args=[tasks.a.pk]))
    assert re.search(r'<input type="hidden" name="version" value="1"', page.content.decode())


# --- bad input -----------------------------------------------------------------------------

def test_due_date_before_creation_is_refused(world, personas, dishub):
    client = english(personas["admin"].client)
    response = client.post(reverse("coordination:task_add"), form_data(
        world, dishub, due_at=local(timezone.now() - datetime.timedelta(days=1)),
        checklist="Satu\nDua"))
    assert response.status_code == 400
    assert "due_at" in response.context["form"].errors
    assert "The due date cannot be before the task was created" in response.content.decode()
    assert not Task.objects.exists() and not TaskChecklistItem.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_due_date_before_creation_is_refused_on_edit(tasks, personas):
    client = english(personas["admin"].client)
    response = client.post(reverse("coordination:task_edit", args=[tasks.a.pk]), edit_data(
        tasks.a, title="Diubah", due_at=local(tasks.a.created_at - datetime.timedelta(hours=2))))
    assert response.status_code == 400
    assert "The due date cannot be before the task was created" in response.content.decode()
    tasks.a.refresh_from_db()
    assert tasks.a.title == "Tugas Klojen" and tasks.a.version == 1


def test_unknown_assignee_is_a_form_error(world, personas, dishub):
    response = personas["admin"].client.post(reverse("coordination:task_add"),
                                             form_data(world, dishub, assignees=["99999"]))
    assert response.status_code == 400
    errors = response.context["form"].errors["assignees"]
    assert any("99999" in e for e in errors)
    assert not Task.objects.exists()


def test_inactive_user_cannot_be_assigned(world, users, personas, dishub):
    users["kelurahan_a"].is_active = False
    users["kelurahan_a"].save()
    response = personas["admin"].client.post(reverse("coordination:task_add"), form_data(
        world, dishub, assignees=[users["kelurahan_a"].pk]))
    assert response.status_code == 400 and "assignees" in response.context["form"].errors
    assert not Task.objects.exists()


def test_assignee_outside_the_tasks_region_is_refused(world, users, personas, dishub):
    client = english(personas["admin"].client)
    response = client.post(reverse("coordination:task_add"), form_data(
        world, dishub, assignees=[users["kelurahan_b"].pk, users["agency"].pk]))
    assert response.status_code == 400
    errors = response.context["form"].errors["assignees"]
    assert any("kelurahan_b" in e and "cannot be given a task outside it" in e for e in errors)
    assert "cannot be given a task outside it" in response.content.decode()
    assert not Task.objects.exists() and not Notification.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_assignee_outside_region_on_edit_saves_nothing(tasks, users, personas):
    client = english(personas["admin"].client)
    response = client.post(reverse("coordination:task_edit", args=[tasks.a.pk]), edit_data(
        tasks.a, title="Judul baru", assignees=[users["kelurahan_b"].pk]))
    assert response.status_code == 400
    assert "cannot be given a task outside it" in response.content.decode()
    tasks.a.refresh_from_db()
    assert tasks.a.title == "Tugas Klojen" and tasks.a.version == 1
    assert not tasks.a.assignees.exists()
    assert not AuditEntry.objects.filter(action="update").exists()


def _assert_no_note_saved(task):
    assert not TaskNote.objects.filter(task=task).exists()
    assert not Attachment.objects.exists()
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert stored == []
    assert not AuditEntry.objects.filter(action="update", object_id=str(task.pk)).exists()


def test_too_large_attachment_is_refused(tasks, personas):
    client = english(personas["kelurahan_a"].client)
    big = SimpleUploadedFile("laporan.pdf", PDF + b"0" * 4096, "application/pdf")
    with override_settings(POSKO_ATTACHMENT_MAX_BYTES=2048):
        response = client.post(reverse("coordination:task_note", args=[tasks.a.pk]),
                               {"text": "Laporan", "files": [big]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "laporan.pdf is too large" in body and "the limit is 2.0" in body
    _assert_no_note_saved(tasks.a)


def test_a_30_mb_attachment_is_refused(tasks, personas):
    client = english(personas["kelurahan_a"].client)
    assert settings.POSKO_ATTACHMENT_MAX_BYTES < 30 * 1024 * 1024
    huge = SimpleUploadedFile("scan.pdf", PDF + b"0" * (30 * 1024 * 1024), "application/pdf")
    response = client.post(reverse("coordination:task_note", args=[tasks.a.pk]),
                           {"text": "Hasil pindai", "files": [huge]})
    assert response.status_code == 400
    assert "scan.pdf is too large (30.0" in response.content.decode()
    _assert_no_note_saved(tasks.a)


def test_check_upload_refuses_30_mb_without_reading_it():
    class Upload(io.BytesIO):
        name = "video.pdf"
        size = 30 * 1024 * 1024

    with pytest.raises(ValidationError, match="too large"):
        check_upload(Upload(PDF))


def test_exe_renamed_to_pdf_is_refused_and_nothing_half_saved(tasks, personas):
    client = english(personas["kelurahan_a"].client)
    good = SimpleUploadedFile("foto.png", PNG, "image/png")
    exe = SimpleUploadedFile("laporan.pdf", EXE, "application/pdf")
    response = client.post(reverse("coordination:task_note", args=[tasks.a.pk]),
                           {"text": "Dua lampiran", "files": [good, exe]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "laporan.pdf is not a file of an accepted type" in body
    assert "Dua lampiran" in body  # the note the user wrote is still in the form
    _assert_no_note_saved(tasks.a)


def test_empty_note_is_refused(tasks, personas):
    response = english(personas["admin"].client).post(
        reverse("coordination:task_note", args=[tasks.a.pk]), {"text": "   "})
    assert response.status_code == 400
    assert "Write a note or attach a file." in response.content.decode()
    assert not TaskNote.objects.exists()


def test_note_with_files_is_shown_with_download_links(tasks, personas):
    client = personas["kelurahan_a"].client
    response = client.post(reverse("coordination:task_note", args=[tasks.a.pk]), {
        "text": "Logistik tiba\nlengkap", "files": [
            SimpleUploadedFile("ba.pdf", PDF, "application/pdf"),
            SimpleUploadedFile("foto.png", PNG, "image/png")]})
    assert response.status_code == 302
    note = TaskNote.objects.get(task=tasks.a)
    assert note.author.username == "kelurahan_a"
    assert sorted(note.attachments.values_list("original_name", flat=True)) == ["ba.pdf", "foto.png"]
    body = client.get(tasks.a.get_absolute_url()).content.decode()
    for attachment in note.attachments.all():
        assert reverse("coordination:attachment_download", args=[attachment.pk]) in body
    assert "Logistik tiba<br>lengkap" in body
    assert AuditEntry.objects.filter(action="update", object_id=str(tasks.a.pk),
                                     message__startswith=_audit_prefix("note: %(text)s")).exists()


def test_html_is_escaped_on_list_board_and_detail(world, users, personas, dishub):
    task = make_task(world, users, dishub, title=XSS, description=f"Baris 1\n{XSS}",
                     kelurahan=world.kel_a)
    services.add_note(task, actor=users["admin"], text=XSS)
    client = personas["admin"].client
    for url in (reverse("coordination:task_list"), reverse("coordination:task_board"),
                task.get_absolute_url(), reverse("coordination:task_history", args=[task.pk]),
                reverse("coordination:task_edit", args=[task.pk])):
        body = client.get(url).content.decode()
        assert XSS not in body, url
        assert XSS_ESCAPED in body, url
    detail = client.get(task.get_absolute_url()).content.decode()
    assert detail.count(XSS_ESCAPED) >= 3  # title, description and the note
    assert f"Baris 1<br>{XSS_ESCAPED}" in detail


def test_html_typed_into_the_form_is_stored_as_text_and_escaped(world, personas, dishub):
    client = personas["admin"].client
    response = client.post(reverse("coordination:task_add"),
                           form_data(world, dishub, title=XSS, description=XSS))
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.title == XSS and task.description == XSS
    body = client.get(task.get_absolute_url()).content.decode()
    assert XSS not in body and XSS_ESCAPED in body


def test_two_people_saving_the_same_task(tasks, users, personas):
    admin, camat = personas["admin"].client, english(personas["kecamatan_a"].client)
    url = reverse("coordination:task_edit", args=[tasks.a.pk])
    # Both open the edit page at version 1.
    assert admin.get(url).context["form"]["version"].value() == 1
    assert camat.get(url).context["form"]["version"].value() == 1
    first = admin.post(url, edit_data(tasks.a, title="Versi admin", priority="4", version=1))
    assert first.status_code == 302
    updates_before = AuditEntry.objects.filter(action="update").count()
    second = camat.post(url, edit_data(tasks.a, title="Versi camat", status="berjalan", version=1))
    assert second.status_code == 409
    body = second.content.decode()
    assert "Someone else saved this task while you were editing it" in body
    assert 'value="Versi camat"' in body  # the second person's input is not lost
    tasks.a.refresh_from_db()
    assert (tasks.a.title, tasks.a.priority, tasks.a.status, tasks.a.version) == (
        "Versi admin", 4, "belum_mulai", 2)
    assert AuditEntry.objects.filter(action="update").count() == updates_before
    assert not AuditEntry.objects.filter(username="kecamatan_a", object_id=str(tasks.a.pk)).exists()
    assert not TaskNote.objects.filter(task=tasks.a).exists()


def test_stale_status_change_is_refused(tasks, personas):
    client = english(personas["kelurahan_a"].client)
    services.change_status(tasks.a, Task.Status.BERJALAN, actor=personas["admin"].user,
                           expected_version=1)
    response = client.post(reverse("coordination:task_status", args=[tasks.a.pk]),
                           {"status": Task.Status.SELESAI, "version": 1})
    assert response.status_code == 409
    assert "Someone else saved this task" in response.content.decode()
    tasks.a.refresh_from_db()
    assert tasks.a.status == Task.Status.BERJALAN and tasks.a.version == 2
    assert TaskNote.objects.filter(task=tasks.a).count() == 1


def test_blocked_needs_a_reason(tasks, personas):
    client = english(personas["kelurahan_a"].client)
    url = reverse("coordination:task_status", args=[tasks.a.pk])
    response = client.post(url, {"status": Task.Status.TERHAMBAT, "reason": " ", "version": 1})
    assert response.status_code == 400
    assert "Say why the task is blocked." in response.content.decode()
    tasks.a.refresh_from_db()
    assert tasks.a.status == Task.Status.BELUM_MULAI and tasks.a.version == 1
    response = client.post(url, {"status": Task.Status.TERHAMBAT, "reason": "Jalan banjir",
                                 "version": 1, "next": reverse("coordination:task_board")})
    assert response.status_code == 302 and response["Location"] == reverse("coordination:task_board")
    tasks.a.refresh_from_db()
    assert tasks.a.status == Task.Status.TERHAMBAT and tasks.a.blocked_reason == "Jalan banjir"


def test_status_next_url_must_be_local(tasks, personas):
    response = personas["admin"].client.post(
        reverse("coordination:task_status", args=[tasks.a.pk]),
        {"status": Task.Status.SELESAI, "version": 1, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == tasks.a.get_absolute_url()
    tasks.a.refresh_from_db()
    assert tasks.a.completed_at is not None


def test_bad_status_and_version_values(tasks, personas):
    client = personas["admin"].client
    url = reverse("coordination:task_status", args=[tasks.a.pk])
    assert client.post(url, {"status": "hilang", "version": 1}).status_code == 400
    assert client.post(url, {"status": "selesai", "version": "x"}).status_code == 400
    tasks.a.refresh_from_db()
    assert tasks.a.status == Task.Status.BELUM_MULAI and tasks.a.version == 1


# --- checklist, history, source ----------------------------------------------------------------

def test_checklist_toggle_with_and_without_htmx(tasks, personas):
    client = personas["kelurahan_a"].client
    item = tasks.a.checklist.get(text="Kotak suara tiba")
    url = reverse("coordination:task_checklist_toggle", args=[tasks.a.pk, item.pk])
    response = client.post(url, {"done": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="check-{item.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    item.refresh_from_db()
    assert item.done
    response = client.post(url)  # no value: flips it
    assert response.status_code == 302 and response["Location"].endswith("#checklist")
    item.refresh_from_db()
    assert not item.done
    assert AuditEntry.objects.filter(object_id=str(tasks.a.pk), message__startswith=_audit_prefix("checklist: %(item)s %(state)s"),
                                     username="kelurahan_a").count() == 2
    other = make_task_item_elsewhere(tasks)
    assert client.post(reverse("coordination:task_checklist_toggle",
                               args=[tasks.a.pk, other.pk])).status_code == 404


def make_task_item_elsewhere(tasks):
    return TaskChecklistItem.objects.create(task=tasks.b, text="Milik tugas lain")


def test_history_lists_the_changes(tasks, personas):
    client = personas["admin"].client
    client.post(reverse("coordination:task_status", args=[tasks.a.pk]),
                {"status": Task.Status.BERJALAN, "version": 1})
    body = client.get(reverse("coordination:task_history", args=[tasks.a.pk])).content.decode()
    assert "berjalan" in body and "belum_mulai" in body
    detail = client.get(tasks.a.get_absolute_url()).content.decode()
    assert reverse("coordination:task_history", args=[tasks.a.pk]) in detail


def test_detail_shows_everything_and_the_decision_it_came_from(world, users, personas, dishub):
    task = make_task(world, users, dishub, title="Tindak lanjut rakor", kelurahan=world.kel_a,
                     assignees=[users["kelurahan_a"]], checklist=["Satu"],
                     description="Koordinasi dengan PPS")
    meeting = Meeting.objects.create(election=world.election, title="Rakor Desk", place="Balai Kota",
                                     starts_at=timezone.now(), chair="Sekda")
    Decision.objects.create(meeting=meeting, text="Pastikan genset siaga di TPS", task=task)
    response = personas["kelurahan_a"].client.get(task.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Tindak lanjut rakor", "Koordinasi dengan PPS", "Dinas Perhubungan", "Satu",
                 "Pastikan genset siaga di TPS", world.kel_a.name, "Kelurahan A"):
        assert text in body, text
    assert re.search(r'name="version" value="1"', body)  # the status form carries the version
    assert 'type="file" name="files" id="id_files" multiple' in body
    pemantau = personas["pemantau"].client.get(task.get_absolute_url()).content.decode()
    assert reverse("coordination:task_status", args=[task.pk]) not in pemantau
    assert reverse("coordination:task_note", args=[task.pk]) not in pemantau


# --- list filters, highlights, export, board ---------------------------------------------------

def test_filters_narrow_the_list(world, users, personas, dishub, dinkes, tasks):
    stage = Stage.objects.create(election=world.election, name="Masa tenang",
                                 start_date=datetime.date(2024, 11, 24),
                                 end_date=datetime.date(2024, 11, 26))
    blocked = make_task(world, users, dinkes, title="Copot APK kampanye", kelurahan=world.kel_a2,
                        status=Task.Status.TERHAMBAT, blocked_reason="Hujan", stage=stage,
                        description="Alat peraga kampanye di Jalan Ijen")
    client = personas["admin"].client

    def titles(**params):
        response = client.get(reverse("coordination:task_list"), params)
        assert response.status_code == 200
        return {t.title for t in response.context["object_list"]}

    everything = {"Tugas Klojen", "Tugas Jodipan", "Tugas Pemda", "Copot APK kampanye"}
    assert titles() == everything
    assert titles(status="terhambat") == {"Copot APK kampanye"}
    assert titles(agency=dinkes.pk) == {"Tugas Pemda", "Copot APK kampanye"}
    assert titles(stage=stage.pk) == {"Copot APK kampanye"}
    assert titles(kecamatan=world.kec_a.code) == {"Tugas Klojen", "Copot APK kampanye"}
    assert titles(kelurahan=world.kel_b.code) == {"Tugas Jodipan"}
    assert titles(search="ijen") == {"Copot APK kampanye"}
    assert titles(search="jodipan") == {"Tugas Jodipan"}
    Task.objects.filter(pk=blocked.pk).update(priority=Task.Priority.MENDESAK)
    assert titles(priority="4") == {"Copot APK kampanye"}
    # A lurah cannot filter on another region: the filter is refused, nothing is listed.
    response = personas["kelurahan_a"].client.get(reverse("coordination:task_list"),
                                                  {"kelurahan": world.kel_b.code})
    assert response.status_code == 200 and list(response.context["object_list"]) == []
    assert "kelurahan" in response.context["filterset"].errors


def test_mine_lists_assigned_and_created(world, users, personas, dishub, tasks):
    assigned = make_task(world, users, dishub, title="Ditugaskan ke camat", kelurahan=world.kel_a2,
                         assignees=[users["kecamatan_a"]])
    created = make_task(world, users, dishub, title="Dibuat camat", kelurahan=world.kel_a,
                        actor=users["kecamatan_a"])
    client = personas["kecamatan_a"].client
    response = client.get(reverse("coordination:my_tasks"))
    assert {t.pk for t in response.context["object_list"]} == {assigned.pk, created.pk}
    response = client.get(reverse("coordination:task_list"), {"mine": "on"})
    assert {t.pk for t in response.context["object_list"]} == {assigned.pk, created.pk}


def test_overdue_and_due_soon_are_highlighted_and_filterable(world, users, personas, dishub, tasks):
    now = timezone.now()
    overdue = make_task(world, users, dishub, title="Terlambat", kelurahan=world.kel_a,
                        created=now - datetime.timedelta(days=3),
                        due=now - datetime.timedelta(hours=2))
    soon = make_task(world, users, dishub, title="Segera", kelurahan=world.kel_a,
                     due=now + datetime.timedelta(hours=20))
    done_late = make_task(world, users, dishub, title="Selesai telat", kelurahan=world.kel_a,
                          created=now - datetime.timedelta(days=3),
                          due=now - datetime.timedelta(days=1), status=Task.Status.SELESAI)
    client = english(personas["admin"].client)
    body = client.get(reverse("coordination:task_list")).content.decode()

    def row(task):
        return re.search(rf'<tr class="([^"]*)" data-task="{task.pk}">(.*?)</tr>', body, re.S)

    assert "task-overdue" in row(overdue).group(1) and "Overdue" in row(overdue).group(2)
    assert "task-due-soon" in row(soon).group(1) and "Due within 48 h" in row(soon).group(2)
    for calm in (tasks.a, done_late):
        assert "task-overdue" not in row(calm).group(1) and "task-due-soon" not in row(calm).group(1)
        assert "Overdue" not in row(calm).group(2)
    response = client.get(reverse("coordination:task_list"), {"overdue": "on"})
    assert [t.pk for t in response.context["object_list"]] == [overdue.pk]
    response = client.get(reverse("coordination:task_list"), {"due_soon": "on"})
    assert [t.pk for t in response.context["object_list"]] == [soon.pk]
    board = client.get(reverse("coordination:task_board")).content.decode()
    card = re.search(rf'<article class="([^"]*)" data-task="{overdue.pk}">(.*?)</article>', board, re.S)
    assert "task-overdue" in card.group(1) and "Overdue" in card.group(2)


def test_list_is_paginated(world, users, personas, dishub):
    for n in range(55):
        make_task(world, users, dishub, title=f"Tugas {n:02d}", kelurahan=world.kel_a)
    client = personas["admin"].client
    first = client.get(reverse("coordination:task_list"))
    assert len(first.context["object_list"]) == 50 and first.context["paginator"].count == 55
    second = client.get(reverse("coordination:task_list"), {"page": 2})
    assert len(second.context["object_list"]) == 5


def test_export_csv_and_xlsx_follow_scope_and_filters(tasks, personas):
    response = personas["kelurahan_b"].client.get(reverse("coordination:task_list"),
                                                  {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Tugas Jodipan" in text and "Tugas Klojen" not in text and "Tugas Pemda" not in text
    assert AuditEntry.objects.filter(action="export", username="kelurahan_b").exists()
    response = personas["admin"].client.get(reverse("coordination:task_list"),
                                            {"export": "xlsx", "status": "belum_mulai"})
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {
        "Tugas Klojen", "Tugas Jodipan", "Tugas Pemda"}


def test_board_has_four_columns_and_moves_cards(world, users, personas, dishub, tasks):
    make_task(world, users, dishub, title="Sudah beres", kelurahan=world.kel_a,
              status=Task.Status.SELESAI)
    client = personas["kecamatan_a"].client
    response = client.get(reverse("coordination:task_board"))
    columns = response.context["columns"]
    assert [c["status"] for c in columns] == ["belum_mulai", "berjalan", "terhambat", "selesai"]
    assert [[t.title for t in c["tasks"]] for c in columns] == [["Tugas Klojen"], [], [],
                                                                 ["Sudah beres"]]
    body = response.content.decode()
    assert reverse("coordination:task_status", args=[tasks.a.pk]) in body  # a card's move form
    # The pemantau sees the cards but gets no move form.
    pemantau = personas["pemantau"].client.get(reverse("coordination:task_board")).content.decode()
    assert tasks.a.get_absolute_url() in pemantau
    assert reverse("coordination:task_status", args=[tasks.a.pk]) not in pemantau
    # Moving a card: the small status form posts back to the board.
    board_url = reverse("coordination:task_board") + "?agency=" + str(dishub.pk)
    response = client.post(reverse("coordination:task_status", args=[tasks.a.pk]),
                           {"status": "berjalan", "version": 1, "next": board_url})
    assert response.status_code == 302 and response["Location"] == board_url
    columns = client.get(board_url).context["columns"]
    assert [t.title for t in columns[1]["tasks"]] == ["Tugas Klojen"]


def test_board_columns_are_capped_with_a_link_to_the_rest(world, users, personas, dishub,
                                                           monkeypatch):
    from posko.coordination.views import tasks as views_tasks

    monkeypatch.setattr(views_tasks, "BOARD_COLUMN_LIMIT", 2)
    for n in range(5):
        make_task(world, users, dishub, title=f"Antre {n}", kelurahan=world.kel_a,
                  due=timezone.now() + datetime.timedelta(days=n + 1))
    response = personas["admin"].client.get(reverse("coordination:task_board"),
                                            {"agency": dishub.pk})
    first = response.context["columns"][0]
    assert [t.title for t in first["tasks"]] == ["Antre 0", "Antre 1"]  # the earliest due first
    assert (first["count"], first["more"]) == (5, 3)
    link = reverse("coordination:task_list") + f"?agency={dishub.pk}&amp;status=belum_mulai"
    assert link in response.content.decode()


def test_board_filters(world, users, personas, dishub, dinkes, tasks):
    response = personas["admin"].client.get(reverse("coordination:task_board"),
                                            {"agency": dinkes.pk})
    shown = {t.title for c in response.context["columns"] for t in c["tasks"]}
    assert shown == {"Tugas Pemda"}
    response = personas["admin"].client.get(reverse("coordination:task_board"),
                                            {"kelurahan": world.kel_b.code})
    shown = {t.title for c in response.context["columns"] for t in c["tasks"]}
    assert shown == {"Tugas Jodipan"}


def _many_tasks(world, users, agency, count, offset=0):
    places = [world.tps_a, world.tps_a2, world.tps_b]
    for n in range(count):
        tps = places[n % 3]
        assignee = users["kelurahan_a"] if tps.kelurahan_id == world.kel_a.code else users["agency"]
        make_task(world, users, agency, title=f"Tugas massal {offset + n}", tps=tps,
                  assignees=[assignee, users["admin"]],
                  status=list(Task.Status.values)[n % 4], blocked_reason="Alasan")


@pytest.mark.parametrize("name", ["coordination:task_list", "coordination:task_board",
                                  "coordination:my_tasks"])
def test_query_count_does_not_grow_with_tasks(world, users, personas, dishub, name,
                                              django_assert_max_num_queries):
    client = personas["admin"].client
    Stage.objects.create(election=world.election, name="Kampanye",
                         start_date=datetime.date(2024, 9, 25), end_date=datetime.date(2024, 11, 23))
    _many_tasks(world, users, dishub, 5)
    url = reverse(name)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    _many_tasks(world, users, dishub, 35, offset=5)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    shown = (response.context["object_list"] if "object_list" in response.context
             else [t for c in response.context["columns"] for t in c["tasks"]])
    assert len(shown) == 40  # admin created all of them and is assigned to all of them
    assert len(few) <= 17  # including the notification bell's one COUNT


def test_links_from_elsewhere_prefill_the_filters(world, personas, tasks):
    response = personas["admin"].client.get(reverse("coordination:task_list"),
                                            {"kelurahan": world.kel_a.code})
    body = response.content.decode()
    assert re.search(rf'<option value="{re.escape(world.kel_a.code)}" selected>', body)
    assert {t.title for t in response.context["object_list"]} == {"Tugas Klojen"}


def test_new_user_created_by_form_is_assignable(world, personas, dishub):
    """The assignee list is every active user of the Pemda, not only those of the region."""
    user = User.objects.create_user("dishub_op", password=PASSWORD, role=Role.AGENCY, agency=dishub)
    page = personas["kelurahan_a"].client.get(reverse("coordination:task_add")).content.decode()
    assert f'<option value="{user.pk}"' in page


def _audit_prefix(msgid: str) -> str:
    """The start of an audit message as written in the default language (Indonesian)."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("id"):
        return gettext(msgid).split("%(")[0]
