"""The provider behind ``core.incident_reports``: a problem another module records (a TPS's
voting-day problem) becomes a report in the incident workflow, in the caller's transaction."""

from __future__ import annotations

from posko.core.incident_reports import ProblemReport, ReportRef
from posko.incidents.models import Category, Report, Severity
from posko.incidents.services.categories import category_in_use, install_default_categories
from posko.incidents.services.reports import create_report

#: Problem kind -> (category code, severity).
KINDS = {
    "logistik": ("logistik", Severity.TINGGI),
    "petugas": ("lainnya", Severity.SEDANG),
    "listrik": ("listrik_internet", Severity.SEDANG),
    "keamanan": ("keamanan", Severity.KRITIS),
    "bencana": ("bencana", Severity.KRITIS),
}


def open_problem_report(problem: ProblemReport, *, actor) -> ReportRef:
    code, severity = KINDS.get(problem.kind, ("lainnya", Severity.SEDANG))
    install_default_categories()
    category = category_in_use(code) or category_in_use("lainnya") or \
        Category.objects.filter(is_active=True).order_by("order").first()
    report = Report(election=problem.election, category=category, tps=problem.tps,
                    kelurahan_id=problem.tps.kelurahan_id, occurred_at=problem.occurred_at,
                    severity=severity, title=problem.title[:150],
                    description=problem.description)
    create_report(report, actor=actor)
    return ReportRef(code=report.code, url=report.get_absolute_url())
