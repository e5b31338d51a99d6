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
