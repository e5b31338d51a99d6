"""Resumable uploads (issue 18: "large uploads resume"), the tus idea kept minimal.

A phone on a weak connection sends a big photo in chunks and, after a dropped connection,
asks how much arrived and continues from there instead of starting again:

* ``POST /api/v1/uploads/`` ``{"size", "sha256", "name"}`` → 201 ``{"id", "url", "offset": 0,
  …}`` (and a ``Location``). The size may not pass ``POSKO_ATTACHMENT_MAX_BYTES``.
* ``HEAD`` / ``GET …/uploads/<id>/`` → the bytes received so far (``Upload-Offset`` header;
  GET also as JSON).
* ``PATCH …/uploads/<id>/`` with ``Upload-Offset: <n>`` (or ``Content-Range: bytes n-m/total``)
  and the chunk as the body (``application/offset+octet-stream``) → appended when ``n`` is the
  offset received so far, else 409 with the current offset. When the last byte arrives the
  SHA-256 of the whole file is checked: a mismatch is a 422 and the session starts again at 0.
* A form that takes a file (the C.Hasil photo) accepts ``upload=<id>`` instead of the file
  part: :func:`take` gives the completed file to the same checks as a file part, and the
  session is deleted when the form's transaction commits.

A session belongs to its user (another user's id is a 404) and expires
``POSKO_RESUMABLE_HOURS`` (24) after it was created; the hourly purge job deletes expired
sessions and their bytes (:func:`purge_expired`). A user has at most ``MAX_OPEN`` (20) live
sessions. The bytes wait in a private directory
(``POSKO_RESUMABLE_DIR``, default ``<data dir>/resumable``), never under MEDIA.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.core import clock
from posko.core.checksums import ChecksumMismatch
from posko.core.models import UploadSession

CHUNK_TYPE = "application/offset+octet-stream"
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def directory() -> Path:
    return Path(getattr(settings, "POSKO_RESUMABLE_DIR", None) or settings.DATA_DIR / "resumable")


def path_of(session: UploadSession) -> Path:
    return directory() / f"{session.pk.hex}.part"


def max_bytes() -> int:
    return settings.POSKO_ATTACHMENT_MAX_BYTES


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def session_of(user, pk) -> UploadSession:
    """The user's live session ``pk``; another user's, an expired or unknown one is a 404."""
    try:
        return UploadSession.objects.get(pk=pk, user=user, expires_at__gt=clock.real_now())
    except (UploadSession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


MAX_OPEN = 20  # live sessions per user: a phone queues a handful; more fills the disk


def start(user, *, size: int, sha256: str, name: str) -> UploadSession:
    now = clock.real_now()
    if UploadSession.objects.filter(user=user, expires_at__gt=now).count() >= MAX_OPEN:
        raise ValidationError({"detail": _(
            "Too many unfinished uploads (%(count)s); finish or wait for them to expire.")
            % {"count": MAX_OPEN}})
    hours = getattr(settings, "POSKO_RESUMABLE_HOURS", 24)
    session = UploadSession.objects.create(
        id=uuid.uuid4(), user=user, size=size, sha256=sha256.lower(), name=name[-200:],
        created_at=now, expires_at=now + timedelta(hours=hours))
    directory().mkdir(parents=True, exist_ok=True)
    path_of(session).write_bytes(b"")
    return session


class OffsetConflict(Exception):
    def __init__(self, offset: int):
        self.offset = offset


def append(user, pk, offset: int, chunk: bytes) -> UploadSession:
    """Write ``chunk`` at ``offset`` (which must be the bytes received so far); check the
    SHA-256 when the file is complete (a mismatch resets the session and raises 422)."""
    with transaction.atomic():
        session = session_of(user, pk)
        session = UploadSession.objects.select_for_update().get(pk=session.pk)
        if offset != session.offset:
            raise OffsetConflict(session.offset)
        if offset + len(chunk) > session.size:
            raise ValidationError({"detail": _(
                "The chunk goes past the announced size of the file (%(size)s bytes).")
                % {"size": session.size}})
        path = path_of(session)
        with open(path, "r+b" if path.exists() else "w+b") as fh:
            fh.seek(offset)
            fh.write(chunk)
            fh.truncate()  # bytes of an earlier attempt that never counted
        session.offset = offset + len(chunk)
        mismatch = None
        if session.complete:
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 16), b""):
                    digest.update(block)
            if digest.hexdigest() != session.sha256:
                mismatch = _Mismatch(digest.hexdigest(), session.sha256)
                session.offset = 0  # damaged on the way: the upload starts again
                path.write_bytes(b"")
        session.save(update_fields=["offset"])
    if mismatch is not None:
        raise mismatch
    return session


class _Mismatch(Exception):
    def __init__(self, actual, claimed):
        self.actual, self.claimed = actual, claimed


def take(user, pk) -> UploadedFile:
    """The completed upload ``pk`` of ``user`` as an uploaded file, for a form's usual checks.
    The session and its bytes are deleted when the caller's transaction commits."""
    session = session_of(user, pk)
    if not session.complete:
        raise ValidationError({"upload": [_(
            "The upload is not complete yet: %(offset)s of %(size)s bytes arrived.")
            % {"offset": session.offset, "size": session.size}]})
    path = path_of(session)
    upload = UploadedFile(open(path, "rb"), name=session.name, size=session.size)
    upload.sha256 = session.sha256
    UploadSession.objects.filter(pk=session.pk).delete()

    def done():
        upload.close()
        _remove(path)

    transaction.on_commit(done)
    return upload


def purge_expired(now=None) -> int:
    """Delete expired sessions and their bytes; returns how many."""
    expired = list(UploadSession.objects.filter(expires_at__lte=now or clock.real_now())
                   .values_list("pk", flat=True))
    for pk in expired:
        _remove(directory() / f"{pk.hex}.part")
    return UploadSession.objects.filter(pk__in=expired).delete()[0]


# --- the API -------------------------------------------------------------------------------------

class StartSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$")
    name = serializers.CharField(max_length=200)

    def validate_size(self, value):
        if value > max_bytes():
            raise serializers.ValidationError(_(
                "The file is too large (%(size)s); the limit is %(limit)s.") % {
                "size": filesizeformat(value), "limit": filesizeformat(max_bytes())})
        return value


class SessionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    complete = serializers.BooleanField(read_only=True)

    class Meta:
        model = UploadSession
        fields = ["id", "url", "name", "size", "sha256", "offset", "complete", "expires_at"]

    def get_url(self, obj) -> str:
        return reverse("api:upload", args=[obj.pk])


class ChunkParser(BaseParser):
    media_type = CHUNK_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        """The chunk's bytes; one larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (it would be
        held in memory) is refused before it is read."""
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length.isdigit() and int(length) > limit:
            raise ParseError(_("A chunk may hold at most %(limit)s bytes: send smaller "
                               "chunks.") % {"limit": limit})
        return stream.read() if stream is not None else b""


class OctetParser(ChunkParser):
    media_type = "application/octet-stream"


def _headers(session) -> dict:
    return {"Upload-Offset": str(session.offset), "Upload-Length": str(session.size),
            "Cache-Control": "no-store"}


class UploadStartView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=StartSerializer, responses={201: SessionSerializer})
    def post(self, request):
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = start(request.user, **serializer.validated_data)
        body = SessionSerializer(session).data
        return Response(body, status=status.HTTP_201_CREATED,
                        headers={**_headers(session), "Location": body["url"]})


class UploadView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [ChunkParser, OctetParser]

    @extend_schema(responses={200: SessionSerializer})
    def get(self, request, pk):
        session = session_of(request.user, pk)
        return Response(SessionSerializer(session).data, headers=_headers(session))

    @extend_schema(
        request={CHUNK_TYPE: OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Upload-Offset", OpenApiTypes.INT, OpenApiParameter.HEADER,
                                     required=False,
                                     description="Where the chunk starts (bytes received "
                                                 "so far); or a Content-Range header."),
                    OpenApiParameter("Content-Range", OpenApiTypes.STR,
                                     OpenApiParameter.HEADER, required=False)],
        responses={200: SessionSerializer,
                   409: OpenApiResponse(description="The offset is not the bytes received so "
                                                    "far; the body names the current offset."),
                   422: OpenApiResponse(description="The complete file's SHA-256 is not the "
                                                    "announced one; the upload starts again.")})
    def patch(self, request, pk):
        offset = _offset_of(request)
        chunk = request.data if isinstance(request.data, bytes) else b""
        try:
            session = append(request.user, pk, offset, chunk)
        except OffsetConflict as conflict:
            return Response({"detail": _("The upload has %(offset)s bytes so far; send from "
                                         "there.") % {"offset": conflict.offset},
                             "offset": conflict.offset}, status=status.HTTP_409_CONFLICT,
                            headers={"Upload-Offset": str(conflict.offset)})
        except _Mismatch as mismatch:
            raise ChecksumMismatch(_(
                "The photo arrived damaged: its SHA-256 is %(actual)s, the phone computed "
                "%(claimed)s. Nothing was saved; send it again.") % {
                "actual": mismatch.actual, "claimed": mismatch.claimed}) from None
        return Response(SessionSerializer(session).data, headers=_headers(session))


def _offset_of(request) -> int:
    raw = request.headers.get("Upload-Offset")
    if raw is not None and raw.strip().isdigit():
        return int(raw)
    match = _RANGE.match((request.headers.get("Content-Range") or "").strip())
    if match:
        return int(match.group(1))
    raise ValidationError({"detail": _("Say where the chunk starts: an Upload-Offset or "
                                       "Content-Range header.")})
