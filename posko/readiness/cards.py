"""The beranda card (``core.dashboard``): ready TPS and the forecast's late ones."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core.dashboard import Card, register_card
from posko.readiness.models import ReadinessSettings, TpsIndex
from posko.readiness.services import rollups


def readiness_card(user, election):
    if not user.is_authenticated or election is None:
        return None
    qs = TpsIndex.objects.visible_to(user).filter(election=election)
    threshold = float(ReadinessSettings.for_election(election).ready_threshold)
    total = rollups.rollup(qs, threshold, None)[0]
    if not total.with_index:
        return None
    return Card(_("TPS ready"), f"{number_format(total.ready, force_grouping=True)} / "
                f"{number_format(total.with_index, force_grouping=True)}",
                reverse("readiness:overview"),
                note=_("Average index %(average)s; see the forecast for H-1.") % {
                    "average": f"{total.average:.2f}"},
                alert=total.ready < total.with_index)


def register() -> None:
    register_card("readiness", readiness_card, order=45)
