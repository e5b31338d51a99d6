"""The incidents & neutrality section of the daily Desk Pilkada report and the PDF report per
period (the counts come from ``stats``)."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core.reports import Report as Document
from posko.core.reports import Section, Table, register_section
from posko.incidents import stats
from posko.incidents.models import NeutralityCase, Severity, State

SECTION_ORDER = 75
LIST_LIMIT = 60


def _bounds(start: datetime.date, end: datetime.date):
    tz = timezone.get_current_timezone()
    return (datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz))


def _state_severity_table(queryset) -> Table:
    grouped = {(s, v): n for s, v, n in queryset.order_by().values_list("state", "severity")
               .annotate(n=Count("pk")).values_list("state", "severity", "n")}
    rows = []
    for state, label in State.choices:
        cells = [grouped.get((state, sev), 0) for sev in Severity.values]
        if sum(cells):
            rows.append([str(label), *cells, sum(cells)])
    return Table([_("State"), *[str(label) for _v, label in Severity.choices], _("Total")], rows,
                 empty=_("No reports."))


def _neutrality_tables(election, user) -> list[Table]:
    cases = NeutralityCase.objects.visible_to(user).filter(election=election)
    rows = [[name, v["kode_etik"], v["disiplin"], v["total"]]
            for name, v in stats.cases_per_agency(cases)]
    status_rows = [[str(NeutralityCase.Status(s).label), n] for s, n in cases.order_by().values_list(
        "status").annotate(n=Count("pk")).values_list("status", "n")]
    act_rows = [[f"{a['code']} {a['description']}" if a["code"] else _("act not named"),
                 a["severity"] or "—", a["n"]] for a in stats.cases_per_act(cases)]
    return [
        Table([_("Agency"), _("Code of ethics"), _("Discipline"), _("Total")], rows,
              caption=_("ASN neutrality cases per agency and type"), empty=_("No neutrality cases.")),
        Table([_("Status"), _("Cases")], status_rows, caption=_("Neutrality cases per status")),
        Table([_("Act of the joint decree"), _("Sanction at least"), _("Cases")], act_rows,
              caption=_("Neutrality cases per act of the joint decree (SKB 2022)"),
              empty=_("No neutrality cases.")),
    ]


def daily_section(report_date: datetime.date, user, election) -> Section | None:
    if election is None:
        return None
    qs = stats.visible_reports(user, election).select_related("category", "kecamatan", "kelurahan", "tps")
    start, end = _bounds(report_date, report_date)
    today = qs.filter(created_at__gte=start, created_at__lt=end)
    data = stats.counts(qs)
    totals = data["totals"]
    paragraphs = [_(
        "Reports received on this day: %(today)s. All reports so far: %(n)s, of which %(open)s "
        "open and %(overdue)s past their target (counted when this report was generated).") % {
        "today": today.count(), "n": totals["n"] or 0, "open": totals["open"] or 0,
        "overdue": totals["overdue"] or 0}]
    tables = [
        Table([_("Category"), _("Reports"), _("Open"), _("Overdue")],
              [[r["category__name"], r["n"], r["open"], r["overdue"]] for r in data["by_category"]],
              caption=_("Reports per category"), empty=_("No reports.")),
        Table([_("Kecamatan"), _("Reports"), _("Open"), _("Overdue")],
              [[r["kecamatan__name"], r["n"], r["open"], r["overdue"]] for r in data["by_kecamatan"]],
              caption=_("Reports per kecamatan")),
        Table([_("Code"), _("Category"), _("Place"), _("Severity"), _("State")],
              [[r.code, r.category.name, r.place_label, r.get_severity_display(),
                r.get_state_display()] for r in today.order_by("created_at")[:LIST_LIMIT]],
              caption=_("Reports received on this day"), empty=_("No reports received on this day.")),
        *_neutrality_tables(election, user),
    ]
    return Section(title="", paragraphs=paragraphs, tables=tables)


def period_report(user, start: datetime.date, end: datetime.date, election) -> Document:
    """The PDF/XLSX report of ``election``'s reports received between ``start`` and ``end``."""
    document = Document(
        title=_("Supervision reports and ASN neutrality"),
        subtitle=_("%(start)s to %(end)s") % {"start": start.strftime("%d-%m-%Y"),
                                             "end": end.strftime("%d-%m-%Y")},
        date=end)
    if election is None:
        return document
    lo, hi = _bounds(start, end)
    qs = stats.visible_reports(user, election).filter(created_at__gte=lo, created_at__lt=hi).select_related(
        "category", "kecamatan", "kelurahan", "tps", "agency")
    data = stats.counts(qs)
    totals = data["totals"]
    document.sections.append(Section(
        title=_("Summary"),
        paragraphs=[_("%(n)s reports received in the period; %(open)s still open, %(overdue)s past "
                      "their target.") % {"n": totals["n"] or 0, "open": totals["open"] or 0,
                                          "overdue": totals["overdue"] or 0}],
        tables=[
            Table([_("Category"), _("Reports"), _("Open"), _("Overdue")],
                  [[r["category__name"], r["n"], r["open"], r["overdue"]]
                   for r in data["by_category"]], caption=_("Reports per category"),
                  empty=_("No reports.")),
            Table([_("Kecamatan"), _("Reports"), _("Open"), _("Overdue")],
                  [[r["kecamatan__name"], r["n"], r["open"], r["overdue"]]
                   for r in data["by_kecamatan"]], caption=_("Reports per kecamatan")),
            _state_severity_table(qs),
        ]))
    document.sections.append(Section(title=_("Reports"), tables=[Table(
        [_("Code"), _("Received"), _("Category"), _("Place"), _("Severity"), _("State"),
         _("Agency")],
        [[r.code, r.created_at, r.category.name, r.place_label, r.get_severity_display(),
          r.get_state_display(), str(r.agency or "")] for r in qs.order_by("created_at")[:2000]],
        empty=_("No reports."))]))
    document.sections.append(Section(title=_("ASN neutrality"),
                                      tables=_neutrality_tables(election, user)))
    return document


def register() -> None:
    register_section("incidents", gettext_lazy("Supervision reports and ASN neutrality"),
                     daily_section, order=SECTION_ORDER)
