"""The beranda card of the workers module: BPJS coverage of the workers in scope."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core.dashboard import Card
from posko.workers import stats
from posko.workers.report import _n


def coverage_card(user, election):
    if not getattr(user, "is_authenticated", False):
        return None
    if election is None:
        return None
    total = stats.coverage_rollup(stats.visible_workers(user, election), None)
    if not total["required"]:
        return None
    missing = total["required"] - total["covered"]
    return Card(_("Workers covered by BPJS"),
                _("%(n)s of %(m)s") % {"n": _n(total["covered"]), "m": _n(total["required"])},
                reverse("workers:coverage"),
                note=(_("%(n)s without coverage") % {"n": _n(missing)}) if missing else "",
                alert=bool(missing))
