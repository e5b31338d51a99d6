"""Short-video kinds of posko.core.uploads and the capture position of photos."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from posko.core import uploads
from posko.core.images import photo_gps
from tests.incidents_fixtures import jpeg_bytes
from tests.media_fixtures import mp4_bytes, webm_bytes

MP4 = mp4_bytes()
GP3 = mp4_bytes(brand=b"3gp4")
WEBM = webm_bytes()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def upload(name, data):
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("data,kind", [(MP4, uploads.MP4), (GP3, uploads.THREE_GP),
                                       (WEBM, uploads.WEBM)])
def test_videos_are_sniffed_by_content(data, kind):
    checked = uploads.check_evidence_upload(upload("clip.bin", data))
    assert checked.kind is kind


def test_executable_renamed_to_mp4_is_refused():
    with pytest.raises(ValidationError) as exc:
        uploads.check_evidence_upload(upload("clip.mp4", b"MZ\x90\x00" + b"\x00" * 40))
    assert "not a file of an accepted type" in exc.value.messages[0]


def test_video_limit_is_separate_from_the_photo_limit():
    big = upload("clip.mp4", MP4 + bytes(5000))  # zero padding after the last box
    assert uploads.check_evidence_upload(big, max_bytes=2000, video_max_bytes=10_000).kind is uploads.MP4
    photo = upload("foto.jpg", jpeg_bytes() + b"\x00" * 5000)
    with pytest.raises(ValidationError) as exc:
        uploads.check_evidence_upload(photo, max_bytes=2000, video_max_bytes=10_000)
    assert "too large" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        uploads.check_evidence_upload(big, max_bytes=2000, video_max_bytes=3000)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        uploads.check_evidence_upload(upload("x.mp4", b""))
    assert "is empty" in exc.value.messages[0]


def test_existing_check_upload_is_unchanged():
    with pytest.raises(ValidationError):
        uploads.check_upload(upload("clip.mp4", MP4))  # documents only
    assert uploads.check_upload(upload("f.jpg", jpeg_bytes())).kind is uploads.JPEG


def test_jpeg_gps_is_read_and_the_stored_copy_has_no_exif():
    data = jpeg_bytes()
    assert photo_gps(data) == pytest.approx((-7.975, 112.62))
    checked = uploads.check_evidence_upload(upload("f.jpg", data))
    assert checked.gps == pytest.approx((-7.975, 112.62))
    clean = checked.file.read()
    assert b"Exif" not in clean and photo_gps(clean) is None
    assert clean.startswith(b"\xff\xd8") and checked.size == len(clean)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()  # of the file as received


def test_broken_exif_and_non_images_give_no_position():
    assert photo_gps(b"%PDF-1.4 hello") is None
    assert photo_gps(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM") is None
    assert photo_gps(jpeg_bytes(with_gps=False)) is None


def test_real_camera_jpeg_from_pillow():
    buffer = BytesIO()
    image = Image.new("RGB", (8, 8), "red")
    exif = image.getexif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (7.0, 58.0, 30.0), 3: "E", 4: (112.0, 37.0, 12.0)})
    image.save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    assert photo_gps(data) == pytest.approx((-7.975, 112.62))
    clean = uploads.check_upload(upload("f.jpg", data)).file.read()
    assert photo_gps(clean) is None
    Image.open(BytesIO(clean)).load()  # still a valid image
