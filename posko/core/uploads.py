"""Checking uploaded files (attachments, photos) by their content, not their name.

A file is accepted only when its first bytes match one of the allowed kinds and it
is under the size limit; an ``.exe`` renamed to ``.pdf`` is refused. Stored files get
a random name; the original name is kept for display only.

Videos (MP4, 3GP, WEBM) and PDFs are cleaned by ``core.media_meta`` (location, author,
dates and XMP removed; a file that cannot be read as its kind is refused).

Photos (JPEG, PNG, WEBP) are then re-encoded by Pillow (``core.images``): what a caller
stores (``CheckedUpload.file``) is the clean copy, without EXIF/GPS, XMP, text chunks or
ICC profile; bombs, damaged files and polyglots are refused here, before anything is
saved. ``CheckedUpload.upload`` is the file as received and ``sha256`` the hash of its
bytes, for the modules that keep the original as evidence."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from posko.core.images import clean_image
from posko.core.media_meta import clean_document


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


IMAGE_KINDS = PHOTO_KINDS


@dataclass
class CheckedUpload:
    file: object  # what to store: the re-encoded copy for a photo, else the upload itself
    kind: Kind
    original_name: str
    size: int  # of ``file``
    token: str
    upload: object = None  # the file as received
    original_size: int = 0
    sha256: str = ""  # of the file as received
    gps: tuple[float, float] | None = None  # a photo's capture position (EXIF GPS)
    content_type: str = ""  # of ``file``

    @property
    def extension(self) -> str:
        return self.kind.extension


def _checked(upload, kind: Kind, name: str, *, max_side: int | None = None) -> CheckedUpload:
    """The CheckedUpload of an upload whose kind and size passed: a photo re-encoded, a video
    or PDF without its metadata (core.media_meta), or a ValidationError when it is broken."""
    token = secrets.token_hex(16)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if kind not in IMAGE_KINDS:
        clean = clean_document(data, kind, name=name)
        return CheckedUpload(ContentFile(clean, name=f"{token}{kind.extension}"), kind, name,
                             len(clean), token, upload=upload, original_size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(),
                             content_type=kind.content_type)
    clean = clean_image(data, kind, name=name, max_side=max_side)
    return CheckedUpload(ContentFile(clean.data, name=f"{token}{kind.extension}"), kind, name,
                         len(clean.data), token, upload=upload, original_size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), gps=clean.gps,
                         content_type=clean.content_type)


def _matches(kind: Kind, head: bytes) -> bool:
    if kind is WEBP:
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return any(head.startswith(m) for m in kind.magic)


def check_upload(upload, kinds=DOCUMENT_KINDS, *, max_bytes: int | None = None,
                 max_side: int | None = None) -> CheckedUpload:
    """Validate ``upload`` (a Django UploadedFile); raise ValidationError with a clear message.
    A photo is re-encoded (at most ``max_side`` pixels on its longest side when given)."""
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
            return _checked(upload, kind, name, max_side=max_side)
    raise ValidationError(_("%(name)s is not a file of an accepted type (%(allowed)s). Its content "
                            "was checked, not its name.") % {"name": name, "allowed": allowed})


# --- short videos (added for the incidents module) ----------------------------------------------

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
    is sniffed from the content; videos have their own (larger) size limit. Videos and PDFs
    are cleaned of their metadata like photos (``core.media_meta``, docs/security.md)."""
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
    return _checked(upload, kind, name)
