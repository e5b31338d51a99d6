"""Retention (issue 16): what the purge of an election deletes in this module.

A C.Hasil photo's original, as uploaded, carries the metadata of the phone that took it
(GPS position of the witness or officer, device, time): once the election's retention date
has passed it is deleted from storage. The served copy (no metadata), the SHA-256 of the
original and every tally stay, so the evidence can still be shown and matched against a copy
someone kept."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core import retention
from posko.voting.models import ResultPhoto


def register() -> None:
    retention.register(
        "voting.photo_original", _("C.Hasil photos as uploaded (files)"),
        *retention.file_source(ResultPhoto, lambda e: ResultPhoto.objects.filter(election_id=e),
                               "original"),
        order=45, unit="files",
        fields=_("the original photo with its metadata (the served copy and the SHA-256 stay)"))
