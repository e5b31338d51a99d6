"""The outreach section of the daily Desk Pilkada report: the activities of the day and
the coverage gaps (the early-warning list), scoped to the reader."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from posko.core.reports import Section, Table, register_section
from posko.outreach import coverage, participation
from posko.outreach.models import Activity

SECTION_ORDER = 80
GAP_LIMIT = 50


def _num(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}".replace(",", "X").replace(".", ",").replace("X", ".")


def outreach_section(day: datetime.date, user, election) -> Section | None:
    if election is None or not Activity.objects.filter(election=election).exists():
        return None
    acts = list(coverage.activities_on(day, election, user)
                .select_related("kecamatan", "kelurahan", "agency").prefetch_related("target_groups")
                .order_by("starts_at", "pk"))
    rows = [[timezone.localtime(a.starts_at).strftime("%H:%M"), a.title, a.get_kind_display(),
             a.organiser_label, a.kelurahan.name if a.kelurahan_id else _("(no place)"),
             ", ".join(g.name for g in a.target_groups.all()), a.get_status_display(),
             a.attendance if a.attendance is not None else "—"] for a in acts]
    today_table = Table(
        [_("Time"), _("Activity"), _("Kind"), _("Organiser"), _("Kelurahan"), _("Target groups"),
         _("Status"), _("Attendance")], rows,
        caption=_("Outreach activities on %(date)s") % {"date": date_format(day, "j F Y")},
        empty=_("No outreach activity on this date."), widths=[8, 22, 12, 14, 12, 16, 8, 8])
    rows = coverage.kelurahan_coverage(election, user)
    warnings, info = participation.early_warning(election, user, rows=rows)
    gap_rows = [[w.row.kecamatan_name, w.row.name, _num(w.row.reach_per_1000),
                 w.row.activities, w.row.days_since if w.row.days_since is not None else "—",
                 f"{_num(w.history)}%" if w.history is not None else "—", f"{_num(w.target)}%",
                 ", ".join(g.name for g in w.row.groups_missing) or "—"]
                for w in warnings[:GAP_LIMIT]]
    gaps = Table(
        [_("Kecamatan"), _("Kelurahan"), _("Reach per 1,000"), _("Activities"),
         _("Days since last"), _("Historical turnout"), _("Target"), _("Groups never reached")],
        gap_rows, caption=ngettext(
            "%(count)s kelurahan with low coverage and low historical turnout",
            "%(count)s kelurahan with low coverage and low historical turnout",
            len(warnings)) % {"count": len(warnings)},
        empty=_("No kelurahan with low coverage and low historical turnout."),
        widths=[12, 14, 10, 8, 8, 10, 8, 30])
    total = coverage.rollup(rows, "total")
    media = coverage.media_summary(election, user)
    paragraphs = []
    if total:
        paragraphs.append(_("So far %(reached)s people reached in %(n)s held activities: "
                            "%(per)s per 1,000 voters. Media and online activities (counted "
                            "apart): %(media_n)s, audience %(media)s.") % {
            "reached": _num(total[0].reached), "n": _num(total[0].activities),
            "per": _num(total[0].reach_per_1000), "media_n": _num(media.activities),
            "media": _num(media.reached)})
    paragraphs.append(_("Low coverage: below %(threshold)s people reached per 1,000 voters; "
                        "historical turnout: %(label)s.") % {
        "threshold": _num(info["threshold"]), "label": info["label"] or "—"})
    return Section("", paragraphs, [today_table, gaps])


def register() -> None:
    register_section("outreach.daily", gettext_lazy("Outreach and participation"),
                     outreach_section, SECTION_ORDER)
