"""The beranda card of logistics readiness."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core.dashboard import Card
from posko.logistics.models import TpsReadiness
from posko.logistics.services import readiness


def readiness_card(user, election):
    """"TPS complete: N of M" for the user's scope (None until the catalogue exists)."""
    if not user.is_authenticated or election is None:
        return None
    qs = TpsReadiness.objects.visible_to(user).filter(election=election)
    total = readiness.rollup(qs, None)
    if not total["tps"]:
        return None
    return Card(_("TPS with complete logistics"),
                _("%(n)s of %(m)s") % {"n": number_format(total["lengkap"], force_grouping=True),
                                       "m": number_format(total["tps"], force_grouping=True)},
                reverse("logistics:readiness"),
                note=(_("%(n)s with problems") % {"n": total["bermasalah"]}
                      if total["bermasalah"] else ""),
                alert=bool(total["bermasalah"]))
