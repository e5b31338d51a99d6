"""Supervision checklists per stage: defined by the admin, filled by camat and lurah for
their own area, unmet items turned into tasks, completion per region."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import (
    SupervisionChecklist,
    SupervisionItem,
    SupervisionResponse,
    Task,
)
from posko.coordination.services import checklists as checklist_services
from posko.core.models import AuditEntry
from posko.elections.models import Stage
from tests.conftest import PERSONA_NAMES

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89"
       b"\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")  # a real 1x1 PNG (photos are decoded)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rows(world, users):
    satpol = Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP")
    dishub = Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    stage = Stage.objects.create(election=world.election, name="Masa tenang",
                                 start_date=datetime.date(2024, 11, 24),
                                 end_date=datetime.date(2024, 11, 26))
    checklist = SupervisionChecklist.objects.create(
        election=world.election, stage=stage, title="Masa tenang: APK dibersihkan",
        level=SupervisionChecklist.Level.KELURAHAN)
    items = [SupervisionItem.objects.create(checklist=checklist, text=text, order=i)
             for i, text in enumerate(["APK diturunkan", "Baliho di APILL diturunkan",
                                       "Tidak ada kampanye"], start=1)]
    items[0].agencies.set([satpol])
    items[1].agencies.set([satpol, dishub])  # "first" by name: Dinas Perhubungan
    kec_checklist = SupervisionChecklist.objects.create(
        election=world.election, stage=stage, title="Rekap kecamatan aman",
        level=SupervisionChecklist.Level.KECAMATAN)
    kec_item = SupervisionItem.objects.create(checklist=kec_checklist, text="Gudang PPK dijaga")
    kec_item.agencies.set([satpol])
    return {"satpol": satpol, "dishub": dishub, "stage": stage, "checklist": checklist,
            "items": items, "kec_checklist": kec_checklist, "kec_item": kec_item}


def _fill_url(checklist, code):
    return reverse("coordination:checklist_fill", args=[checklist.pk, code])


def _data(items, answers):
    """POST data for the fill form: ``answers`` maps item index to (answer, finding[, file])."""
    data = {}
    for index, value in answers.items():
        prefix = f"item-{items[index].pk}"
        data[f"{prefix}-answer"] = value[0]
        data[f"{prefix}-finding"] = value[1]
        if len(value) > 2:
            data[f"{prefix}-photo"] = value[2]
    return data


def _answer(rows, user, kelurahan, index, answer, finding=""):
    checklist_services.save_answers(rows["checklist"], kelurahan, [
        checklist_services.Answer(rows["items"][index], answer, finding)], actor=user)
    return SupervisionResponse.objects.get(item=rows["items"][index], kelurahan=kelurahan)


# --- persona matrix -------------------------------------------------------------------------

@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_read_pages_for_everyone_signed_in_edits_for_the_admin(personas, rows, persona):
    client = personas[persona].client
    checklist, item = rows["checklist"], rows["items"][0]
    for url in (reverse("coordination:checklist_list"),
                reverse("coordination:checklist_detail", args=[checklist.pk])):
        response = client.get(url)
        assert response.status_code == (302 if persona == "anonymous" else 200), url
    for url in (reverse("coordination:checklist_add"),
                reverse("coordination:checklist_edit", args=[checklist.pk]),
                reverse("coordination:checklist_item_add", args=[checklist.pk]),
                reverse("coordination:checklist_item_edit", args=[item.pk]),
                reverse("coordination:checklist_item_delete", args=[item.pk])):
        response = client.get(url)
        assert response.status_code == {"anonymous": 302, "admin": 200}.get(persona, 403), url
        response = client.post(url, {"title": "x", "text": "x", "level": "kelurahan"})
        assert response.status_code in ((302, 400) if persona == "admin" else
                                        (302,) if persona == "anonymous" else (403,)), url
    if persona != "admin":
        assert SupervisionItem.objects.count() == 4 and SupervisionChecklist.objects.count() == 2


# Who may open the fill page of each kelurahan: 200, 403 (sees it, may not answer), 404.
FILL = {
    "admin": {"kel_a": 200, "kel_a2": 200, "kel_b": 200, "kel_outside": 404},
    "kecamatan_a": {"kel_a": 200, "kel_a2": 200, "kel_b": 404, "kel_outside": 404},
    "kelurahan_a": {"kel_a": 200, "kel_a2": 404, "kel_b": 404, "kel_outside": 404},
    "kelurahan_b": {"kel_a": 404, "kel_a2": 404, "kel_b": 200, "kel_outside": 404},
    "agency": {"kel_a": 403, "kel_a2": 403, "kel_b": 403, "kel_outside": 404},
    "pemantau": {"kel_a": 403, "kel_a2": 403, "kel_b": 403, "kel_outside": 404},
    "anonymous": {"kel_a": 302, "kel_a2": 302, "kel_b": 302, "kel_outside": 302},
}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_fill_page_scope(world, personas, rows, persona):
    client = personas[persona].client
    for attr, expected in FILL[persona].items():
        url = _fill_url(rows["checklist"], getattr(world, attr).code)
        assert client.get(url).status_code == expected, (persona, attr)
        data = _data(rows["items"], {0: ("met", "ok")})
        assert client.post(url, data).status_code == (302 if expected == 200 else expected)
    assert client.get(_fill_url(rows["checklist"], "bukan-kode")).status_code == (
        302 if persona == "anonymous" else 404)
    mine = {a for a, code in FILL[persona].items() if code == 200}
    saved = set(SupervisionResponse.objects.values_list("kelurahan_id", flat=True))
    assert saved == {getattr(world, a).code for a in mine}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_kecamatan_checklist_is_for_the_camat_and_the_admin(world, personas, rows, persona):
    expected = {"admin": 200, "kecamatan_a": 200, "kelurahan_a": 403, "kelurahan_b": 404,
                "agency": 403, "pemantau": 403, "anonymous": 302}[persona]
    response = personas[persona].client.get(_fill_url(rows["kec_checklist"], world.kec_a.code))
    assert response.status_code == expected


# --- filling --------------------------------------------------------------------------------

def test_lurah_fills_their_kelurahan_with_a_photo_audited(world, users, personas, rows):
    client = personas["kelurahan_a"].client
    url = _fill_url(rows["checklist"], world.kel_a.code)
    items = rows["items"]
    response = client.post(url, _data(items, {
        0: ("met", "Bersih", SimpleUploadedFile("jalan.png", PNG, content_type="image/png")),
        1: ("unmet", "Dua baliho di simpang Kawi"),
    }))
    assert response.status_code == 302 and response["Location"] == url
    met = SupervisionResponse.objects.get(item=items[0])
    assert (met.kecamatan_id, met.kelurahan_id, met.answer) == (world.kec_a.code, world.kel_a.code,
                                                                "met")
    assert met.photo.name.endswith(".png") and met.photo_token in met.photo.name
    assert met.responded_by == users["kelurahan_a"]
    assert SupervisionResponse.objects.count() == 2  # the third item stays unanswered
    entries = AuditEntry.objects.filter(action="create", kelurahan_code=world.kel_a.code)
    assert entries.count() == 2 and entries.filter(after__photo=met.photo.name).exists()

    # Saving the same answers again changes nothing and writes no audit row.
    client.post(url, _data(items, {0: ("met", "Bersih"), 1: ("unmet", "Dua baliho di simpang Kawi")}))
    assert AuditEntry.objects.filter(kelurahan_code=world.kel_a.code).count() == 2
    client.post(url, _data(items, {1: ("met", "Sudah diturunkan")}))
    entry = AuditEntry.objects.get(action="update", kelurahan_code=world.kel_a.code)
    assert ("answer", "unmet", "met") in entry.changes()


def test_an_exe_photo_is_refused_and_nothing_is_saved(world, personas, rows):
    client = personas["kelurahan_a"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(_fill_url(rows["checklist"], world.kel_a.code), _data(rows["items"], {
        0: ("met", "ok"),
        1: ("unmet", "foto", SimpleUploadedFile("foto.jpg", EXE, content_type="image/jpeg")),
        2: ("met", "ok"),
    }))
    assert response.status_code == 400
    body = response.content.decode()
    assert "foto.jpg is not a file of an accepted type (JPEG, PNG, WEBP)" in body
    assert "Nothing was saved" in body
    assert not SupervisionResponse.objects.exists()
    assert not AuditEntry.objects.filter(kelurahan_code=world.kel_a.code).exists()


def test_a_finding_without_an_answer_is_refused(world, personas, rows):
    response = personas["kelurahan_a"].client.post(
        _fill_url(rows["checklist"], world.kel_a.code),
        _data(rows["items"], {0: ("met", ""), 1: ("", "ada temuan")}))
    assert response.status_code == 400 and not SupervisionResponse.objects.exists()


def test_photo_download_follows_the_answer_scope(world, users, personas, rows):
    response = checklist_services.save_answers(rows["checklist"], world.kel_a, [
        checklist_services.Answer(rows["items"][0], "unmet", "x",
                                  SimpleUploadedFile("a.png", PNG))], actor=users["kelurahan_a"])
    response = SupervisionResponse.objects.get()
    url = reverse("coordination:checklist_photo", args=[response.pk])
    expected = {"admin": 200, "kecamatan_a": 200, "kelurahan_a": 200, "kelurahan_b": 404,
                "agency": 200, "pemantau": 200, "anonymous": 302}
    for persona, code in expected.items():
        got = personas[persona].client.get(url)
        assert got.status_code == code, persona
        if code == 200:
            assert got["Content-Type"] == "image/png"
            # the photo as stored: re-encoded without metadata, the same picture
            served = Image.open(io.BytesIO(b"".join(got.streaming_content)))
            assert (served.format, served.size) == ("PNG", Image.open(io.BytesIO(PNG)).size)
    no_photo = _answer(rows, users["kelurahan_a"], world.kel_a, 1, "met")
    assert personas["admin"].client.get(
        reverse("coordination:checklist_photo", args=[no_photo.pk])).status_code == 404


# --- unmet item → task ----------------------------------------------------------------------

def test_an_unmet_item_becomes_a_task_once(world, users, personas, rows):
    dishub_op = User.objects.create_user("dishub", role=Role.AGENCY, agency=rows["dishub"])
    response = _answer(rows, users["kelurahan_a"], world.kel_a, 1, "unmet", "Baliho di simpang")
    url = reverse("coordination:checklist_answer_to_task", args=[response.pk])
    client = personas["kelurahan_a"].client
    before = timezone.now()
    result = client.post(url)
    assert result.status_code == 302
    assert result["Location"] == _fill_url(rows["checklist"], world.kel_a.code)
    response.refresh_from_db()
    task = response.task
    assert task is not None and task.agency == rows["dishub"]  # first responsible by name
    assert (task.kelurahan_id, task.kecamatan_id) == (world.kel_a.code, world.kec_a.code)
    assert task.stage == rows["stage"] and task.election == world.election
    assert "Baliho di simpang" in task.description and "Baliho di APILL" in task.title
    assert before + datetime.timedelta(days=2) <= task.due_at <= timezone.now() + datetime.timedelta(
        days=2)
    assert list(task.assignees.all()) == [dishub_op]
    assert task.created_by == users["kelurahan_a"]
    # Once only.
    assert client.post(url).status_code == 302
    assert Task.objects.count() == 1
    # Another lurah: 404; the observer sees it but may not act: 403.
    assert personas["kelurahan_b"].client.post(url).status_code == 404
    assert personas["pemantau"].client.post(url).status_code == 403
    detail = personas["admin"].client.get(
        reverse("coordination:checklist_detail", args=[rows["checklist"].pk])).content.decode()
    assert task.title in detail


def test_the_task_may_go_to_another_responsible_agency(world, users, personas, rows):
    response = _answer(rows, users["kelurahan_a"], world.kel_a, 1, "unmet")
    url = reverse("coordination:checklist_answer_to_task", args=[response.pk])
    other = Agency.objects.create(name="BPBD")
    personas["kelurahan_a"].client.post(url, {"agency": other.pk})
    assert not Task.objects.exists()  # not one of the item's agencies
    personas["kelurahan_a"].client.post(url, {"agency": rows["satpol"].pk})
    assert Task.objects.get().agency == rows["satpol"]


def test_an_item_without_a_responsible_agency_cannot_become_a_task(world, users, personas, rows):
    response = _answer(rows, users["kelurahan_a"], world.kel_a, 2, "unmet")
    client = personas["kelurahan_a"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    result = client.post(reverse("coordination:checklist_answer_to_task", args=[response.pk]),
                         follow=True)
    messages = [str(m) for m in result.context["messages"]]
    assert any("has no responsible agency" in m for m in messages)
    assert not Task.objects.exists()
    response.refresh_from_db()
    assert response.task is None


def test_only_an_unmet_item_becomes_a_task(world, users, personas, rows):
    response = _answer(rows, users["kelurahan_a"], world.kel_a, 0, "met")
    personas["kelurahan_a"].client.post(
        reverse("coordination:checklist_answer_to_task", args=[response.pk]))
    assert not Task.objects.exists()


# --- completion -----------------------------------------------------------------------------

def test_completion_per_region_scoped(world, users, personas, rows):
    lurah_a, lurah_b = users["kelurahan_a"], users["kelurahan_b"]
    _answer(rows, lurah_a, world.kel_a, 0, "met")
    _answer(rows, lurah_a, world.kel_a, 1, "unmet")
    _answer(rows, lurah_b, world.kel_b, 0, "met")
    _answer(rows, lurah_b, world.kel_b, 1, "met")
    _answer(rows, lurah_b, world.kel_b, 2, "na")
    url = reverse("coordination:checklist_detail", args=[rows["checklist"].pk])

    admin = personas["admin"].client.get(url).context
    by_code = {r.code: r for r in admin["rows"]}
    assert set(by_code) == {world.kel_a.code, world.kel_a2.code, world.kel_b.code}
    a, a2, b = by_code[world.kel_a.code], by_code[world.kel_a2.code], by_code[world.kel_b.code]
    assert (a.answered, a.expected, a.answered_pct, a.met_pct) == (2, 3, 67, 50)
    assert (a2.answered, a2.answered_pct, a2.met_pct) == (0, 0, None)
    # Not applicable counts as answered, not in the met rate.
    assert (b.answered_pct, b.met, b.na, b.met_pct) == (100, 2, 1, 100)
    total = admin["total"]
    assert (total.answered, total.expected, total.answered_pct, total.met_pct) == (5, 9, 56, 75)
    assert all(r.can_fill for r in admin["rows"])

    lurah = personas["kelurahan_a"].client.get(url)
    assert [r.code for r in lurah.context["rows"]] == [world.kel_a.code]
    assert f'data-testid="answered-{world.kel_a.code}">2/3<br><small>67%' in lurah.content.decode()
    camat = personas["kecamatan_a"].client.get(url).context
    assert {r.code for r in camat["rows"]} == {world.kel_a.code, world.kel_a2.code}
    observer = personas["pemantau"].client.get(url).context
    assert len(observer["rows"]) == 3 and not any(r.can_fill for r in observer["rows"])
    listing = personas["admin"].client.get(reverse("coordination:checklist_list")).context
    listed = {c.pk: c.total for c in listing["checklists"]}
    assert listed[rows["checklist"].pk].answered_pct == 56


def test_admin_defines_a_checklist_and_its_items(world, personas, rows):
    client = personas["admin"].client
    response = client.post(reverse("coordination:checklist_add"), {
        "stage": rows["stage"].pk, "title": "H-1: kesiapan TPS", "description": "",
        "level": "kelurahan"})
    checklist = SupervisionChecklist.objects.get(title="H-1: kesiapan TPS")
    assert response.status_code == 302 and checklist.election == world.election
    response = client.post(reverse("coordination:checklist_item_add", args=[checklist.pk]), {
        "text": "Linmas hadir", "agencies": [rows["satpol"].pk], "order": "1"})
    assert response.status_code == 302 and response["Location"] == checklist.get_absolute_url()
    item = checklist.items.get()
    assert list(item.agencies.all()) == [rows["satpol"]]
    assert AuditEntry.objects.filter(object_repr="Linmas hadir", message__startswith="agencies:").exists()
    # A stage of another election is not offered.
    other = Stage.objects.create(election=_other_election(), name="Lain",
                                 start_date=datetime.date(2029, 1, 1), end_date=datetime.date(2029, 1, 2))
    response = client.post(reverse("coordination:checklist_edit", args=[checklist.pk]), {
        "stage": other.pk, "title": "x", "level": "kelurahan"})
    assert response.status_code == 400
    checklist.refresh_from_db()
    assert checklist.stage == rows["stage"]
    response = client.post(reverse("coordination:checklist_item_delete", args=[item.pk]))
    assert response.status_code == 302 and not checklist.items.exists()


def _other_election():
    from posko.elections.models import Election

    return Election.objects.create(name="Lain", voting_date=datetime.date(2029, 11, 27))


def test_fill_page_shows_existing_answers(world, users, personas, rows):
    _answer(rows, users["kelurahan_a"], world.kel_a, 1, "unmet", "Masih <b>ada</b>")
    response = personas["kelurahan_a"].client.get(_fill_url(rows["checklist"], world.kel_a.code))
    body = response.content.decode()
    assert response.context["answered"] == 1
    assert "Masih &lt;b&gt;ada&lt;/b&gt;" in body  # shown as text
    assert reverse("coordination:checklist_answer_to_task", args=[
        SupervisionResponse.objects.get().pk]) in body
