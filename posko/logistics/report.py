"""The logistics section of the daily Desk Pilkada report, and helpers the H-1 board
and the map share with it (the Pemda boundary of readiness rows, the deadline label).

``register()`` is called from ``LogisticsConfig.ready()``. The section says, for the
active election and what the user may see: TPS per readiness state per kecamatan, open
shortfall cases by kind (with those flagged and closed on the report's date), and the
TPS not complete once the TPS deadline (default H-1 18:00) has passed.

Readiness is a current state (``TpsReadiness`` holds no history): the per-state
counts are those at the time the report is generated, as the section says.
"""

from __future__ import annotations

import datetime
import math

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from posko.core import clock
from posko.core.reports import Section, Table, register_section
from posko.core.scope import Scope, region_filter
from posko.logistics.models import Item, LogisticsSettings, Shortfall, TpsReadiness
from posko.logistics.services.readiness import rollup
from posko.regions.models import Kecamatan

LATE_LIMIT = 300  # TPS listed as late; the count is always exact
SECTION_ORDER = 60  # after coordination's sections (10-50)

# The logistics tables carry kecamatan and kelurahan codes but no kab/kota, so their own
# ``visible_to`` does not apply the Pemda boundary; this scope adds it through the (small)
# kecamatan table.
PEMDA_BOUNDARY = Scope(kabkota="kecamatan__kabkota_id")

STATE_ORDER = [TpsReadiness.State.LENGKAP, TpsReadiness.State.KURANG, TpsReadiness.State.BELUM,
               TpsReadiness.State.BERMASALAH]


def in_pemda(queryset, user):
    """``queryset.visible_to(user)`` limited to the Pemda (for rows with a kecamatan FK)."""
    return queryset.visible_to(user).filter(region_filter(PEMDA_BOUNDARY, user))


def visible_readiness(user, election):
    return in_pemda(TpsReadiness.objects.all(), user).filter(election=election)


def deadline_label(deadline: datetime.datetime, now: datetime.datetime) -> str:
    """"5 hours left" / "3 hours overdue" (minutes under an hour, days from 72 hours)."""
    seconds = (deadline - now).total_seconds()
    late = seconds < 0
    seconds = abs(seconds)
    if seconds < 3600:
        minutes = math.floor(seconds / 60)
        if late:
            return ngettext("%(minutes)s minute overdue", "%(minutes)s minutes overdue",
                            minutes) % {"minutes": minutes}
        return ngettext("%(minutes)s minute left", "%(minutes)s minutes left",
                        minutes) % {"minutes": minutes}
    hours = math.floor(seconds / 3600)
    if hours >= 72:  # far from the deadline (before the H-3 week, or long after): days
        days = hours // 24
        if late:
            return ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
        return ngettext("%(days)s day left", "%(days)s days left", days) % {"days": days}
    if late:
        return ngettext("%(hours)s hour overdue", "%(hours)s hours overdue", hours) % {"hours": hours}
    return ngettext("%(hours)s hour left", "%(hours)s hours left", hours) % {"hours": hours}


def percent_ready(good, required) -> float | None:
    return round(100 * (good or 0) / required, 1) if required else None


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def _moment(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%d-%m-%Y %H:%M")


def logistics_section(day: datetime.date, user, election) -> Section | None:
    """None when the active election has no logistics catalogue (the module is not used)."""
    if election is None or not Item.objects.filter(election=election).exists():
        return None
    now = clock.now()
    start, end = _day_bounds(day)
    deadline = LogisticsSettings.for_election(election).tps_deadline()
    readiness = visible_readiness(user, election)

    # 1. TPS per state per kecamatan
    per_kec = list(rollup(readiness, "kecamatan_id"))
    names = dict(Kecamatan.objects.filter(code__in=[r["kecamatan_id"] for r in per_kec])
                 .values_list("code", "name"))
    per_kec.sort(key=lambda r: (names.get(r["kecamatan_id"], ""), r["kecamatan_id"]))
    rows, totals = [], dict.fromkeys(("tps", *STATE_ORDER, "required_units", "good_units"), 0)
    for r in per_kec:
        rows.append([names.get(r["kecamatan_id"], r["kecamatan_id"]), r["tps"],
                     *(r[s] for s in STATE_ORDER), percent_ready(r["good_units"], r["required_units"])])
        for key in totals:
            totals[key] += r[key] or 0
    if len(rows) > 1:
        rows.append([_("Total"), totals["tps"], *(totals[s] for s in STATE_ORDER),
                     percent_ready(totals["good_units"], totals["required_units"])])
    states = Table(
        [_("Kecamatan"), _("TPS"), *(str(TpsReadiness.State(s).label) for s in STATE_ORDER),
         _("Units ready (%)")], rows, caption=_("TPS by readiness state"),
        empty=_("No TPS in your area."), widths=[24, 10, 12, 12, 14, 12, 16])

    # 2. shortfall cases by kind
    cases = (in_pemda(Shortfall.objects.all(), user).filter(election=election)
             .values("kind").annotate(
                 open=Count("pk", filter=Q(status=Shortfall.Status.OPEN)),
                 replacement=Count("pk", filter=Q(status=Shortfall.Status.REPLACEMENT_SHIPPED)),
                 flagged=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
                 closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)))
             .order_by("kind"))
    by_kind = {c["kind"]: c for c in cases}
    case_rows = []
    for kind in Shortfall.Kind:
        c = by_kind.get(kind.value)
        if c and (c["open"] or c["replacement"] or c["flagged"] or c["closed"]):
            case_rows.append([str(kind.label), c["open"], c["replacement"], c["flagged"], c["closed"]])
    shortfalls = Table(
        [_("Kind"), _("Open"), _("Replacement shipped"), _("Flagged on this date"),
         _("Closed on this date")], case_rows, caption=_("Shortfall cases by kind"),
        empty=_("No open shortfall case, none flagged or closed on this date."),
        widths=[36, 14, 18, 16, 16])
    open_total = sum(c["open"] + c["replacement"] for c in by_kind.values())

    # 3. TPS not complete after the deadline
    reference = min(now, end)
    paragraphs = [
        _("Readiness as recorded at %(time)s; shortfall cases flagged and closed are counted "
          "for %(date)s.") % {"time": _moment(now), "date": date_format(day, "j F Y")},
        ngettext("%(count)s shortfall case is still open.", "%(count)s shortfall cases are still "
                 "open.", open_total) % {"count": open_total},
    ]
    tables = [states, shortfalls]
    if deadline <= reference:
        late = (readiness.exclude(state=TpsReadiness.State.LENGKAP)
                .select_related("tps", "kecamatan", "kelurahan")
                .order_by("kecamatan__name", "kelurahan__name", "tps__number", "tps_id"))
        late_count = late.count()
        late_rows = [[r.kecamatan.name, r.kelurahan.name, r.tps.label, str(r.get_state_display()),
                      float(r.percent), r.open_shortfalls,
                      _moment(r.last_received_at) if r.last_received_at else "—"]
                     for r in late[:LATE_LIMIT]]
        caption = ngettext(
            "%(count)s TPS not complete after the deadline (%(deadline)s)",
            "%(count)s TPS not complete after the deadline (%(deadline)s)", late_count) % {
                "count": late_count, "deadline": _moment(deadline)}
        if late_count > LATE_LIMIT:
            caption += " " + _("(the first %(shown)s listed)") % {"shown": LATE_LIMIT}
        tables.append(Table(
            [_("Kecamatan"), _("Kelurahan"), _("TPS"), _("State"),
             _("Ready (%)"), _("Open cases"), _("Last received")], late_rows, caption=caption,
            empty=_("Every TPS was complete at the deadline."), widths=[18, 20, 10, 14, 10, 10, 18]))
    else:
        paragraphs.append(_("The TPS deadline (%(deadline)s) had not passed at the end of this "
                            "date: %(left)s.") % {"deadline": _moment(deadline),
                                                   "left": deadline_label(deadline, reference)})
    return Section("", paragraphs, tables)


def register() -> None:
    """Called from LogisticsConfig.ready(); registering twice is harmless."""
    register_section("logistics.readiness", gettext_lazy("Logistics readiness"), logistics_section,
                     SECTION_ORDER)
