"""Evidence kept twice: the cleaned copy every page serves and the original as received.

An upload checked by ``core.uploads`` gives a copy without metadata (``CheckedUpload.file``:
photos re-encoded, videos and PDFs cleaned) and the file as received (``.upload``) with the
SHA-256 of its bytes (``.sha256``). A module that needs the upload as evidence (incident
evidence, C.Hasil photos) stores both: the copy is what its pages serve to anyone who may see
the object; the original (with its GPS position, device, author…) is only handed out by
:func:`original_response`, to the users the module allows (the personal-data permission),
as a download, each one audited with the hash. The hash is shown beside the evidence, so a
disputed file can be checked against it (``sha256sum``). Neither is ever under a public URL:
``MEDIA_ROOT`` is not served by Posko or by the web server in front of it (README).

When retention ends (``core.retention``), a module deletes the originals and keeps the copy
and the hash: :func:`delete_after_commit` removes the files once the rows that named them are
saved, so a rolled-back purge never leaves a row pointing at a deleted file.
"""

from __future__ import annotations

import logging
import mimetypes

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404

from posko.core import audit

log = logging.getLogger(__name__)


def save_pair(instance, checked, *, served: str = "file", original: str = "original",
              written: list | None = None) -> None:
    """Store the cleaned copy in ``instance.<served>`` and the file as received in
    ``instance.<original>`` (random names; the row itself is not saved). The stored names are
    appended to ``written`` so a caller can remove them when its transaction fails."""
    copy = getattr(instance, served)
    copy.save(f"{checked.token}{checked.kind.extension}", checked.file, save=False)
    if written is not None:
        written.append((copy.storage, copy.name))
    kept = getattr(instance, original)
    kept.save(f"{checked.token}-original{checked.kind.extension}", checked.upload, save=False)
    if written is not None:
        written.append((kept.storage, kept.name))


def delete_files(files) -> int:
    """Delete ``(storage, name)`` pairs; a file already gone is fine. Returns how many."""
    done = 0
    for storage, name in files:
        if not name:
            continue
        try:
            storage.delete(name)
            done += 1
        except OSError:  # pragma: no cover - logged, the purge goes on
            log.warning("could not delete %s", name, exc_info=True)
    return done


def delete_after_commit(files) -> None:
    """Delete the files once the current transaction commits (at once outside one)."""
    files = list(files)
    transaction.on_commit(lambda: delete_files(files))


def original_response(request, obj, field, *, allowed: bool, message: str,
                      filename: str) -> FileResponse:
    """The original file of ``obj`` as a download, audited (an ``export`` row naming the
    hash in ``message``). 403 unless ``allowed``; 404 when there is none (any more)."""
    if not allowed:
        raise PermissionDenied
    if not field or not field.name:
        raise Http404
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    audit.record("export", obj, actor=request.user, message=message)
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=True,
                            filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
