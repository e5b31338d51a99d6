"""Hostile photos: malformed EXIF is handled in milliseconds (the photo is still accepted as
evidence, without a position and without its metadata); a broken JPEG structure is refused
with a message (Pillow decodes every photo, core.images)."""

from __future__ import annotations

import datetime
import io
import struct
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from posko.core import uploads
from posko.core.images import photo_gps
from posko.incidents.models import Evidence, Report
from tests.incidents_fixtures import jpeg_bytes, make_report
from tests.timeouts import within

GPS_IFD = 26  # TIFF header (8) + IFD0 with one entry (2 + 12 + 4)
DATA = GPS_IFD + 2 + 4 * 12 + 4  # the rationals follow the GPS IFD
LAT = struct.pack(">6I", 7, 1, 58, 1, 30, 1)
LON = struct.pack(">6I", 112, 1, 37, 1, 12, 1)
JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def _pixels() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 90, 160)).save(out, "JPEG")
    assert out.getvalue().startswith(b"\xff\xd8" + JFIF)
    return out.getvalue()


PIXELS = _pixels()
SCAN = PIXELS[2 + len(JFIF):]  # tables, frame, scan and end of a real 16x12 JPEG


def ifd(entries) -> bytes:
    out = struct.pack(">H", len(entries))
    for tag, kind, count, value in entries:
        value = struct.pack(">I", value) if isinstance(value, int) else value
        out += struct.pack(">HHI", tag, kind, count) + value
    return out + struct.pack(">I", 0)


def tiff(*, ifd0_offset=8, pointer=(4, 1, GPS_IFD), lat=(5, 3, DATA), lon=(5, 3, DATA + 24),
         rationals=LAT + LON, ifd0_count=None, cut=None) -> bytes:
    """A big-endian TIFF block with GPS 7°58'30"S 112°37'12"E; each argument breaks one part."""
    head = ifd([(0x8825, *pointer)])
    if ifd0_count is not None:
        head = struct.pack(">H", ifd0_count) + head[2:]
    gps = ifd([(1, 2, 2, b"S\x00\x00\x00"), (2, *lat), (3, 2, 2, b"E\x00\x00\x00"), (4, *lon)])
    block = b"MM\x00\x2a" + struct.pack(">I", ifd0_offset) + head + gps + rationals
    return block[:cut] if cut is not None else block


def jpeg(block: bytes, *, before=b"", after=b"") -> bytes:
    app1 = b"Exif\x00\x00" + block
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return b"\xff\xd8" + JFIF + before + segment + after + SCAN


def test_the_builder_makes_a_readable_position():
    # The control case: every hostile file below differs from this one in one place.
    assert photo_gps(jpeg(tiff())) == pytest.approx((-7.975, 112.62))
    assert check(jpeg(tiff())).gps == pytest.approx((-7.975, 112.62))


def check(data: bytes, name="bukti.jpg"):
    return uploads.check_evidence_upload(SimpleUploadedFile(name, data))


def refusal(data: bytes) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        check(data)
    return error.value.messages[0]


HUGE = 0xFFFFFFFF
HOSTILE_TIFFS = {
    "latitude count 0xFFFFFFFF": tiff(lat=(5, HUGE, DATA)),
    "longitude count 0xFFFFFFFF": tiff(lon=(5, HUGE, DATA + 24)),
    "count 0x10000000, offset at the start": tiff(lat=(5, 0x10000000, 8)),
    "latitude offset past the end": tiff(lat=(5, 3, 0xFFFFFF00)),
    "latitude offset cut by the end": tiff(lat=(5, 3, DATA + 40)),
    "zero denominator": tiff(rationals=struct.pack(">6I", 7, 0, 58, 1, 30, 1) + LON),
    "all-zero rationals": tiff(rationals=bytes(48)),
    "wrong type (ASCII) for the latitude": tiff(lat=(2, 3, DATA)),
    "wrong type (SHORT), huge count": tiff(lat=(3, HUGE, DATA)),
    "count < 3, huge longitude count": tiff(lat=(5, 2, DATA), lon=(5, HUGE, DATA + 24)),
    "minutes over 60": tiff(rationals=struct.pack(">6I", 7, 1, 75, 1, 30, 1) + LON),
    "GPS pointer to IFD0 itself (loop) with huge counts": (
        b"MM\x00\x2a" + struct.pack(">I", 8)
        + ifd([(0x8825, 4, 1, 8), (2, 5, HUGE, 8), (4, 5, HUGE, 8)])),
    "GPS pointer past the end": tiff(pointer=(4, 1, HUGE)),
    "GPS pointer of the wrong type": tiff(pointer=(2, 1, GPS_IFD)),
    "IFD0 offset past the end": tiff(ifd0_offset=0xFFFFFFF0),
    "IFD0 declares 65535 entries": tiff(ifd0_count=0xFFFF),
    "GPS IFD truncated after one entry": tiff(cut=GPS_IFD + 2 + 12 + 3),
}


@pytest.mark.parametrize("name", list(HOSTILE_TIFFS))
def test_malformed_exif_gives_no_position_in_milliseconds(name):
    data = jpeg(HOSTILE_TIFFS[name])
    started = time.perf_counter()
    with within(2):
        checked = check(data)
    assert time.perf_counter() - started < 0.5
    clean = checked.file.read()
    # No position, except where Pillow still finds the true one (65,535 declared entries,
    # of which the first is the intact GPS pointer): never a made-up one.
    assert checked.gps is None or checked.gps == pytest.approx((-7.975, 112.62))
    assert (checked.gps is None) is (name != "IFD0 declares 65535 entries")
    assert b"Exif" not in clean and clean.startswith(b"\xff\xd8") and clean.endswith(b"\xff\xd9")


def test_metadata_hidden_after_junk_bytes_does_not_survive():
    # Decoders skip stray bytes between segments; neither the junk nor the Exif after it
    # reaches the stored copy.
    data = jpeg(tiff(), before=b"\x00\x13\x37junk")
    clean = check(data).file.read()
    assert b"Exif" not in clean and b"junk" not in clean and photo_gps(clean) is None


def test_second_picture_appended_by_the_phone_loses_its_exif_too():
    # Multi-picture JPEGs (and maker trailers) put a second image with its own EXIF and GPS
    # after the first image's end; only the first image's pixels are kept.
    data = jpeg_bytes(with_gps=False) + jpeg(tiff())
    clean = check(data).file.read()
    assert b"Exif" not in clean and photo_gps(clean) is None
    assert Image.open(io.BytesIO(clean)).size == (16, 12)
    assert clean.count(b"\xff\xd8") == 1


@pytest.mark.parametrize("length", [0, 1])
def test_segment_with_an_impossible_length_hides_nothing(length):
    comment = b"\xff\xfe" + struct.pack(">H", length)
    data = b"\xff\xd8" + JFIF + comment + jpeg(tiff())[2:]
    with within(2):
        clean = check(data).file.read()
    assert b"Exif" not in clean and b"\xff\xfe" not in clean and photo_gps(clean) is None


def test_exif_segment_longer_than_the_file_is_refused():
    # The APP1 declares 65,535 bytes; the file ends after 200.
    data = b"\xff\xd8" + JFIF + b"\xff\xe1\xff\xff" + b"Exif\x00\x00" + tiff(lat=(5, HUGE, DATA))
    with within(2):
        assert photo_gps(data) is None
        assert "cannot be read" in refusal(data)


# --- through the product ------------------------------------------------------------------

BOMB = jpeg(tiff(lat=(5, HUGE, DATA)))  # a real photo; the tracker's was 739 bytes


def public_payload(world):
    return {"category": "politik_uang", "kelurahan": world.kel_a.code, "tps_number": 1,
            "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "title": "Amplop", "description": "Amplop dibagikan di gang sebelah TPS.",
            "reporter_name": "Rahasia"}


@pytest.mark.django_db
def test_public_report_with_the_exif_bomb_is_saved_without_position(world, client):
    photo = SimpleUploadedFile("bukti.jpg", BOMB, content_type="image/jpeg")
    started = time.perf_counter()
    with within(10):
        response = client.post(reverse("api:incident-public-submit"),
                               {**public_payload(world), "files": [photo]},
                               HTTP_X_REQUESTED_WITH="PoskoApp")  # files: an app's multipart
    assert response.status_code == 201, response.content
    assert time.perf_counter() - started < 5
    evidence = Evidence.objects.get()
    assert evidence.report.code == response.json()["code"]
    assert (evidence.kind, evidence.latitude, evidence.longitude) == ("JPEG", None, None)
    stored = evidence.file.open("rb").read()
    assert b"Exif" not in stored and stored.startswith(b"\xff\xd8")


@pytest.mark.django_db
def test_official_adds_the_exif_bomb_as_evidence(world, users, personas):
    report = make_report(world, users["admin"])
    photo = SimpleUploadedFile("bukti.jpg", BOMB, content_type="image/jpeg")
    with within(10):
        response = personas["admin"].client.post(
            reverse("incidents:report_evidence", args=[report.pk]), {"files": [photo]})
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = Evidence.objects.get(report=report)
    assert (evidence.latitude, evidence.longitude) == (None, None)
    assert b"Exif" not in evidence.file.open("rb").read()
    assert Report.objects.count() == 1
