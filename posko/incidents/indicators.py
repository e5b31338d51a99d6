"""Reports as a source of derived TPS vulnerability indicators (``posko.core.derived``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, derived
from posko.core.derived import DerivedValue
from posko.incidents.models import (
    Category,
    Report,
    State,
)

# The derived indicator codes this module feeds (posko.core.derived), by how they match.
INDICATOR_LABEL = gettext_lazy("Reports")
FLAG_INDICATORS = {"riwayat_kekerasan": "involves_violence",
                   "intimidasi_penyelenggara": "intimidation"}
CATEGORY_INDICATORS = ("politik_uang", "sara_ujaran_kebencian", "penyelenggara_tidak_netral",
                       "asn_tidak_netral")
DERIVED_STATES = (State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI, State.SELESAI)


def _indicator_codes(snapshot: dict, category_indicators: dict) -> set[str]:
    """The derived indicator codes a report with these values can feed."""
    codes = set()
    indicator = category_indicators.get(snapshot.get("category"))
    if indicator:
        codes.add(indicator)
    for code, flag in FLAG_INDICATORS.items():
        if snapshot.get(flag):
            codes.add(code)
    return codes


def _derived_changed(report: Report, before: dict | None = None) -> None:
    """Tell the vulnerability module that this report's TPS may carry other values (only
    the indicator codes the report can feed, before and after the change)."""
    tps_ids = {report.tps_id} if report.tps_id else set()
    if before and before.get("tps"):
        tps_ids.add(int(before["tps"]))
    if not tps_ids:
        return
    indicators = dict(Category.objects.exclude(indicator="").values_list("pk", "indicator"))
    codes = _indicator_codes(audit.snapshot(report), indicators)
    if before:
        codes |= _indicator_codes(before, indicators)
    if not codes:
        return
    election = report.election
    transaction.on_commit(lambda: [derived.changed(f"incidents.{code}", election, sorted(tps_ids))
                                   for code in sorted(codes)])


# --- derived indicator sources ---------------------------------------------------------------------

def _derived_rows(election, tps_ids, condition: Q, label: str):

    qs = Report.objects.filter(election=election, tps__isnull=False, state__in=DERIVED_STATES,
                               merged_into__isnull=True).filter(condition)
    if tps_ids is not None:
        qs = qs.filter(tps_id__in=list(tps_ids))
    found: dict[int, list] = {}
    for tps_id, pk, code, occurred in qs.order_by("tps_id", "occurred_at").values_list(
            "tps_id", "pk", "code", "occurred_at"):
        found.setdefault(tps_id, []).append((pk, code, occurred))

    rows = []
    for tps_id, items in found.items():
        pk, code, occurred = items[-1]
        day = timezone.localtime(occurred).strftime("%d-%m-%Y")
        evidence = (_("%(label)s: report %(code)s (%(day)s)") % {
            "label": label, "code": code, "day": day} if len(items) == 1 else
            _("%(label)s: %(n)s reports, latest %(code)s (%(day)s)") % {
                "label": label, "n": len(items), "code": code, "day": day})
        rows.append(DerivedValue(tps_id=tps_id, value=1, evidence=evidence,
                                 url=reverse("incidents:report_detail", args=[pk])))
    return rows


def _flag_source(flag: str, label):
    def source(election, tps_ids=None):
        return _derived_rows(election, tps_ids, Q(**{flag: True}), str(label))
    return source


def _category_source(indicator: str, label):
    def source(election, tps_ids=None):
        return _derived_rows(election, tps_ids, Q(category__indicator=indicator), str(label))
    return source


DERIVED_LABELS = {
    "riwayat_kekerasan": gettext_lazy("Violence"),
    "intimidasi_penyelenggara": gettext_lazy("Intimidation of officials"),
    "politik_uang": gettext_lazy("Money politics"),
    "sara_ujaran_kebencian": gettext_lazy("SARA / hate speech"),
    "penyelenggara_tidak_netral": gettext_lazy("Officials not neutral"),
    "asn_tidak_netral": gettext_lazy("ASN not neutral"),
}


def register_derived_sources() -> None:
    for code, flag in FLAG_INDICATORS.items():
        derived.register_source(code, f"incidents.{code}", _flag_source(flag, DERIVED_LABELS[code]),
                                label=INDICATOR_LABEL)
    for code in CATEGORY_INDICATORS:
        derived.register_source(code, f"incidents.{code}",
                                _category_source(code, DERIVED_LABELS[code]), label=INDICATOR_LABEL)
