"""The incidents component of the readiness index (``core.readiness``): 0 while a report of
severity tinggi or kritis is open at the TPS, else 1."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import readiness
from posko.elections.models import Tps
from posko.incidents.models.reports import Report, Severity

CRITICAL = (Severity.TINGGI, Severity.KRITIS)


def compute(election, tps_ids):
    tps = Tps.objects.filter(election=election)
    reports = Report.objects.open().filter(election=election, tps__isnull=False,
                                           severity__in=CRITICAL)
    if tps_ids is not None:
        tps = tps.filter(pk__in=list(tps_ids))
        reports = reports.filter(tps_id__in=list(tps_ids))
    counts = Counter(reports.values_list("tps_id", flat=True))
    none = _("no open serious incident")
    return {pk: ((0.0, _("%(count)s open serious incidents") % {"count": counts[pk]})
                 if counts[pk] else (1.0, none))
            for pk in tps.values_list("pk", flat=True).iterator(chunk_size=2000)}


def report_changed(report, before: dict | None = None) -> None:
    """A report of severity tinggi or kritis at a TPS was received, opened or closed, or
    moved (``before``: its snapshot before an edit, whose TPS and severity count too): the
    readiness consumer recomputes the component there after the write commits. Reports of
    lower severity, or without a TPS, change nothing here and announce nothing (the
    intake's hot path stays as it is)."""
    ids = {report.tps_id} if report.tps_id and report.severity in CRITICAL else set()
    if before and before.get("tps") and before.get("severity") in CRITICAL:
        ids.add(int(before["tps"]))
    if ids:
        readiness.changed("incidents", report.election, sorted(ids))


def register() -> None:
    readiness.register_component("incidents", gettext_lazy("No open critical incident"),
                                 "Bawaslu", 10, compute, order=60)
