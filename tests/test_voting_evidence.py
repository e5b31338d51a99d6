"""C.Hasil photos (issue 14, "Evidence"): the SHA-256 shown is the original's; the served
copy has no EXIF/GPS while the original keeps it; a file that is not an image, or only
starts like a JPEG, is refused with nothing saved (no row, no file); a second photo of a
page needs a reason and adds a version; other kelurahan get 404 on the page, the files and
the API; the API is idempotent; only the Desk admin downloads originals; the TPS page runs
a fixed number of queries however many photos it shows."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from posko.core import audit
from posko.core.images import photo_gps as jpeg_gps
from posko.core.models import AuditEntry
from posko.voting.models import ResultPhoto, TpsResult
from posko.voting.services import evidence
from tests.voting_fixtures import (
    GOOD,
    VOTES,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT



@pytest.fixture
def contests(world):
    return make_contests(world, "walikota", "batu")


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def gps_jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    """A phone photo: EXIF with GPS (Malang), the maker, orientation 6 (turned), a comment."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMakerXYZ"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2], gps[3], gps[4] = "S", (7.0, 58.0, 30.0), "E", (112.0, 37.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"secret-comment")
    return out.getvalue()


def png(color=(0, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, name="chasil.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def text(response) -> str:
    body = (b"".join(response.streaming_content) if response.streaming
            else response.content)
    return body.decode("utf-8-sig")


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def add(world, users, contest, data=None, who="kelurahan_a", **extra):
    extra.setdefault("source", "pemda")
    extra.setdefault("page", 1)
    return evidence.add_photo(world.tps_a, contest, actor=users[who], election=world.election,
                              upload=upload(data or gps_jpeg()), **extra)


# --- the files -------------------------------------------------------------------------------

def test_the_sha256_shown_is_the_originals_and_the_served_copy_has_no_gps(world, users,
                                                                         contests, personas):
    data = gps_jpeg()
    assert jpeg_gps(data) == (-7.975, 112.616667)  # the test photo really carries GPS
    photo = add(world, users, contests[0], data, device="Android 14; SM-A155F")
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size == len(data)
    with photo.original.open("rb") as handle:
        original = handle.read()
    assert original == data and jpeg_gps(original) is not None  # the original keeps it all

    lurah = english(personas["kelurahan_a"].client)
    served = lurah.get(reverse("voting:photo", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    body = b"".join(served.streaming_content)
    assert jpeg_gps(body) is None
    assert b"Exif" not in body and b"PhoneMakerXYZ" not in body and b"secret-comment" not in body
    with Image.open(io.BytesIO(body)) as image:
        assert dict(image.getexif()) == {} and "icc_profile" not in image.info
        assert image.size == (48, 64)  # turned upright by the EXIF orientation first

    page = lurah.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert f'data-testid="photo-sha256">{hashlib.sha256(data).hexdigest()}</code>' in page
    assert reverse("voting:photo", args=[photo.pk]) in page and "SM-A155F" in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page
    assert reverse("voting:photo_original", args=[photo.pk]) not in page  # lurah: no original
    entry = AuditEntry.objects.get(object_id=str(photo.pk), action="create")
    assert entry.after["sha256"] == photo.sha256


def test_a_png_is_served_as_png_without_its_text_chunks(world, users, contests, personas):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "lokasi rumah saksi")
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (10, 20, 30, 128)).save(out, "PNG", pnginfo=info)
    photo = add(world, users, contests[0], out.getvalue(), page=2)
    served = personas["admin"].client.get(reverse("voting:photo", args=[photo.pk]))
    body = b"".join(served.streaming_content)
    assert served["Content-Type"] == "image/png" and b"lokasi rumah saksi" not in body
    assert photo.sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_not_an_image_and_a_fake_jpeg_are_refused_with_nothing_saved(world, users, contests,
                                                                     personas, media):
    cases = [
        (b"Ini bukan foto, hanya teks.", "hasil.jpg",
         "hasil.jpg is not a file of an accepted type (JPEG, PNG, WEBP). Its content was "
         "checked, not its name."),
        (b"\xff\xd8\xff\xe0" + b"\x00garbage" * 40, "rusak.jpg",
         "rusak.jpg starts like a JPEG image but cannot be read as one (damaged or incomplete). "
         "Take the photo again."),
        (gps_jpeg()[:400], "terpotong.jpg",
         "terpotong.jpg starts like a JPEG image but cannot be read as one (damaged or "
         "incomplete). Take the photo again."),
    ]
    for data, name, message in cases:
        with pytest.raises(ValidationError) as error:
            evidence.add_photo(world.tps_a, contests[0], actor=users["kelurahan_a"],
                               election=world.election, source="pemda", page=1,
                               upload=upload(data, name))
        assert error.value.message_dict == {"image": [message]}
    lurah = english(personas["kelurahan_a"].client)
    url = reverse("voting:tps_photo", args=[world.tps_a.pk, contests[0].pk])
    prefix = f"f{contests[0].pk}"
    response = lurah.post(url, {f"{prefix}-source": "pemda", f"{prefix}-page": "1",
                                f"{prefix}-image": upload(cases[1][0], "rusak.jpg")})
    assert response.status_code == 400 and "rusak.jpg starts like a JPEG image" in \
        response.content.decode()
    assert not ResultPhoto.objects.exists() and stored_files(media) == []


def test_a_failed_transaction_leaves_no_file(world, users, contests, media, monkeypatch):
    real_record = audit.record

    def failing(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        add(world, users, contests[0])
    monkeypatch.setattr(audit, "record", real_record)
    assert not ResultPhoto.objects.exists() and stored_files(media) == []
    # Saved inside a larger transaction that then fails: the guard removes the files.
    with pytest.raises(RuntimeError), evidence.files_kept_if_saved(), transaction.atomic():
        add(world, users, contests[0])
        assert len(stored_files(media)) == 2
        raise RuntimeError("something after the photo failed")
    assert not ResultPhoto.objects.exists() and stored_files(media) == []
    with evidence.files_kept_if_saved():  # and a saved one is kept
        add(world, users, contests[0])
    assert ResultPhoto.objects.count() == 1 and len(stored_files(media)) == 2


def test_a_second_photo_of_a_page_needs_a_reason_and_adds_a_version(world, users, contests,
                                                                    personas, media):
    first_data, second_data = gps_jpeg(), gps_jpeg(color=(20, 160, 40))
    first = add(world, users, contests[0], first_data)
    with pytest.raises(ValidationError) as error:
        add(world, users, contests[0], second_data)
    assert error.value.message_dict == {"reason": [
        "Say why page 1 is photographed again: the new photo becomes version 2; version 1, "
        "uploaded by Kelurahan A, stays in the history."]}
    assert ResultPhoto.objects.count() == 1 and len(stored_files(media)) == 2
    other_page = add(world, users, contests[0], second_data, page=2)  # another page: no reason
    second = add(world, users, contests[0], second_data, reason="Foto pertama buram.")
    first.refresh_from_db()
    assert (first.is_current, second.is_current, second.version, other_page.version) == (
        False, True, 2, 1)
    assert first.original.storage.exists(first.original.name)  # never replaced
    assert AuditEntry.objects.filter(object_id=str(second.pk), action="update",
                                     message="Foto pertama buram.").exists()
    page = english(personas["kelurahan_a"].client).get(
        reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert page.count('data-testid="photo"') == 2 and "1 earlier version" in page
    assert hashlib.sha256(first_data).hexdigest() in page
    assert hashlib.sha256(second_data).hexdigest() in page and "Foto pertama buram." in page


def test_the_result_form_saves_the_result_and_its_photo_together(world, personas, contests,
                                                                media, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    walikota = contests[0]
    lurah = english(personas["kelurahan_a"].client)
    url = reverse("voting:tps_result", args=[world.tps_a.pk, walikota.pk])
    form = {f"c{walikota.pk}-{k}": v for k, v in {**GOOD, "source": "pemda", "votes_1": 120,
                                                  "votes_2": 100, "votes_3": 80}.items()}
    bad = lurah.post(url, {**form, f"c{walikota.pk}-photo": upload(b"\xff\xd8\xff" + b"x" * 99,
                                                                   "c1.jpg")})
    assert bad.status_code == 400 and "c1.jpg starts like a JPEG image" in bad.content.decode()
    assert not TpsResult.objects.exists() and not ResultPhoto.objects.exists()
    assert stored_files(media) == []
    done = lurah.post(url, {**form, f"c{walikota.pk}-photo_page": "1",
                            f"c{walikota.pk}-photo": upload(gps_jpeg(), "c1.jpg")})
    assert done.status_code == 302
    photo = ResultPhoto.objects.get()
    assert (photo.source, photo.page, photo.contest_id, TpsResult.objects.count()) == (
        "pemda", 1, walikota.pk, 1)


# --- scope and who gets the original ---------------------------------------------------------

def test_another_kelurahan_gets_404_for_upload_files_and_api(world, users, contests, personas):
    photo = add(world, users, contests[0])
    other = personas["kelurahan_b"].client
    prefix = f"f{contests[0].pk}"
    form = {f"{prefix}-source": "pemda", f"{prefix}-page": "1",
            f"{prefix}-image": upload(gps_jpeg())}
    upload_url = reverse("voting:tps_photo", args=[world.tps_a.pk, contests[0].pk])
    assert other.post(upload_url, form).status_code == 404
    assert other.get(reverse("voting:photo", args=[photo.pk])).status_code == 404
    assert other.get(reverse("voting:photo_original", args=[photo.pk])).status_code == 404
    api = reverse("api:voting-tps-photos", args=[world.tps_a.pk])
    assert other.post(api, {"contest": contests[0].pk, "image": upload(gps_jpeg())},
                      HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 404
    assert other.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).status_code == 404
    batu = reverse("voting:tps_photo", args=[world.tps_a.pk, contests[1].pk])
    lurah = personas["kelurahan_a"].client
    assert lurah.post(batu, {**{k.replace(prefix, f"f{contests[1].pk}"): v
                                for k, v in form.items() if k != f"{prefix}-image"},
                             f"f{contests[1].pk}-image": upload(gps_jpeg())}).status_code == 404
    assert personas["pemantau"].client.post(upload_url, {
        **form, f"{prefix}-image": upload(gps_jpeg())}).status_code == 403
    export = csv.reader(io.StringIO(text(other.get(reverse("voting:photos") + "?export=csv"))))
    assert len(list(export)) == 1  # the header only
    assert ResultPhoto.objects.count() == 1


def test_only_the_desk_admin_downloads_the_original(world, users, contests, personas):
    data = gps_jpeg()
    photo = add(world, users, contests[0], data)
    url = reverse("voting:photo_original", args=[photo.pk])
    assert personas["kelurahan_a"].client.get(url).status_code == 403
    assert personas["kecamatan_a"].client.get(url).status_code == 403
    admin = personas["admin"].client
    response = admin.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == data and hashlib.sha256(body).hexdigest() == photo.sha256
    assert AuditEntry.objects.filter(object_id=str(photo.pk), action="export",
                                     user=users["admin"]).exists()
    page = admin.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert url in page


# --- API -------------------------------------------------------------------------------------

def test_the_api_stores_a_photo_once_per_idempotency_key(world, personas, contests):
    client = english(personas["kelurahan_a"].client)
    url = reverse("api:voting-tps-photos", args=[world.tps_a.pk])
    data, key = gps_jpeg(), str(uuid.uuid4())

    def post(content, key, **extra):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return client.post(url, {"contest": contests[0].pk, "source": "saksi", "page": "1",
                                 "device": "Posko Lapangan 1.2", "image": upload(content),
                                 **extra}, **headers)

    first = post(data, key)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["version"] == 1
    assert body["url"].endswith(reverse("voting:photo", args=[body["id"]]))
    again = post(data, key)
    assert again.status_code == 201 and again.json() == body
    assert again["Idempotent-Replayed"] == "true" and ResultPhoto.objects.count() == 1
    other_file = post(gps_jpeg(color=(1, 2, 3)), key)
    assert other_file.status_code == 422 and "already used for another submission" in \
        other_file.json()["detail"]
    assert post(data, None).status_code == 400
    fake = post(b"\xff\xd8\xff" + b"y" * 50, str(uuid.uuid4()))
    assert fake.status_code == 400 and "cannot be read as one" in fake.json()["image"][0]
    no_reason = post(data, str(uuid.uuid4()))
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert ResultPhoto.objects.count() == 1
    detail = client.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).json()
    assert [(p["id"], p["sha256"], p["device"]) for p in detail["photos"]] == [
        (body["id"], body["sha256"], "Posko Lapangan 1.2")]
    served = client.get(detail["photos"][0]["url"])
    assert served.status_code == 200 and jpeg_gps(b"".join(served.streaming_content)) is None


# --- list, export, queries -------------------------------------------------------------------

def test_the_photo_list_exports_the_sha256_in_scope(world, users, contests, personas):
    photo = add(world, users, contests[0])
    add(world, users, contests[0], png(), page=1, reason="Foto ulang.")
    admin = english(personas["admin"].client)
    page = admin.get(reverse("voting:photos"))
    assert page.status_code == 200 and photo.sha256 in page.content.decode()
    rows = list(csv.reader(io.StringIO(text(admin.get(reverse("voting:photos")
                                                      + "?export=csv")))))
    assert rows[0][:9] == ["Kecamatan", "Kelurahan", "TPS", "Contest", "Source", "Page",
                           "Version", "Current", "SHA-256"]
    assert sorted((r[6], r[7], r[8]) for r in rows[1:]) == [
        ("1", "no", photo.sha256), ("2", "yes", hashlib.sha256(png()).hexdigest())]
    assert admin.get(reverse("voting:photos") + "?export=xlsx").status_code == 200
    assert AuditEntry.objects.filter(action="export", object_repr="foto-chasil").count() == 2


def test_the_tps_page_runs_a_fixed_number_of_queries_however_many_photos(
        world, users, contests, personas, django_assert_num_queries):
    lurah = personas["kelurahan_a"].client
    url = reverse("voting:tps", args=[world.tps_a.pk])
    add(world, users, contests[0])
    lurah.get(url)  # the per-process constants
    with CaptureQueriesContext(connection) as one:
        assert lurah.get(url).status_code == 200
    for page in (2, 3, 4):
        add(world, users, contests[0], page=page, source="saksi")
    add(world, users, contests[0], reason="Ulang.")
    add(world, users, contests[0], reason="Ulang lagi.")
    with django_assert_num_queries(len(one)):
        response = lurah.get(url)
    assert response.content.decode().count('data-testid="photo"') == 4


def test_the_demo_adds_a_few_deterministic_photos(world, users, contests):
    from types import SimpleNamespace

    from posko.demo.voting_photos import _sheet, build_photos
    from posko.voting import services

    entry = services.submit_result(world.tps_a, contests[0], actor=users["kelurahan_a"],
                                   election=world.election, values=GOOD, votes=VOTES, now=at(14))
    result = SimpleNamespace(election_id=world.election.pk, other_changes=0, as_of=at(20))
    build_photos(result)
    photos = list(ResultPhoto.objects.order_by("version"))
    assert [(p.version, p.is_current, p.uploaded_by) for p in photos] == [
        (1, False, users["kelurahan_a"]), (2, True, users["kelurahan_a"])]
    assert photos[0].sha256 == hashlib.sha256(_sheet(entry, shade=240)).hexdigest()
    assert _sheet(entry, shade=240) == _sheet(entry, shade=240)  # same bytes every run
    result.other_changes = 0
    build_photos(result)
    assert result.other_changes == 0 and ResultPhoto.objects.count() == 2


def test_a_twin_upload_of_the_same_page_is_refused_without_files(world, users, contests, media):
    add(world, users, contests[0])
    # As if a second upload had read "no current photo" just before the first committed.
    ResultPhoto.objects.update(is_current=False)
    with pytest.raises(ValidationError) as error:
        add(world, users, contests[0])
    assert error.value.message_dict == {"image": [
        "Another photo of page 1 was saved at the same moment. Reload the page and, if this "
        "photo is still needed, send it as a new version."]}
    assert ResultPhoto.objects.count() == 1 and len(stored_files(media)) == 2
