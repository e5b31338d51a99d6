"""The SHA-256 a field app computed on the phone, checked against the bytes received.

A phone sends ``X-Content-SHA256: <64 hex>`` with an upload (the field app computes it with
``crypto.subtle.digest`` on the resized picture it queued). A mismatch means the file was
damaged or cut on the way: the answer is a 422 with a clear message and nothing is stored
(inside an idempotent submission the key is not kept either, so the phone may send it again).
The header is optional: clients that do not send it are not checked.
"""

from __future__ import annotations

import hashlib
import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException

HEADER = "HTTP_X_CONTENT_SHA256"
_HEX = re.compile(r"^[0-9a-f]{64}$")


class ChecksumMismatch(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "checksum_mismatch"


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def verify(request, upload) -> None:
    """Raise :class:`ChecksumMismatch` (422) when the request names a SHA-256 that is not the
    upload's (or is not a SHA-256 at all)."""
    claimed = (request.META.get(HEADER) or "").strip().lower()
    if not claimed or upload is None:
        return
    if not _HEX.match(claimed):
        raise ChecksumMismatch(_("The X-Content-SHA256 header must be 64 hexadecimal "
                                 "characters (the SHA-256 of the file)."))
    actual = sha256_of(upload)
    if actual != claimed:
        raise ChecksumMismatch(_(
            "The photo arrived damaged: its SHA-256 is %(actual)s, the phone computed "
            "%(claimed)s. Nothing was saved; send it again.") % {"actual": actual,
                                                                  "claimed": claimed})


def header_parameter() -> OpenApiParameter:
    return OpenApiParameter("X-Content-SHA256", OpenApiTypes.STR, OpenApiParameter.HEADER,
                            required=False,
                            description="SHA-256 (hex) of the uploaded file as the client "
                                        "computed it; a mismatch is a 422.")
