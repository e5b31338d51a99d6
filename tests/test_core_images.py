"""Issue 16, uploads: every photo is re-encoded by Pillow (posko.core.images) and hostile
photos are refused with a message and nothing stored: a decompression bomb (pixel limit),
a cut-off or damaged image, a file whose content is not the format its first bytes claim,
a polyglot. What is stored has no EXIF, GPS, XMP, text chunk or ICC profile."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image, PngImagePlugin

from posko.core import uploads
from posko.core.images import PILLOW_PIXEL_LIMIT, photo_gps
from posko.env import ConfigError, env_int
from posko.incidents.models import Evidence
from posko.incidents.services import add_evidence
from tests.incidents_fixtures import jpeg_bytes, make_report

GPS = {1: "S", 2: (7.0, 58.0, 30.0), 3: "E", 4: (112.0, 37.0, 12.0)}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
       b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Model="SecretPhone 9"/>'
       b"</rdf:RDF></x:xmpmeta>")
ICC = b"\x00\x00\x02\x0cSecretICCprofile" + bytes(64)  # not parsed: carried as bytes


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def exif(orientation: int | None = None) -> Image.Exif:
    data = Image.Exif()
    data[0x0110] = "SecretPhone 9"  # camera model
    data[0x0132] = "2024:11:27 08:15:00"
    if orientation:
        data[0x0112] = orientation
    data.get_ifd(0x8825).update(GPS)
    return data


def image(size=(64, 48), mode="RGB") -> Image.Image:
    picture = Image.new(mode, size, (10, 120, 200) if mode == "RGB" else 128)
    picture.paste((250, 250, 0) if mode == "RGB" else 255, (0, 0, size[0] // 2, size[1] // 4))
    return picture


def jpeg_with_everything(orientation=None) -> bytes:
    out = io.BytesIO()
    image().save(out, "JPEG", exif=exif(orientation), xmp=XMP, icc_profile=ICC,
                 comment=b"taken by SecretPhone 9")
    return out.getvalue()


def png_with_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Pak Budi")
    info.add_text("Comment", "SecretPhone 9", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    image().save(out, "PNG", pnginfo=info, exif=exif(), icc_profile=ICC)
    return out.getvalue()


def webp_with_exif() -> bytes:
    out = io.BytesIO()
    image().save(out, "WEBP", exif=exif(), xmp=XMP, icc_profile=ICC)
    return out.getvalue()


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunks.append(kind)
        at += 12 + length
    return chunks


def riff_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 12
    while at + 8 <= len(data):
        kind, length = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        chunks.append(kind)
        at += 8 + length + (length & 1)
    return chunks


def png_claiming(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header says ``width`` x ``height``: Pillow would allocate for that."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + struct.pack(">I", 13) + ihdr + struct.pack(
        ">I", zlib.crc32(ihdr)) + data[33:]


def check(data: bytes, name="foto.jpg"):
    return uploads.check_upload(SimpleUploadedFile(name, data), uploads.PHOTO_KINDS)


def refusal(data: bytes, name="foto.jpg") -> str:
    with pytest.raises(ValidationError) as error:
        check(data, name)
    return " ".join(error.value.messages)


def assert_no_metadata(stored: bytes) -> None:
    for secret in (b"SecretPhone", b"SecretICC", b"Pak Budi", b"xmpmeta", b"2024:11:27",
                   b"Exif"):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as opened:
        assert not set(opened.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile",
                                       "comment", "Author", "Comment", "photoshop"}
        assert not opened.getexif() and photo_gps(stored) is None


# --- metadata is gone, the picture stays ------------------------------------------------------

def test_jpeg_loses_exif_gps_xmp_icc_and_comment_but_keeps_its_position_on_the_row():
    data = jpeg_with_everything()
    assert b"SecretPhone" in data and photo_gps(data) == pytest.approx((-7.975, 112.62))
    checked = check(data)
    stored = checked.file.read()
    assert_no_metadata(stored)
    assert checked.gps == pytest.approx((-7.975, 112.62))
    assert (checked.kind, checked.content_type, checked.size) == (uploads.JPEG, "image/jpeg",
                                                                  len(stored))
    with Image.open(io.BytesIO(stored)) as opened:
        assert opened.size == (64, 48) and opened.getpixel((5, 2))[0] > 200  # same picture


def test_orientation_is_applied_before_the_exif_is_dropped():
    stored = check(jpeg_with_everything(orientation=6)).file.read()  # "rotate 90° clockwise"
    with Image.open(io.BytesIO(stored)) as opened:
        assert opened.size == (48, 64)
    assert_no_metadata(stored)


def test_png_text_exif_and_icc_chunks_are_dropped():
    data = png_with_chunks()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunks(data))
    checked = check(data, "layar.png")
    stored = checked.file.read()
    assert set(png_chunks(stored)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert_no_metadata(stored)
    assert checked.kind is uploads.PNG and checked.gps == pytest.approx((-7.975, 112.62))


def test_webp_exif_xmp_and_icc_are_dropped():
    data = webp_with_exif()
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(riff_chunks(data))
    checked = check(data, "foto.webp")
    stored = checked.file.read()
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(riff_chunks(stored))
    assert_no_metadata(stored)
    assert checked.kind is uploads.WEBP and checked.content_type == "image/webp"


def test_the_sha256_is_of_the_file_as_received():
    import hashlib

    data = jpeg_with_everything()
    checked = check(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.original_size == len(data) and checked.upload.read() == data


# --- refused, with a message ------------------------------------------------------------------

def test_decompression_bomb_is_refused_from_its_header():
    bomb = png_claiming(60_000, 60_000)  # 3.6 billion pixels in 70 bytes
    assert len(bomb) < 100
    message = refusal(bomb, "bom.png")
    assert "bom.png has more pixels than the limit of 60 megapixels" in message


@override_settings(POSKO_MAX_IMAGE_PIXELS=2_000_000)
def test_the_pixel_limit_is_the_setting():
    message = refusal(png_claiming(2000, 1001), "besar.png")
    assert message.startswith("besar.png has 2000 × 1001 pixels; the limit is 2 megapixels")
    assert check(_real_png(2000, 1000), "pas.png").kind is uploads.PNG


def _real_png(width, height) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_the_setting_is_parsed_strictly():
    assert env_int("X", 5, {"X": "70000000"}, maximum=PILLOW_PIXEL_LIMIT) == 70_000_000
    with pytest.raises(ConfigError, match="must be at most 89478485"):
        env_int("X", 5, {"X": "100000000"}, maximum=PILLOW_PIXEL_LIMIT)
    with pytest.raises(ConfigError, match="not a whole number"):
        env_int("X", 5, {"X": "60MP"}, maximum=PILLOW_PIXEL_LIMIT)


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_cut_off_jpeg_is_refused(cut):
    data = jpeg_with_everything()
    message = refusal(data[:int(len(data) * cut)], "potong.jpg")
    assert "potong.jpg starts like a JPEG image but cannot be read as one" in message


@pytest.mark.parametrize("data,name", [
    (b"\x89PNG\r\n\x1a\n" + jpeg_bytes()[2:], "palsu.png"),   # PNG magic, JPEG body
    (b"\xff\xd8\xff\xe0" + b"\x00garbage" * 40, "palsu.jpg"),  # JPEG magic, nothing else
    (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(40), "palsu.webp"),
])
def test_wrong_content_behind_the_magic_is_refused(data, name):
    assert f"{name} starts like a" in refusal(data, name)


@pytest.mark.parametrize("extra,what", [
    (b"<html><script>alert(1)</script></html>", "web page markup or script"),
    (b"<?php system($_GET['c']); ?>", "web page markup or script"),
    (b"PK\x03\x04" + bytes(30) + b"PK\x05\x06" + bytes(18), "a ZIP archive"),
])
def test_polyglots_are_refused(extra, what):
    message = refusal(jpeg_with_everything() + extra, "poli.jpg")
    assert f"poli.jpg is a JPEG image that also holds {what}" in message


def test_pdf_header_in_a_png_is_refused():
    data = png_with_chunks()
    message = refusal(data[:33] + b"\x00\x00\x00\x08pdFx%PDF-1.7" + data[33:], "poli.png")
    assert "also holds a PDF document" in message


# --- nothing half-saved ----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_bomb_among_good_photos_stores_nothing(world, users, media):
    report = make_report(world, users["admin"])
    good = SimpleUploadedFile("baik.jpg", jpeg_with_everything())
    bomb = SimpleUploadedFile("bom.png", png_claiming(60_000, 60_000))
    with pytest.raises(ValidationError) as error:
        add_evidence(report, [good, bomb], actor=users["admin"])
    assert "bom.png has more pixels" in " ".join(error.value.messages)
    assert not Evidence.objects.exists()
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_evidence_page_stores_the_clean_photo_and_its_position(world, users, personas, media):
    report = make_report(world, users["admin"])
    client = personas["admin"].client
    response = client.post(reverse("incidents:report_evidence", args=[report.pk]),
                           {"files": [SimpleUploadedFile("bukti.png", png_with_chunks())]})
    assert response.status_code == 302
    evidence = Evidence.objects.get(report=report)
    assert (float(evidence.latitude), float(evidence.longitude)) == (-7.975, 112.62)
    served = client.get(reverse("incidents:evidence_download", args=[evidence.pk]))
    assert served.status_code == 200
    assert_no_metadata(b"".join(served.streaming_content))
