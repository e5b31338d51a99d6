"""The incidents & neutrality section of the daily Desk Pilkada report, the PDF report per
period, the beranda card and the counts the situation page shares with them."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core.reports import Report as Document
from posko.core.reports import Section, Table, register_section
from posko.incidents.models import Category, NeutralityCase, Report, Severity, State
from posko.regions.models import Kecamatan

SECTION_ORDER = 75
LIST_LIMIT = 60


def visible_reports(user, election):
    return Report.objects.visible_to(user).filter(election=election, merged_into__isnull=True)


def _bounds(start: datetime.date, end: datetime.date):
    tz = timezone.get_current_timezone()
    return (datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz))


def counts(queryset) -> dict:
    """Per category, per kecamatan and per day (of receipt, Asia/Jakarta), with open and
    overdue numbers: one grouped scan, names joined in Python from the small tables."""


    now = timezone.now()
    open_q = Q(state__in=[State.BARU, State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI])
    overdue_q = (Q(state=State.BARU, response_due_at__lt=now)
                 | (open_q & Q(resolve_due_at__lt=now)))
    rows = (queryset.order_by().annotate(day=TruncDate("created_at"))
            .values_list("category_id", "kecamatan_id", "day")
            .annotate(n=Count("pk"), open=Count("pk", filter=open_q),
                      overdue=Count("pk", filter=overdue_q)))
    categories: dict = {}
    kecamatan: dict = {}
    days: dict = {}
    totals = {"n": 0, "open": 0, "overdue": 0}
    for category_id, kecamatan_id, day, n, n_open, n_overdue in rows:
        for bucket, key in ((categories, category_id), (kecamatan, kecamatan_id), (days, day)):
            entry = bucket.setdefault(key, {"n": 0, "open": 0, "overdue": 0})
            entry["n"] += n
            entry["open"] += n_open
            entry["overdue"] += n_overdue
        totals["n"] += n
        totals["open"] += n_open
        totals["overdue"] += n_overdue
    category_names = dict(Category.objects.filter(pk__in=list(categories)).values_list("pk", "name"))
    kecamatan_names = dict(Kecamatan.objects.filter(code__in=list(kecamatan)).values_list(
        "code", "name"))
    by_category = sorted(({"category_id": k, "category__name": category_names.get(k, ""), **v}
                          for k, v in categories.items()), key=lambda r: (-r["n"], r["category__name"]))
    by_kecamatan = sorted(({"kecamatan_id": k, "kecamatan__name": kecamatan_names.get(k, ""), **v}
                           for k, v in kecamatan.items()), key=lambda r: r["kecamatan__name"])
    by_day = sorted(({"day": k, **v} for k, v in days.items()), key=lambda r: r["day"],
                    reverse=True)[:31]
    return {"by_category": by_category, "by_kecamatan": by_kecamatan, "by_day": by_day,
            "totals": totals}


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
    grouped = list(cases.order_by().values("agency__name", "breach_type").annotate(n=Count("pk"))
                   .order_by("agency__name"))
    per_agency: dict[str, dict] = {}
    for row in grouped:
        entry = per_agency.setdefault(row["agency__name"], {"kode_etik": 0, "disiplin": 0})
        entry[row["breach_type"]] = row["n"]
    rows = [[name, v["kode_etik"], v["disiplin"], v["kode_etik"] + v["disiplin"]]
            for name, v in per_agency.items()]
    status_rows = [[str(NeutralityCase.Status(s).label), n] for s, n in cases.order_by().values_list(
        "status").annotate(n=Count("pk")).values_list("status", "n")]
    return [
        Table([_("Agency"), _("Code of ethics"), _("Discipline"), _("Total")], rows,
              caption=_("ASN neutrality cases per agency and type"), empty=_("No neutrality cases.")),
        Table([_("Status"), _("Cases")], status_rows, caption=_("Neutrality cases per status")),
    ]


def daily_section(report_date: datetime.date, user, election) -> Section | None:
    if election is None:
        return None
    qs = visible_reports(user, election).select_related("category", "kecamatan", "kelurahan", "tps")
    start, end = _bounds(report_date, report_date)
    today = qs.filter(created_at__gte=start, created_at__lt=end)
    data = counts(qs)
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
    qs = visible_reports(user, election).filter(created_at__gte=lo, created_at__lt=hi).select_related(
        "category", "kecamatan", "kelurahan", "tps", "agency")
    data = counts(qs)
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
