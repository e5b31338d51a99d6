"""Coordination meetings: persona matrix, decisions, decision → task, optimistic locking,
attachments, escaping, printable minutes."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from posko.accounts.models import Agency
from posko.coordination import report as coordination_report
from posko.coordination.models import Attachment, Decision, Meeting, Notification, Task
from posko.core.models import AuditEntry
from posko.elections.models import Election
from tests.conftest import PERSONA_NAMES
from tests.media_fixtures import pdf_bytes
from tests.outreach_fixtures import PNG as PNG_1PX
from tests.test_reports import pdf_text

pytestmark = pytest.mark.django_db

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
SCRIPT = "<script>alert('rapat')</script>"


@pytest.fixture(autouse=True)
def _letterhead_registered():
    coordination_report.register()  # what CoordinationConfig.ready() does


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def meeting(world, users):
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    m = Meeting.objects.create(
        election=world.election, title="Rakor Desk Pilkada H-7", place="Ruang Sidang Balai Kota",
        chair="Sekretaris Daerah", starts_at=timezone.now() - datetime.timedelta(hours=2),
        attendees="Kepala Dinkes\nKasatpol PP", agenda="Kesiapan H-7",
        minutes=f"Catatan rapat {SCRIPT} selesai.", created_by=users["admin"])
    m.agencies.set([dinkes])
    return m


@pytest.fixture
def decision(meeting, users):
    return Decision.objects.create(
        meeting=meeting, text="Dinkes menyiagakan ambulans di setiap kecamatan pada hari pemungutan "
                              "suara", agency=Agency.objects.get(name="Dinas Kesehatan"),
        assignee=users["agency"], order=1)


def form_data(meeting, **changes):
    data = {"election": meeting.election_id, "title": meeting.title,
            "starts_at": timezone.localtime(meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "place": meeting.place, "chair": meeting.chair, "attendees": meeting.attendees,
            "agenda": meeting.agenda, "minutes": meeting.minutes, "version": meeting.version,
            "agencies": [a.pk for a in meeting.agencies.all()]}
    data.update(changes)
    return data


# --- who sees, who edits -------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_every_signed_in_user_sees_meetings(meeting, decision, personas, persona):
    client = personas[persona].client
    for url in (reverse("coordination:meeting_list"),
                reverse("coordination:meeting_detail", args=[meeting.pk]),
                reverse("coordination:meeting_minutes_pdf", args=[meeting.pk])):
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/"), url
        else:
            assert response.status_code == 200, (persona, url)
    if persona != "anonymous":
        page = client.get(reverse("coordination:meeting_detail", args=[meeting.pk])).content.decode()
        assert "Dinkes menyiagakan ambulans" in page
        make_task = reverse("coordination:decision_to_task", args=[decision.pk])
        assert (make_task in page) == (persona == "admin")
        assert (reverse("coordination:meeting_edit", args=[meeting.pk]) in page) == (persona == "admin")


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_admin_changes_meetings(meeting, decision, personas, persona):
    client = personas[persona].client
    expected_get = {"admin": 200, "anonymous": 302}.get(persona, 403)
    for url in (reverse("coordination:meeting_add"),
                reverse("coordination:meeting_edit", args=[meeting.pk]),
                reverse("coordination:decision_add", args=[meeting.pk]),
                reverse("coordination:decision_edit", args=[decision.pk])):
        assert client.get(url).status_code == expected_get, (persona, url)
    if persona == "admin":
        return
    expected_post = 302 if persona == "anonymous" else 403
    posts = [
        (reverse("coordination:meeting_add"), form_data(meeting, title="Rapat Liar")),
        (reverse("coordination:meeting_edit", args=[meeting.pk]), form_data(meeting, title="Diubah")),
        (reverse("coordination:decision_add", args=[meeting.pk]), {"text": "Keputusan liar",
                                                                   "order": 2}),
        (reverse("coordination:decision_edit", args=[decision.pk]), {"text": "Diubah", "order": 1}),
        (reverse("coordination:decision_to_task", args=[decision.pk]), {}),
        (reverse("coordination:meeting_attach", args=[meeting.pk]),
         {"files": SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == expected_post, (persona, url)
    meeting.refresh_from_db()
    decision.refresh_from_db()
    assert meeting.title == "Rakor Desk Pilkada H-7" and decision.text.startswith("Dinkes")
    assert Meeting.objects.count() == 1 and Decision.objects.count() == 1
    assert not Task.objects.exists() and not Attachment.objects.exists()


def test_unknown_meeting_is_404(world, personas):
    client = personas["admin"].client
    assert client.get(reverse("coordination:meeting_detail", args=[999])).status_code == 404
    assert client.post(reverse("coordination:decision_to_task", args=[999])).status_code == 404


# --- create and edit -----------------------------------------------------------------------------

def test_admin_creates_a_meeting(world, personas):
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    satpol = Agency.objects.create(name="Satpol PP")
    client = personas["admin"].client
    page = client.get(reverse("coordination:meeting_add")).content.decode()
    assert f'value="{world.election.pk}" selected' in page  # the active election by default
    response = client.post(reverse("coordination:meeting_add"), {
        "election": world.election.pk, "title": "Rakor Logistik", "starts_at": "2024-11-20T09:30",
        "place": "Balai Kota", "chair": "Sekda", "agencies": [dinkes.pk, satpol.pk],
        "attendees": "Budi\nSiti", "agenda": "Distribusi", "minutes": ""})
    meeting = Meeting.objects.get(title="Rakor Logistik")
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert timezone.localtime(meeting.starts_at).replace(tzinfo=None) == datetime.datetime(2024, 11, 20, 9, 30)
    assert set(meeting.agencies.all()) == {dinkes, satpol}
    assert meeting.created_by.username == "admin" and meeting.version == 1
    entry = AuditEntry.objects.get(action="create", object_repr="Rakor Logistik")
    assert "Dinkes" in entry.message and "Satpol PP" in entry.message


def test_missing_fields_save_nothing(world, personas):
    response = personas["admin"].client.post(reverse("coordination:meeting_add"), {
        "election": world.election.pk, "title": "", "starts_at": "kemarin", "place": "",
        "chair": ""})
    assert response.status_code == 400 and not Meeting.objects.exists()


def test_edit_with_the_current_version_saves(meeting, personas):
    client = personas["admin"].client
    page = client.get(reverse("coordination:meeting_edit", args=[meeting.pk])).content.decode()
    assert 'name="version" value="1"' in page
    response = client.post(reverse("coordination:meeting_edit", args=[meeting.pk]),
                           form_data(meeting, title="Rakor H-7 (revisi)", agencies=[]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Rakor H-7 (revisi)" and meeting.version == 2
    assert not meeting.agencies.exists()
    assert AuditEntry.objects.filter(action="update", object_id=str(meeting.pk)).count() == 2


def test_concurrent_edit_is_refused(meeting, personas, users):
    """Two admins open the form at version 1; the first saves; the second is told."""
    client = english(personas["admin"].client)
    stale = form_data(meeting, title="Versi kedua")
    first = client.post(reverse("coordination:meeting_edit", args=[meeting.pk]),
                        form_data(meeting, title="Versi pertama"))
    assert first.status_code == 302
    response = client.post(reverse("coordination:meeting_edit", args=[meeting.pk]), stale)
    assert response.status_code == 409
    assert "Someone else saved this coordination meeting" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Versi pertama" and meeting.version == 2
    # Without a version the edit is refused too (no silent last-write-wins).
    no_version = form_data(meeting, title="Tanpa versi")
    del no_version["version"]
    assert client.post(reverse("coordination:meeting_edit", args=[meeting.pk]),
                       no_version).status_code == 400
    meeting.refresh_from_db()
    assert meeting.title == "Versi pertama"


# --- decisions -----------------------------------------------------------------------------------

def test_add_and_edit_a_decision(meeting, personas, users):
    client = personas["admin"].client
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    response = client.post(reverse("coordination:decision_add", args=[meeting.pk]), {
        "text": "Siapkan posko kesehatan", "agency": dinkes.pk, "assignee": users["agency"].pk,
        "due_at": "", "order": 1})
    decision = Decision.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#keputusan-{decision.pk}")
    assert decision.meeting == meeting and decision.assignee == users["agency"]
    response = client.post(reverse("coordination:decision_edit", args=[decision.pk]), {
        "text": "Siapkan dua posko kesehatan", "agency": dinkes.pk, "order": 1})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.text == "Siapkan dua posko kesehatan" and decision.assignee is None
    assert AuditEntry.objects.filter(content_type__model="decision").count() == 2


def test_decision_due_before_the_meeting_is_refused(meeting, personas):
    client = english(personas["admin"].client)
    before = timezone.localtime(meeting.starts_at - datetime.timedelta(days=2))
    response = client.post(reverse("coordination:decision_add", args=[meeting.pk]), {
        "text": "Terlambat sejak awal", "due_at": before.strftime("%Y-%m-%dT%H:%M"), "order": 1})
    assert response.status_code == 400
    assert "The due date cannot be before the meeting" in response.content.decode()
    assert not Decision.objects.exists()


def test_decision_becomes_a_task_once(decision, meeting, personas, users):
    client = personas["admin"].client
    url = reverse("coordination:decision_to_task", args=[decision.pk])
    response = client.post(url)
    assert response.status_code == 302
    task = Task.objects.get()
    decision.refresh_from_db()
    assert decision.task == task
    assert task.title == decision.text and task.agency == decision.agency
    assert task.election == meeting.election and list(task.assignees.all()) == [users["agency"]]
    assert task.due_at == meeting.starts_at + datetime.timedelta(days=7)
    assert task.created_by == users["admin"] and task.kelurahan_id is None
    note = Notification.objects.get()
    assert note.user == users["agency"] and note.kind == Notification.Kind.DECISION
    assert note.key == f"decision:{decision.pk}:{users['agency'].pk}" and note.task == task
    assert AuditEntry.objects.filter(action="create", object_id=str(task.pk),
                                     content_type__model="task").count() == 1
    # A second click (or a double submit) creates nothing new.
    assert client.post(url).status_code == 302
    assert Task.objects.count() == 1 and Notification.objects.count() == 1
    # The meeting page shows the task's status instead of the button.
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'data-status="belum_mulai"' in page and url not in page
    task.status = Task.Status.SELESAI
    task.save()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'data-status="selesai"' in page


def test_decision_task_title_is_cut_to_200_characters(meeting, personas):
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    text = "Keputusan panjang\n" + "kata " * 100
    d = Decision.objects.create(meeting=meeting, text=text, agency=dinkes,
                                due_at=timezone.now() + datetime.timedelta(days=3))
    personas["admin"].client.post(reverse("coordination:decision_to_task", args=[d.pk]))
    task = Task.objects.get()
    assert len(task.title) <= 200 and task.title.startswith("Keputusan panjang kata")
    assert "\n" not in task.title and task.due_at == d.due_at
    assert not Notification.objects.exists()  # nobody to notify


def test_decision_without_agency_gives_a_clear_error(decision, meeting, personas):
    decision.agency = None
    decision.save()
    client = english(personas["admin"].client)
    response = client.post(reverse("coordination:decision_to_task", args=[decision.pk]))
    assert response.status_code == 400
    assert "This decision has no responsible agency" in response.content.decode()
    decision.refresh_from_db()
    assert decision.task is None
    assert not Task.objects.exists() and not Notification.objects.exists()


def test_decision_without_due_date_long_after_the_meeting(decision, meeting, personas):
    meeting.starts_at = timezone.now() - datetime.timedelta(days=30)
    meeting.save()
    response = english(personas["admin"].client).post(
        reverse("coordination:decision_to_task", args=[decision.pk]))
    assert response.status_code == 400
    assert "has no due date" in response.content.decode()
    assert not Task.objects.exists()


def test_decision_for_a_lurah_is_placed_in_their_kelurahan(decision, personas, users, world):
    decision.assignee = users["kelurahan_a"]
    decision.save()
    personas["admin"].client.post(reverse("coordination:decision_to_task", args=[decision.pk]))
    task = Task.objects.get()
    assert task.kelurahan_id == world.kel_a.code and task.kecamatan_id == world.kec_a.code
    assert Task.objects.visible_to(users["kelurahan_a"]).filter(pk=task.pk).exists()
    assert not Task.objects.visible_to(users["kelurahan_b"]).filter(pk=task.pk).exists()
    assert Notification.objects.get().user == users["kelurahan_a"]


def test_task_link_only_for_those_who_see_the_task(decision, meeting, personas, users):
    decision.assignee = users["kelurahan_a"]
    decision.save()
    personas["admin"].client.post(reverse("coordination:decision_to_task", args=[decision.pk]))
    task_url = Task.objects.get().get_absolute_url()
    for persona, sees in (("kelurahan_a", True), ("kecamatan_a", True), ("kelurahan_b", False)):
        page = personas[persona].client.get(meeting.get_absolute_url()).content.decode()
        assert 'data-status="belum_mulai"' in page, persona
        assert (f'href="{task_url}"' in page) == sees, persona


def test_meeting_page_queries_do_not_grow_with_decisions(meeting, personas, users,
                                                        django_assert_max_num_queries):
    dinkes = Agency.objects.get(name="Dinas Kesehatan")
    for i in range(15):
        d = Decision.objects.create(meeting=meeting, text=f"Keputusan {i}", agency=dinkes,
                                    assignee=users["agency"], order=i,
                                    due_at=timezone.now() + datetime.timedelta(days=2))
        if i % 2:
            personas["admin"].client.post(reverse("coordination:decision_to_task", args=[d.pk]))
    assert Task.objects.count() == 7
    with django_assert_max_num_queries(16):
        page = personas["admin"].client.get(meeting.get_absolute_url())
    assert page.content.decode().count('data-testid="decision"') == 15


def test_inactive_assignee_is_refused(decision, personas, users):
    users["agency"].is_active = False
    users["agency"].save()
    response = english(personas["admin"].client).post(
        reverse("coordination:decision_to_task", args=[decision.pk]))
    assert response.status_code == 400 and "is not an active user" in response.content.decode()
    assert not Task.objects.exists()


def test_make_task_is_post_only(decision, personas):
    response = personas["admin"].client.get(reverse("coordination:decision_to_task",
                                                    args=[decision.pk]))
    assert response.status_code == 405 and not Task.objects.exists()


# --- attachments ---------------------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_pdf_attachment_is_stored(meeting, personas, media):
    upload = SimpleUploadedFile("notulen bertanda tangan.pdf", pdf_bytes(),
                                content_type="application/pdf")
    response = personas["admin"].client.post(
        reverse("coordination:meeting_attach", args=[meeting.pk]), {"files": [upload]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.meeting == meeting and attachment.note is None
    assert attachment.original_name == "notulen bertanda tangan.pdf"
    assert attachment.content_type == "application/pdf"
    assert "bertanda" not in attachment.file.name  # stored under a random name
    page = personas["pemantau"].client.get(meeting.get_absolute_url()).content.decode()
    assert "notulen bertanda tangan.pdf" in page
    assert reverse("coordination:attachment_download", args=[attachment.pk]) in page


def test_exe_renamed_to_pdf_is_refused(meeting, personas, media):
    exe = SimpleUploadedFile("laporan.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
                             content_type="application/pdf")
    good = SimpleUploadedFile("foto.png", PNG_1PX,
                              content_type="image/png")
    response = english(personas["admin"].client).post(
        reverse("coordination:meeting_attach", args=[meeting.pk]), {"files": [good, exe]})
    assert response.status_code == 400
    assert "laporan.pdf is not a file of an accepted type" in response.content.decode()
    assert not Attachment.objects.exists()  # one bad file: nothing stored
    assert not list(media.rglob("*.png")) and not list(media.rglob("*.pdf"))


def test_attaching_nothing_is_an_error(meeting, personas, media):
    response = personas["admin"].client.post(reverse("coordination:meeting_attach",
                                                     args=[meeting.pk]), {})
    assert response.status_code == 400 and not Attachment.objects.exists()


# --- escaping, minutes PDF, list -----------------------------------------------------------------

def test_html_in_minutes_is_text(meeting, decision, personas):
    decision.text = "<b>tebal</b> keputusan"
    decision.save()
    page = personas["pemantau"].client.get(meeting.get_absolute_url()).content.decode()
    assert SCRIPT not in page and "<b>tebal</b>" not in page
    assert "&lt;script&gt;alert(&#x27;rapat&#x27;)&lt;/script&gt;" in page
    assert "&lt;b&gt;tebal&lt;/b&gt; keputusan" in page
    response = personas["pemantau"].client.get(reverse("coordination:meeting_minutes_pdf",
                                                       args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"Catatan rapat {SCRIPT} selesai." in text
    assert "<b>tebal</b> keputusan" in text


def test_minutes_pdf_content(meeting, decision, personas):
    decision_to_task_url = reverse("coordination:decision_to_task", args=[decision.pk])
    personas["admin"].client.post(decision_to_task_url)
    client = english(personas["kelurahan_b"].client)
    response = client.get(reverse("coordination:meeting_minutes_pdf", args=[meeting.pk]))
    text = pdf_text(response.content)
    for expected in ("PEMERINTAH KOTA MALANG", "Rakor Desk Pilkada H-7", "Ruang Sidang Balai Kota",
                     "Sekretaris Daerah", "Kepala Dinkes", "Kasatpol PP", "Kesiapan H-7",
                     "Dinkes menyiagakan ambulans", "Not started", "Page 1/1"):
        assert expected in text, expected
    assert AuditEntry.objects.filter(action="export", object_id=str(meeting.pk)).exists()


def test_meeting_list_upcoming_past_search_and_election(meeting, decision, personas, world):
    other = Election.objects.create(name="Pilkada Ulang 2025", voting_date=datetime.date(2025, 8, 27))
    Meeting.objects.create(election=world.election, title="Rakor Hari H", place="Balai Kota",
                           chair="Wali Kota", starts_at=timezone.now() + datetime.timedelta(days=3))
    Meeting.objects.create(election=other, title="Rapat Pilkada Ulang", place="Kantor",
                           chair="Sekda", starts_at=timezone.now() - datetime.timedelta(days=1))
    client = personas["kelurahan_a"].client
    url = reverse("coordination:meeting_list")
    page = client.get(url).content.decode()
    upcoming, held = page.split('id="held"')
    assert "Rakor Hari H" in upcoming and "Rakor Desk Pilkada H-7" not in upcoming
    assert "Rakor Desk Pilkada H-7" in held and "Rapat Pilkada Ulang" not in page
    page = client.get(url, {"q": "ambulans"}).content.decode()  # found by its decision
    assert "Rakor Desk Pilkada H-7" in page and "Rakor Hari H" not in page
    page = client.get(url, {"election": other.pk}).content.decode()
    assert "Rapat Pilkada Ulang" in page and "Rakor Hari H" not in page
    page = client.get(url, {"election": "all"}).content.decode()
    assert "Rapat Pilkada Ulang" in page and "Rakor Hari H" in page


def test_meeting_list_queries_do_not_grow(world, personas, django_assert_max_num_queries):
    for i in range(30):
        Meeting.objects.create(election=world.election, title=f"Rapat {i}", place="Balai Kota",
                               chair="Sekda", starts_at=datetime.datetime(2024, 11, 1 + i % 28, 9,
                                                                          tzinfo=WIB))
    client = personas["admin"].client
    with django_assert_max_num_queries(12):
        assert client.get(reverse("coordination:meeting_list")).status_code == 200
