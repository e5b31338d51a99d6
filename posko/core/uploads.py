"""Checking uploaded files (attachments, photos) by their content, not their name.

A file is accepted only when its first bytes match one of the allowed kinds and it
is under the size limit; an ``.exe`` renamed to ``.pdf`` is refused. Stored files get
a random name; the original name is kept for display only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str
    extension: str
    magic: tuple[bytes, ...]


PDF = Kind("PDF", "application/pdf", ".pdf", (b"%PDF-",))
JPEG = Kind("JPEG", "image/jpeg", ".jpg", (b"\xff\xd8\xff",))
PNG = Kind("PNG", "image/png", ".png", (b"\x89PNG\r\n\x1a\n",))
WEBP = Kind("WEBP", "image/webp", ".webp", (b"RIFF",))
PHOTO_KINDS = (JPEG, PNG, WEBP)
DOCUMENT_KINDS = (PDF, JPEG, PNG, WEBP)


@dataclass
class CheckedUpload:
    file: object
    kind: Kind
    original_name: str
    size: int
    token: str


def _matches(kind: Kind, head: bytes) -> bool:
    if kind is WEBP:
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return any(head.startswith(m) for m in kind.magic)


def check_upload(upload, kinds=DOCUMENT_KINDS, *, max_bytes: int | None = None) -> CheckedUpload:
    """Validate ``upload`` (a Django UploadedFile); raise ValidationError with a clear message."""
    limit = max_bytes or settings.POSKO_ATTACHMENT_MAX_BYTES
    allowed = ", ".join(k.name for k in kinds)
    name = (getattr(upload, "name", "") or "file")[-200:]
    if upload.size > limit:
        raise ValidationError(_("%(name)s is too large (%(size)s); the limit is %(limit)s.") % {
            "name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)})
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for kind in kinds:
        if _matches(kind, head):
            return CheckedUpload(upload, kind, name, upload.size, secrets.token_hex(16))
    raise ValidationError(_("%(name)s is not a file of an accepted type (%(allowed)s). Its content "
                            "was checked, not its name.") % {"name": name, "allowed": allowed})


# --- short videos and JPEG metadata (added for the incidents module) ----------------------------

MP4 = Kind("MP4", "video/mp4", ".mp4", (b"ftyp",))
WEBM = Kind("WEBM", "video/webm", ".webm", (b"\x1a\x45\xdf\xa3",))
THREE_GP = Kind("3GP", "video/3gpp", ".3gp", (b"ftyp3g",))
VIDEO_KINDS = (THREE_GP, MP4, WEBM)  # 3GP first: it is an ISO file like MP4, with its own brand
EVIDENCE_KINDS = (*DOCUMENT_KINDS, *VIDEO_KINDS)


def sniff_kind(head: bytes, kinds=EVIDENCE_KINDS) -> Kind | None:
    """The kind whose magic bytes ``head`` (the file's first 16 bytes) starts with."""
    for kind in kinds:
        if kind is MP4 or kind is THREE_GP:
            # ISO base media: a box size (4 bytes), then "ftyp" and the brand.
            if head[4:8] != b"ftyp":
                continue
            is_3gp = head[8:10] == b"3g"
            if (kind is THREE_GP) == is_3gp:
                return kind
            continue
        if _matches(kind, head):
            return kind
    return None


def check_evidence_upload(upload, *, max_bytes: int | None = None,
                          video_max_bytes: int | None = None) -> CheckedUpload:
    """Like :func:`check_upload` for photos, PDF and short videos (MP4, WEBM, 3GP): the kind
    is sniffed from the content; videos have their own (larger) size limit."""
    limit = max_bytes or settings.POSKO_ATTACHMENT_MAX_BYTES
    video_limit = video_max_bytes or limit
    name = (getattr(upload, "name", "") or "file")[-200:]
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_kind(head)
    if kind is None:
        allowed = ", ".join(k.name for k in EVIDENCE_KINDS)
        raise ValidationError(_("%(name)s is not a file of an accepted type (%(allowed)s). Its "
                                "content was checked, not its name.") % {
            "name": name, "allowed": allowed})
    kind_limit = video_limit if kind in VIDEO_KINDS else limit
    if upload.size > kind_limit:
        raise ValidationError(_("%(name)s is too large (%(size)s); the limit is %(limit)s.") % {
            "name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(kind_limit)})
    return CheckedUpload(upload, kind, name, upload.size, secrets.token_hex(16))


# Every walk below is bounded by the data's length: each step moves forward by at least one
# byte, every offset and count read from the file is checked against the bytes actually
# there, and nothing is allocated from a size the file declares. A 739-byte photo whose
# GPS tag declared 4 billion values once kept a worker busy until it was killed.

_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})  # TEM, SOI, RST0-7: no length


def _jpeg_segments(data: bytes):
    """Yield (marker, start, end) of the JPEG header segments up to the start of scan.

    Bytes between segments that are not a marker are skipped, as decoders do (libjpeg:
    "extraneous bytes before marker"), so metadata after them is still found. A segment
    whose length is impossible (< 2) ends the walk; ``end`` may lie past the data when
    the file is cut short."""
    if not data.startswith(b"\xff\xd8"):
        return
    size = len(data)
    pos = 2
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            pos = data.find(b"\xff", pos + 1)
            if pos < 0:
                return
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE or marker == 0x00:
            pos += 2
            continue
        if marker == 0xD9:  # end of image before any scan
            return
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if length < 2:
            return
        end = pos + 2 + length
        yield marker, pos, end
        if marker == 0xDA:  # start of scan: image data follows
            return
        pos = end


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The JPEG without its EXIF/XMP (APP1) and comment segments, which hold the camera's
    GPS position, time and device. Anything that is not a JPEG is returned unchanged.

    Only segments the walk recognised are kept; bytes after a segment the walk could not
    read (an impossible length) are dropped, since they may hide metadata. The image data
    is kept from the start of scan to the end of image: what phones append after it (a
    second picture of the multi-picture format, maker trailers) carries its own EXIF and
    GPS, so it is dropped."""
    if not data.startswith(b"\xff\xd8"):
        return data
    out = [b"\xff\xd8"]
    last = 2
    for marker, start, end in _jpeg_segments(data):
        if marker == 0xDA:
            # Inside the scan 0xFF is always followed by 0x00 or a restart marker, so the
            # first FF D9 is the end of this image.
            eoi = data.find(b"\xff\xd9", end)
            out.append(data[start:] if eoi < 0 else data[start:eoi + 2])
            return b"".join(out)
        if marker not in (0xE1, 0xFE):  # APP1 (Exif, XMP), COM
            out.append(data[start:end])
        last = end
    tail = data[last:]
    if tail[:2] == b"\xff\xd9":  # end of image: keep it
        out.append(b"\xff\xd9")
    return b"".join(out)


_RATIONAL, _LONG, _IFD, _ASCII = 5, 4, 13, 2


def _exif_gps(tiff: bytes) -> tuple[float, float] | None:
    """(latitude, longitude) from a TIFF/EXIF block, or None when the GPS tags are missing
    or malformed (wrong type, count < 3, offsets past the end, zero denominators)."""
    size = len(tiff)
    if size < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "little" if tiff[:2] == b"II" else "big"

    def u16(at):
        return int.from_bytes(tiff[at:at + 2], order)

    def u32(at):
        return int.from_bytes(tiff[at:at + 4], order)

    def entries(offset):
        """Tag -> (type, count, value position) of the IFD at ``offset``; nothing when the
        IFD does not lie wholly inside the block."""
        if offset < 8 or offset + 2 > size:
            return {}
        count = u16(offset)
        if offset + 2 + 12 * count > size:
            return {}
        found = {}
        for i in range(count):
            at = offset + 2 + 12 * i
            found.setdefault(u16(at), (u16(at + 2), u32(at + 4), at + 8))
        return found

    ifd0_offset = u32(4)
    ifd0 = entries(ifd0_offset)
    pointer = ifd0.get(0x8825)
    if pointer is None or pointer[0] not in (_LONG, _IFD) or pointer[1] != 1:
        return None
    gps_offset = u32(pointer[2])
    if gps_offset == ifd0_offset:  # points back at IFD0: no GPS IFD
        return None
    gps = entries(gps_offset)

    def rationals(tag):
        entry = gps.get(tag)
        if entry is None:
            return None
        kind, count, value_at = entry
        if kind != _RATIONAL or count < 3:
            return None
        offset = u32(value_at)  # 3 rationals are 24 bytes: never inline
        if offset < 8 or offset + 8 * count > size:  # every declared value must be there
            return None
        values = []
        for i in range(3):
            num, den = u32(offset + 8 * i), u32(offset + 8 * i + 4)
            if den == 0:
                return None
            values.append(num / den)
        if values[1] >= 60 or values[2] >= 60:
            return None
        return values

    def ref(tag):
        entry = gps.get(tag)
        if entry is None or entry[0] != _ASCII or not 1 <= entry[1] <= 4:
            return b""
        return tiff[entry[2]:entry[2] + 1]

    lat, lon = rationals(2), rationals(4)
    if lat is None or lon is None:
        return None
    latitude = lat[0] + lat[1] / 60 + lat[2] / 3600
    longitude = lon[0] + lon[1] / 60 + lon[2] / 3600
    if ref(1) == b"S":
        latitude = -latitude
    if ref(3) == b"W":
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return round(latitude, 6), round(longitude, 6)


def jpeg_gps(data: bytes) -> tuple[float, float] | None:
    """(latitude, longitude) from a JPEG's EXIF GPS tags, or None (also for broken EXIF:
    the photo is still evidence, it just has no position)."""
    try:
        for marker, start, end in _jpeg_segments(data):
            if marker == 0xE1 and data[start + 4:start + 10] == b"Exif\x00\x00":
                return _exif_gps(data[start + 10:end])
    except (IndexError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return None
