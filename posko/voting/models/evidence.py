"""Photos of the C.Hasil pages, kept as evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.elections.models import TpsRow
from posko.voting.models.results import Source


def photo_path(instance, filename: str) -> str:
    return f"voting/chasil/{instance.election_id}/{instance.tps_id}/{filename}"


class ResultPhoto(TpsRow):
    """A photo of a C.Hasil page. The original is kept as uploaded (not served); what is
    served is a copy without metadata (no GPS). A corrected photo adds a version of the same
    page; nothing is replaced."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE,
                            related_name="result_photos", verbose_name=_("TPS"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("contest"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    original = models.FileField(_("original"), upload_to=photo_path, max_length=300)
    image = models.FileField(_("served copy"), upload_to=photo_path, max_length=300)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    reason = models.TextField(_("reason for the new version"), blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("uploaded by"))
    device = models.CharField(_("device"), max_length=200, blank=True)

    class Meta:
        ordering = ["tps_id", "contest_id", "source", "page", "-version"]
        verbose_name = _("C.Hasil photo")
        verbose_name_plural = _("C.Hasil photos")
        constraints = [
            models.UniqueConstraint(fields=["tps", "contest", "source", "page", "version"],
                                    name="one_photo_version"),
        ]

    def __str__(self):
        return f"{self.tps} {self.contest} p{self.page} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("voting:tps", args=[self.tps_id])
