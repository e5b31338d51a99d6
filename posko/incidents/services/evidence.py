"""Evidence files of a report: checked by content (nothing stored when one is bad); photos
re-encoded, videos and PDFs cleaned by core.uploads (no metadata in the served copy) after a
photo's capture position (EXIF GPS) was read into the evidence row; the original as
received is kept privately with its SHA-256 (core.evidence_files); each stored file
audited."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit
from posko.core.evidence_files import delete_files, save_pair
from posko.core.uploads import check_evidence_upload
from posko.incidents.access import can_comment
from posko.incidents.models import Evidence, Report

VIDEO_MAX_BYTES = 30 * 1024 * 1024  # a short phone video (about a minute)
MAX_FILES = 5


def store_evidence(report: Report, uploads, *, actor) -> list[Evidence]:
    """Check every upload first (nothing stored when one is bad), then store them."""
    checked, errors = [], []
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_FILES:
        raise ValidationError({"files": [_("At most %(n)s files per report.") % {"n": MAX_FILES}]})
    for upload in uploads:
        try:
            checked.append(check_evidence_upload(upload, video_max_bytes=VIDEO_MAX_BYTES))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    stored, written = [], []
    try:
        for item in checked:
            lat = lon = None
            if item.gps:
                lat, lon = (Decimal(str(v)).quantize(Decimal("0.000001")) for v in item.gps)
            evidence = Evidence(report=report, kind=item.kind.name, original_name=item.original_name,
                                size=item.size, latitude=lat, longitude=lon, sha256=item.sha256,
                                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None)
            save_pair(evidence, item, written=written)
            stored.append(evidence)
            evidence.save()
            audit.record("create", evidence, actor=actor,
                         after={"report": report.pk, "file": evidence.original_name,
                                "kind": evidence.kind, "size": evidence.size,
                                "sha256": evidence.sha256},
                         message=_("evidence added"))
    except BaseException:
        delete_files(written)
        raise
    return stored


@transaction.atomic
def add_evidence(report: Report, files, *, actor) -> list[Evidence]:
    if not can_comment(actor, report):
        raise PermissionDenied
    if not [f for f in files if f]:
        raise ValidationError({"files": [_("Choose a file first.")]})
    return store_evidence(report, files, actor=actor)
