"""The outreach panel on the TPS page: the reach of the TPS's kelurahan (coverage
arithmetic of ``outreach.coverage``, a fixed number of queries)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core.tps_panels import register_panel
from posko.outreach import coverage


def build(tps, request) -> dict | None:
    rows = coverage.kelurahan_coverage(tps.election, request.user,
                                       kecamatan_code=tps.kecamatan_id,
                                       kelurahan_code=tps.kelurahan_id, with_groups=False)
    if not rows:
        return None
    return {"row": rows[0]}


def register() -> None:
    register_panel("outreach", _("Voter outreach"), build, "outreach/_tps_panel.html", order=50)
