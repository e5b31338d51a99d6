"""Videos (MP4/3GP, WEBM) and PDFs are stored without their metadata; the original is kept
(hashed) for the modules that need it; broken files are refused with a message."""

from __future__ import annotations

import hashlib
import io
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pypdf import PdfReader

from posko.core import media_meta, uploads
from tests.media_fixtures import GPS, MDAT, PERSON, box, mp4_bytes, pdf_bytes, webm_bytes


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def check(name, data):
    return uploads.check_evidence_upload(SimpleUploadedFile(name, data))


def refusal(name, data) -> str:
    with pytest.raises(ValidationError) as exc:
        check(name, data)
    return exc.value.messages[0]


def iso_boxes(data, start=0, end=None):
    end = len(data) if end is None else end
    out, pos = [], start
    while pos < end:
        size = struct.unpack(">I", data[pos:pos + 4])[0]
        out.append((data[pos + 4:pos + 8], pos, size))
        pos += size
    return out


@pytest.mark.parametrize("brand,kind", [(b"isom", uploads.MP4), (b"3gp4", uploads.THREE_GP),
                                        (b"qt  ", uploads.MP4)])
def test_mp4_location_and_names_are_removed_and_the_video_is_unchanged(brand, kind):
    original = mp4_bytes(brand=brand)
    assert GPS in original and PERSON.encode() in original
    checked = check("rekaman.mp4", original)
    clean = checked.file.read()
    assert checked.kind is kind and checked.size == len(clean) == len(original)
    for marker in (GPS, PERSON.encode(), b"Kamera Budi", b"\xa9xyz", b"udta", b"meta",
                   b"com.apple.quicktime"):
        assert marker not in clean
    # every box is where it was: the sample offsets still point at the coded frames
    assert [(k, p, s) for k, p, s in iso_boxes(clean)] == [
        (k if k != b"meta" else b"free", p, s) for k, p, s in iso_boxes(original)]
    assert clean.endswith(box(b"mdat", MDAT))
    moov = next((p, s) for k, p, s in iso_boxes(clean) if k == b"moov")
    inner = iso_boxes(clean, moov[0] + 8, moov[0] + moov[1])
    assert [k for k, _p, _s in inner] == [b"mvhd", b"trak", b"free", b"free"]
    mvhd_at = inner[0][1]
    assert clean[mvhd_at + 12:mvhd_at + 20] == bytes(8)  # creation/modification time
    assert original[mvhd_at + 12:mvhd_at + 20] != bytes(8)
    # the original is what was sent, hashed
    assert checked.upload.read() == original
    assert checked.sha256 == hashlib.sha256(original).hexdigest()
    assert checked.original_size == len(original)


def test_mp4_with_a_64_bit_box_size_and_zero_padding_is_accepted():
    data = mp4_bytes()
    mdat = box(b"mdat", MDAT)
    large = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + len(MDAT)) + MDAT
    data = data.replace(mdat, large) + bytes(6)
    clean = check("v.mp4", data).file.read()
    assert GPS not in clean and clean.endswith(MDAT + bytes(6))


@pytest.mark.parametrize("mangle", [
    lambda d: d[: len(d) - 30],  # cut off inside mdat
    lambda d: d.replace(b"moov", b"mo\x00v"),  # box type not printable
    lambda d: d[:24] + struct.pack(">I", 4) + d[28:],  # a size below the header
    lambda d: mp4_bytes(moov=False),  # no moov: nothing to play
    lambda d: d[:24] + struct.pack(">I", 10_000) + d[28:],  # runs past the end
])
def test_broken_mp4_is_refused_with_a_message(mangle):
    message = refusal("rekaman.mp4", mangle(mp4_bytes()))
    assert message == ("rekaman.mp4 starts like a video (MP4) but cannot be read as one (damaged "
                       "or incomplete). Record or export the video again.")


def test_webm_tags_title_and_date_are_voided():
    original = webm_bytes()
    assert GPS in original and PERSON.encode() in original
    checked = check("klip.webm", original)
    clean = checked.file.read()
    assert checked.kind is uploads.WEBM and len(clean) == len(original)
    assert GPS not in clean and PERSON.encode() not in clean and b"LOCATION" not in clean
    assert MDAT in clean and b"Chrome" in clean  # the frames and the muxer stay
    assert checked.sha256 == hashlib.sha256(original).hexdigest()
    # the voided elements are Void (0xEC) elements of the same length: a second pass is a no-op
    assert media_meta.clean_ebml(clean) == clean


def test_matroska_doc_type_is_accepted_and_others_are_refused():
    assert GPS not in check("klip.mkv", webm_bytes(doc_type=b"matroska")).file.read()
    assert "cannot be read as one" in refusal("klip.webm", webm_bytes(doc_type=b"foo"))
    assert "cannot be read as one" in refusal("klip.webm", webm_bytes()[:40])
    assert "cannot be read as one" in refusal("klip.webm", webm_bytes() + b"\x00\x00\x01")


def test_pdf_author_keywords_and_xmp_are_removed_and_the_text_stays():
    original = pdf_bytes()
    before = PdfReader(io.BytesIO(original))
    assert before.metadata.author == PERSON and before.xmp_metadata is not None
    checked = uploads.check_upload(SimpleUploadedFile("daftar hadir.pdf", original))
    clean = checked.file.read()
    after = PdfReader(io.BytesIO(clean))
    assert not after.metadata and after.xmp_metadata is None
    for marker in (PERSON.encode(), b"Melati", b"Pemindai", b"xmpmeta"):
        assert marker not in clean
    assert "Daftar hadir sosialisasi" in after.pages[0].extract_text()
    assert checked.content_type == "application/pdf" and checked.size == len(clean)
    assert checked.sha256 == hashlib.sha256(original).hexdigest()


def test_a_photo_inside_a_pdf_loses_its_exif_gps_and_stays_a_picture():
    """A phone scanner app puts the camera's JPEG, EXIF and GPS included, inside the PDF."""
    from fpdf import FPDF
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Kamera Pemindai"
    exif[0x8825] = {1: "S", 2: (7.0, 58.0, 12.0), 3: "E", 4: (112.0, 37.0, 48.0)}
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo, "JPEG", exif=exif.tobytes())
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(photo.getvalue()), x=10, y=10, w=50)
    original = bytes(pdf.output())
    assert b"Kamera Pemindai" in original  # embedded as it was taken
    clean = uploads.check_upload(SimpleUploadedFile("surat.pdf", original)).file.read()
    assert b"Kamera Pemindai" not in clean and b"Exif" not in clean
    image = PdfReader(io.BytesIO(clean)).pages[0].images[0].image
    assert image.size == (64, 48) and not image.getexif()
    red, green, blue = image.convert("RGB").getpixel((32, 24))
    assert red > 180 and green < 60 and blue < 60  # the same picture, re-encoded


@pytest.mark.parametrize("data", [b"%PDF-1.4 x", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                                  pdf_bytes()[:300]])
def test_broken_pdf_is_refused_with_a_message(data):
    assert refusal("notulen.pdf", data) == (
        "notulen.pdf starts like a PDF but cannot be read as one (damaged or incomplete). Save "
        "or scan it again.")


def test_encrypted_pdf_is_refused_with_its_own_message():
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("rahasia")
    out = io.BytesIO()
    writer.write(out)
    assert "password-protected PDF" in refusal("sk.pdf", out.getvalue())


def test_document_uploads_clean_pdfs_too():
    """check_upload (minutes, attachments, attendance sheets, pledges) shares the cleaning."""
    checked = uploads.check_upload(SimpleUploadedFile("a.pdf", pdf_bytes()))
    assert PERSON.encode() not in checked.file.read()


def test_hostile_videos_are_refused():
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isom")
    nested = b"\x00\x00\x00\x08mdat"
    for _ in range(5000):  # moov inside moov inside moov…: 5,000 levels
        nested = box(b"moov", nested)
    huge = ftyp + struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 2**63) + bytes(16)
    bad_id = webm_bytes().replace(b"\x18\x53\x80\x67", b"\x08\x00\x00\x00\x00", 1)
    assert "nested too deeply" in refusal("n.mp4", ftyp + nested)
    assert "cannot be read as one" in refusal("h.mp4", huge)
    assert "cannot be read as one" in refusal("b.webm", bad_id)
