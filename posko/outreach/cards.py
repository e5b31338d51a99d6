"""The beranda card of the outreach module: kelurahan needing extra outreach."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core.dashboard import Card
from posko.outreach import coverage, participation
from posko.outreach.models import (
    Activity,
)

# --- beranda card ------------------------------------------------------------------------------

def outreach_card(user, election):
    """"Kelurahan needing extra outreach: N" (None without an active election or activities)."""
    if not user.is_authenticated:
        return None
    if election is None or not Activity.objects.filter(election=election).exists():
        return None
    rows = coverage.kelurahan_coverage(election, user, with_groups=False)
    warnings, _info = participation.early_warning(election, user, rows=rows)
    total = coverage.rollup(rows, "total")
    note = ""
    if total:
        note = _("%(reach)s people reached per 1,000 voters") % {
            "reach": coverage.fmt(total[0].reach_per_1000)}
    return Card(_("Kelurahan needing extra outreach"), number_format(len(warnings),
                                                                     force_grouping=True),
                reverse("outreach:early_warning"), note=note, alert=bool(warnings))
