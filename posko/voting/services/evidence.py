"""C.Hasil photos: the evidence behind each number (issue 14, "Evidence").

A photo is checked by its content (``core.uploads``: JPEG, PNG or WEBP under the size
limit and the pixel limit ``POSKO_MAX_IMAGE_PIXELS``) and then fully decoded by Pillow
(``core.images``), so a file that only starts like a JPEG is refused. What is kept:

* the **original**, byte for byte, with the SHA-256 of those bytes (shown beside the photo
  and in exports, so anyone holding the file can prove it is the one received). It is never
  served to the pages; the Desk admin may download it for an evidence dispute;
* the **served copy**: the decoded pixels, turned upright by the EXIF orientation, at most
  4,000 pixels on the longest side, encoded again in the same format from the bare pixels,
  so no EXIF, GPS, XMP, ICC profile or comment survives.

A second photo of the same TPS × contest × source × page is a new version (a reason is
required, as for a corrected result); the earlier one stays, no longer current.

All or nothing: the files are written inside the transaction and deleted again when it
fails. Callers that wrap ``add_photo`` in a larger transaction (the API's idempotency, the
C.Hasil form that saves a result and its photo together) put :func:`files_kept_if_saved`
around that transaction, so files whose row did not commit are removed too.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.core.uploads import PHOTO_KINDS, check_upload
from posko.voting.access import may_report
from posko.voting.models import ResultPhoto, Source
from posko.voting.services.results import contests_at

log = logging.getLogger(__name__)

MAX_PAGE = 20
#: The served copy is at most this many pixels on its longest side (a C.Hasil stays legible).
SERVED_MAX_SIDE = 4000

_written: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "voting_evidence_written", default=None)


@contextlib.contextmanager
def files_kept_if_saved():
    """Around a transaction that may add photos: when it ends, the files written for photos
    whose row is not in the database (the transaction failed or was rolled back) are deleted.
    Put it outside the outermost transaction."""
    token = _written.set([])
    try:
        yield
    finally:
        names = _written.get() or []
        _written.reset(token)
        if names:
            _remove_unsaved(names)


def _remove_unsaved(names: list[str]) -> None:
    try:
        saved = set()
        for original, image in ResultPhoto.objects.filter(
                Q(original__in=names) | Q(image__in=names)).values_list("original", "image"):
            saved.update((original, image))
    except DatabaseError:  # a broken outer transaction: leave the files rather than guess
        log.warning("C.Hasil photo files not checked after a failed transaction: %s", names)
        return
    for name in names:
        if name not in saved:
            _delete(name)


def _delete(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # pragma: no cover - a full or read-only disk
        log.exception("Could not delete the unsaved C.Hasil photo file %s", name)


def _refusals(tps, contest, *, election, source, page, current, reason) -> dict:
    problems: dict[str, list] = {}
    if contest.election_id != election.pk or contest not in contests_at(election, tps):
        problems["contest"] = [_("%(contest)s is not voted at %(tps)s.") % {
            "contest": contest, "tps": tps}]
    if source not in Source.values:
        problems["source"] = [_("Choose a source: %(sources)s.") % {
            "sources": ", ".join(str(label) for label in Source.labels)}]
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = [_("The page is a number from 1 to %(max)s, not %(page)s.") % {
            "max": MAX_PAGE, "page": page}]
    if current is not None and not reason.strip():
        who = current.uploaded_by
        problems["reason"] = [_(
            "Say why page %(page)s is photographed again: the new photo becomes version "
            "%(next)s; version %(version)s, uploaded by %(who)s, stays in the history.") % {
            "page": page, "next": current.version + 1, "version": current.version,
            "who": (who.get_full_name() or who.username) if who else _("the system")}]
    return problems


def add_photo(tps, contest, *, actor, election, source, page, upload, reason="", device="",
              now=None) -> ResultPhoto:
    """Store one C.Hasil page photo (see the module doc); all or nothing."""
    if not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    reason = (reason or "").strip()
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 0
    if upload is None:
        raise ValidationError({"image": [_("Choose a photo of the C.Hasil page.")]})
    try:
        checked = check_upload(upload, PHOTO_KINDS, max_side=SERVED_MAX_SIDE)
    except ValidationError as error:
        raise ValidationError({"image": error.messages}) from None
    written: list[str] = []
    pending = _written.get()
    try:
        with transaction.atomic():
            current = ResultPhoto.objects.select_for_update().filter(
                tps=tps, contest=contest, source=source, page=page, is_current=True).first()
            problems = _refusals(tps, contest, election=election, source=source, page=page,
                                 current=current, reason=reason)
            if problems:
                raise ValidationError(problems)
            if current is not None:
                current.is_current = False
                current.save(update_fields=["is_current"])
            photo = ResultPhoto.for_tps(
                tps, contest=contest, source=source, page=page,
                version=current.version + 1 if current else 1, is_current=True,
                sha256=checked.sha256, content_type=checked.content_type,
                size=checked.original_size, reason=reason, uploaded_at=now,
                uploaded_by=actor, device=(device or "")[:200])
            photo.original.save(f"{checked.token}-original{checked.kind.extension}",
                                checked.upload, save=False)
            written.append(photo.original.name)
            if pending is not None:
                pending.append(photo.original.name)
            photo.image.save(f"{checked.token}{checked.extension}", checked.file, save=False)
            written.append(photo.image.name)
            if pending is not None:
                pending.append(photo.image.name)
            try:
                with transaction.atomic():
                    photo.save()
            except IntegrityError:  # a twin upload of this page took the version first
                raise ValidationError({"image": [_(
                    "Another photo of page %(page)s was saved at the same moment. Reload the "
                    "page and, if this photo is still needed, send it as a new version.") % {
                    "page": page}]}) from None
            audit.record("create" if current is None else "update", photo, actor=actor,
                         before=audit.snapshot(current) if current else None,
                         after=audit.snapshot(photo), message=reason)
    except BaseException:
        for name in written:
            _delete(name)
        raise
    return photo


def photos_of(tps) -> list[ResultPhoto]:
    """Every version of every photo of ``tps``, current first within a page (one query)."""
    return list(ResultPhoto.objects.filter(tps=tps).select_related("uploaded_by").order_by(
        "contest_id", "source", "page", "-version"))


def photo_groups(photos) -> list[dict]:
    """Photos of one contest (as ``photos_of`` orders them) per source and page: the current
    version and the earlier ones, newest first."""
    groups: dict[tuple, dict] = {}
    for photo in photos:
        group = groups.setdefault((photo.source, photo.page), {
            "source": photo.source, "source_label": Source(photo.source).label,
            "page": photo.page, "versions": []})
        group["versions"].append(photo)
    for group in groups.values():
        group["current"] = next((p for p in group["versions"] if p.is_current),
                                group["versions"][0])
        group["older"] = [p for p in group["versions"] if p is not group["current"]]
    return list(groups.values())
