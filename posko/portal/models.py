"""Per election: whether its public portal is on, and which sections it shows."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core import constants
from posko.elections.models import ElectionSettings


class PortalSettings(ElectionSettings):
    is_public = models.BooleanField(
        _("public portal on"), default=False,
        help_text=_("Anyone without an account can see this election's public pages and "
                    "download its open data."))
    sections = models.JSONField(
        _("public sections"), default=list, blank=True,
        help_text=_("The sections the public sees (keys of the registered sections)."))
    sections_chosen = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("public portal settings")
        verbose_name_plural = _("public portal settings")

    def get_absolute_url(self) -> str:
        return reverse("portal:settings", args=[self.election_id])


def settings_for(election_id: int) -> dict:
    """{"is_public": bool, "sections": [keys] | None (None: not chosen yet)}, a per-process
    constant (``core.constants``; the model is watched)."""
    def load():
        row = PortalSettings.objects.filter(election_id=election_id).first()
        if row is None:
            return {"is_public": False, "sections": None}
        return {"is_public": row.is_public,
                "sections": list(row.sections) if row.sections_chosen else None}

    return constants.get(("portal.settings", election_id), load)


def public_election_ids() -> list[int]:
    """The elections whose portal is on (newest first), a per-process constant."""
    return constants.get(("portal.public_elections",), lambda: list(
        PortalSettings.objects.filter(is_public=True)
        .order_by("-election__voting_date").values_list("election_id", flat=True)))
