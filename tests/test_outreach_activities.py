"""Outreach activities: the rules (each bad input's message, nothing saved), duplicates,
the plausibility cap, held/cancelled, files checked by content, and who may do what."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from posko.core.models import AuditEntry
from posko.outreach import services
from posko.outreach.models import Activity, Attachment, OutreachSettings
from tests.conftest import EDITS_KEL_A, SEES_KEL_A
from tests.media_fixtures import pdf_bytes
from tests.outreach_fixtures import PAST, add_activity, group, not_an_image, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _errors(exc) -> dict:
    return exc.value.message_dict


def new(world, **fields):
    base = dict(election=world.election, kind=Activity.Kind.TATAP_MUKA,
                status=Activity.Status.HELD, title="Sosialisasi pemilih pemula", starts_at=PAST,
                organiser_kind=Activity.OrganiserKind.KELURAHAN, kelurahan_id=world.kel_a.code,
                attendance=40)
    base.update(fields)
    return Activity(**base)


def test_a_lurah_records_a_held_activity_with_place_copied(world, users):
    activity = add_activity(world, users["kelurahan_a"], attendance=45)
    activity.refresh_from_db()
    assert (activity.kecamatan_id, activity.kabkota_id) == ("35.73.02", "35.73")
    assert activity.organiser_key == "kelurahan:35.73.02.1001"
    assert list(activity.target_groups.values_list("code", flat=True)) == ["pemilih-pemula"]
    entry = AuditEntry.objects.get(action="create", object_id=str(activity.pk))
    assert entry.after["target_groups"] == ["pemilih-pemula"]
    assert entry.kelurahan_code == world.kel_a.code


@pytest.mark.parametrize("fields, key, text", [
    ({"attendance": -5}, "attendance", "cannot be negative"),
    ({"attendance": None}, "attendance", "Enter how many people attended"),
    ({"kelurahan_id": None}, "kelurahan", "Choose the kelurahan"),
    ({"title": " "}, "title", "short title"),
    ({"status": "cancelled", "attendance": None}, "cancel_reason", "reason for cancelling"),
    ({"status": "planned"}, "attendance", "planned activity has no attendance"),
    ({"attendance_men": 30, "attendance_women": 20}, "attendance_women", "more than the attendance"),
    ({"organiser_kind": "partner"}, "partner_name", "Name the partner"),
    ({"organiser_kind": "agency"}, "agency", "organising agency"),
    ({"rw": "12a"}, "rw", "RW is a number"),
    ({"latitude": 1}, "longitude", "both latitude and longitude"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(world, users, fields, key,
                                                                     text):
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world, **fields), [group("lansia")], actor=users["admin"])
    assert any(text in m for m in _errors(exc)[key]), _errors(exc)
    assert not Activity.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_no_target_group_is_refused(world, users):
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world), [], actor=users["admin"])
    assert "at least one target group" in _errors(exc)["target_groups"][0]


def test_an_activity_in_the_future_cannot_be_marked_held(world, users):
    future = timezone.now() + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world, starts_at=future), [group("lansia")],
                               actor=users["admin"])
    assert "future cannot be marked held" in _errors(exc)["starts_at"][0]
    planned = services.save_activity(new(world, starts_at=future, status="planned",
                                         attendance=None), [group("lansia")], actor=users["admin"])
    with pytest.raises(ValidationError):
        services.mark_held(planned, actor=users["admin"], attendance=30)
    planned.refresh_from_db()
    assert planned.status == "planned" and planned.attendance is None


def test_attendance_above_the_cap_needs_confirmation(world, users):
    settings = OutreachSettings.for_election(world.election)
    settings.caps = {"tatap_muka": 100}
    settings.save()
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world, attendance=150), [group("lansia")], actor=users["admin"])
    assert "more than usual" in _errors(exc)["attendance"][0] and "(100)" in _errors(exc)["attendance"][0]
    assert not Activity.objects.exists()
    saved = services.save_activity(new(world, attendance=150), [group("lansia")],
                                   actor=users["admin"], confirm_large=True)
    assert saved.attendance == 150


def test_duplicates_same_organiser_place_and_time_are_refused(world, users):
    first = add_activity(world, users["kelurahan_a"])
    with pytest.raises(ValidationError) as exc:
        add_activity(world, users["kelurahan_a"], starts_at=PAST + datetime.timedelta(seconds=30))
    assert f"#{first.pk}" in _errors(exc)["starts_at"][0]
    assert Activity.objects.count() == 1
    # another organiser, another time, or the first one cancelled: fine
    add_activity(world, users["kelurahan_a"], organiser_kind="partner", partner_name="KPU Kota Malang")
    with pytest.raises(ValidationError):
        add_activity(world, users["admin"], organiser_kind="partner",
                     partner_name="  kpu  kota malang")
    add_activity(world, users["kelurahan_a"], starts_at=PAST + datetime.timedelta(hours=2))
    assert Activity.objects.count() == 3


def test_a_lurah_entering_an_activity_for_another_kelurahan_is_refused(world, users, personas):
    with pytest.raises(Http404):
        services.save_activity(new(world, kelurahan_id=world.kel_b.code), [group("lansia")],
                               actor=users["kelurahan_a"])
    response = personas["kelurahan_a"].client.post(reverse("api:outreach-activity-list"), {
        "title": "x", "kind": "tatap_muka", "status": "held", "starts_at": PAST.isoformat(),
        "kelurahan": world.kel_b.code, "attendance": 10, "target_groups": ["lansia"]},
        content_type="application/json")
    # The API answers another region's kelurahan like one that does not exist.
    assert response.status_code == 400 and "kelurahan" in response.json()
    assert not Activity.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_saved(world, users, tmp_path):
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world), [group("lansia")], actor=users["kelurahan_a"],
                               photos=[png(), not_an_image("x.jpg")])
    assert "x.jpg is not a file of an accepted type" in _errors(exc)["photos"][0]
    assert not Activity.objects.exists() and not Attachment.objects.exists()
    assert not any((tmp_path / "media").rglob("*.png"))


def test_photo_and_sheet_are_stored_and_downloaded_within_scope(world, users, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sheet = SimpleUploadedFile("daftar-hadir.pdf", pdf_bytes(), content_type="application/pdf")
    activity = services.save_activity(new(world), [group("lansia")], actor=users["kelurahan_a"],
                                      photos=[png()], sheets=[sheet])
    files = {a.kind: a for a in activity.attachments.all()}
    assert set(files) == {"photo", "attendance"}
    url = files["photo"].get_absolute_url()
    for name, persona in personas.items():
        response = persona.client.get(url)
        if name == "anonymous":
            assert response.status_code == 302
        elif name in SEES_KEL_A:
            assert response.status_code == 200 and response["Content-Type"] == "image/png"
        else:
            assert response.status_code == 404, name


def test_mark_held_and_cancel(world, users):
    planned = services.save_activity(new(world, status="planned", attendance=None,
                                         expected_attendance=80), [group("lansia")],
                                     actor=users["kecamatan_a"])
    services.mark_held(planned, actor=users["kelurahan_a"], attendance=72, attendance_men=30,
                       attendance_women=42, expected_version=planned.version)
    planned.refresh_from_db()
    assert (planned.status, planned.attendance, planned.version) == ("held", 72, 2)
    with pytest.raises(ValidationError) as exc:
        services.cancel(planned, "hujan", actor=users["admin"])
    assert "held activity cannot be cancelled" in _errors(exc)["cancel_reason"][0]
    other = services.save_activity(new(world, status="planned", attendance=None,
                                       starts_at=PAST + datetime.timedelta(days=1)),
                                   [group("lansia")], actor=users["admin"])
    with pytest.raises(ValidationError) as exc:
        services.cancel(other, "  ", actor=users["admin"])
    assert "reason for cancelling" in _errors(exc)["cancel_reason"][0]
    services.cancel(other, "Hujan deras", actor=users["admin"])
    other.refresh_from_db()
    assert (other.status, other.cancel_reason) == ("cancelled", "Hujan deras")


def test_a_stale_version_is_refused(world, users):
    activity = add_activity(world, users["admin"])
    activity.title = "Baru"
    services.save_activity(activity, None, actor=users["admin"], expected_version=1)
    activity.title = "Lagi"
    with pytest.raises(ValidationError) as exc:
        services.save_activity(activity, None, actor=users["admin"], expected_version=1)
    assert "Someone else saved" in exc.value.messages[0]


def test_who_may_edit(world, users):
    activity = add_activity(world, users["admin"])
    allowed = {name for name, user in users.items()
               if user is not None and services.may_edit(user, activity)}
    assert allowed == EDITS_KEL_A
    with pytest.raises(PermissionDenied):
        services.save_activity(activity, None, actor=users["pemantau"])


def test_agency_operator_records_own_agency_activity(world, users):
    agency = users["agency"].agency
    with pytest.raises(ValidationError) as exc:
        services.save_activity(new(world, organiser_kind="partner", partner_name="KPU"),
                               [group("lansia")], actor=users["agency"])
    assert "your own agency" in _errors(exc)["organiser_kind"][0]
    activity = services.save_activity(new(world, organiser_kind="agency", agency=agency),
                                      [group("lansia")], actor=users["agency"])
    assert services.may_edit(users["agency"], activity)


def test_media_activity_without_place_is_visible_to_pemda_wide_roles_only(world, users):
    activity = services.save_activity(new(world, kind="media", kelurahan_id=None,
                                          organiser_kind="partner", partner_name="KPU",
                                          attendance=12000),
                                      [group("masyarakat-umum")], actor=users["admin"])
    assert activity.kabkota_id == "35.73" and activity.kelurahan_id is None
    seen = {name for name, user in users.items()
            if user is not None and Activity.objects.visible_to(user).filter(pk=activity.pk).exists()}
    assert seen == {"admin", "agency", "pemantau"}


# --- pages ---------------------------------------------------------------------------------

def test_list_detail_and_edit_pages_by_persona(world, users, personas):
    activity = add_activity(world, users["kelurahan_a"], title="Sosialisasi di SMAN 1")
    for name, persona in personas.items():
        client = persona.client
        detail = client.get(activity.get_absolute_url())
        listing = client.get(reverse("outreach:activity_list"))
        edit = client.get(reverse("outreach:activity_edit", args=[activity.pk]))
        if name == "anonymous":
            assert detail.status_code == listing.status_code == 302
            continue
        assert listing.status_code == 200
        if name in SEES_KEL_A:
            assert detail.status_code == 200
            assert ("Sosialisasi di SMAN 1" in listing.content.decode())
            assert edit.status_code == (200 if name in EDITS_KEL_A else 403), name
        else:
            assert detail.status_code == 404 and edit.status_code == 404
            assert "Sosialisasi di SMAN 1" not in listing.content.decode()


def test_new_activity_page_posts_with_photo(world, users, personas):
    client = personas["kelurahan_a"].client
    assert client.get(reverse("outreach:activity_add")).status_code == 200
    assert personas["pemantau"].client.get(reverse("outreach:activity_add")).status_code == 403
    response = client.post(reverse("outreach:activity_add"), {
        "title": "Sosialisasi pemilih pemula", "kind": "sekolah", "status": "held",
        "starts_at": "2024-10-20T09:00", "organiser_kind": "kelurahan",
        "target_groups": [group("pemilih-pemula").pk], "attendance": "120", "photos": png()})
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.kelurahan_id == world.kel_a.code and activity.attachments.count() == 1


def test_new_activity_page_shows_every_error_and_saves_nothing(world, personas):
    client = personas["kelurahan_a"].client
    client.cookies["django_language"] = "en"
    response = client.post(reverse("outreach:activity_add"), {
        "title": "X", "kind": "sekolah", "status": "held", "starts_at": "2024-10-20T09:00",
        "organiser_kind": "kelurahan", "target_groups": [group("pemilih-pemula").pk],
        "attendance": "-3", "photos": not_an_image("doc.png")})
    assert response.status_code == 400
    body = response.content.decode()
    assert "doc.png" in body and "Attendance cannot be negative" in body
    assert not Activity.objects.exists()


def test_calendar_and_export(world, users, personas):
    add_activity(world, users["kelurahan_a"], title="Rapat RW 03")
    client = personas["admin"].client
    response = client.get(reverse("outreach:calendar") + "?month=2024-10")
    assert response.status_code == 200 and "Rapat RW 03" in response.content.decode()
    response = client.get(reverse("outreach:activity_list") + "?export=csv")
    assert "Rapat RW 03" in b"".join(response.streaming_content).decode("utf-8-sig")
    assert personas["kelurahan_b"].client.get(
        reverse("outreach:calendar") + "?month=2024-10").content.decode().count("Rapat RW 03") == 0


def test_every_outreach_page_needs_login(world, users):
    from django.test import Client
    from django.urls import get_resolver

    activity = add_activity(world, users["admin"])
    file = services.save_activity(activity, None, actor=users["admin"], photos=[png()]) \
        .attachments.get()
    client = Client()
    names = [n for n in get_resolver().reverse_dict if isinstance(n, str)]
    checked = 0
    for name in get_resolver().namespace_dict["outreach"][1].reverse_dict:
        if not isinstance(name, str):
            continue
        kwargs = {"pk": activity.pk, "file_pk": file.pk, "code": world.kel_a.code}
        for attempt in ({}, {"pk": kwargs["pk"]}, {"code": kwargs["code"]},
                        {"pk": kwargs["pk"], "file_pk": kwargs["file_pk"]},
                        {"pk": world.tps_a.pk}):
            try:
                url = reverse(f"outreach:{name}", kwargs=attempt)
            except Exception:  # noqa: BLE001
                continue
            assert client.get(url).status_code == 302, url
            checked += 1
            break
    assert checked >= 20 and names


def test_held_cancel_and_delete_pages(world, users, personas):
    planned = add_activity(world, users["kelurahan_a"], status="planned", expected_attendance=60)
    client = personas["kelurahan_a"].client
    client.cookies["django_language"] = "en"
    held = reverse("outreach:activity_held", args=[planned.pk])
    assert personas["pemantau"].client.get(held).status_code == 403
    assert personas["kelurahan_b"].client.get(held).status_code == 404
    response = client.post(held, {"attendance": "-1", "version": 1})
    assert response.status_code == 400 and "Attendance cannot be negative" in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == "planned"
    response = client.post(held, {"attendance": "55", "version": 1, "photos": png()})
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.status, planned.attendance, planned.attachments.count()) == ("held", 55, 1)
    other = add_activity(world, users["kelurahan_a"], status="planned", title="Lain",
                         starts_at=PAST + datetime.timedelta(days=2))
    cancel = reverse("outreach:activity_cancel", args=[other.pk])
    response = client.post(cancel, {"reason": "", "version": 1})
    assert response.status_code == 400 and "reason for cancelling" in response.content.decode()
    assert client.post(cancel, {"reason": "Hujan", "version": 1}).status_code == 302
    other.refresh_from_db()
    assert other.status == "cancelled"
    assert client.get(reverse("outreach:activity_history", args=[other.pk])).status_code == 200
    delete = reverse("outreach:activity_delete", args=[other.pk])
    assert personas["kelurahan_b"].client.post(delete).status_code == 404
    assert client.post(delete).status_code == 302
    assert not Activity.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(other.pk)).exists()
