"""The coordination module's sections of the daily Desk Pilkada report, and the
default letterhead.

``register()`` is called from ``CoordinationConfig.ready()``; it adds five sections
to the registry of :mod:`posko.core.reports` (current stages, tasks completed that day,
overdue tasks by agency, meetings and decisions, checklist completion by kecamatan)
and the letterhead provider. Every builder takes ``(report_date, user)`` and only
reads rows through ``visible_to(user)``: a lurah's report covers what the lurah sees.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from posko.coordination.models import (
    Decision,
    Meeting,
    SupervisionChecklist,
    SupervisionResponse,
    Task,
)
from posko.core import audit, jobs
from posko.core import election as request_election
from posko.core.reports import (
    Letterhead,
    Report,
    Section,
    Table,
    build_report,
    current_letterhead,
    register_letterhead_provider,
    register_section,
    render_pdf,
    render_xlsx,
)
from posko.elections.models import Stage, Tps
from posko.regions.models import Kecamatan, Kelurahan, Pemda

COMPLETED_LIMIT = 300  # rows listed in "tasks completed"; the count is always exact
OVERDUE_PER_AGENCY = 10


# --- helpers ------------------------------------------------------------------------------------

def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Start of ``day`` and start of the next day, in the instance's time zone."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def h_label(days_to_voting: int) -> str:
    if days_to_voting == 0:
        return "H"
    return f"H-{days_to_voting}" if days_to_voting > 0 else f"H+{-days_to_voting}"


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _tasks(user, election):
    qs = Task.objects.visible_to(user)
    return qs.filter(election=election) if election else qs


def _date(value: datetime.date) -> str:
    return date_format(value, "j M Y")


# --- sections -----------------------------------------------------------------------------------

def stages_section(day: datetime.date, user, election) -> Section:
    if election is None:
        return Section("", [_("There is no active election.")])
    stages = (Stage.objects.visible_to(user).filter(election=election, start_date__lte=day,
                                                     end_date__gte=day).select_related("owner"))
    days = (election.voting_date - day).days
    paragraph = _("%(election)s: voting day %(voting)s (%(h)s).") % {
        "election": election.name, "voting": date_format(election.voting_date, "l, j F Y"),
        "h": h_label(days)}
    rows = [[s.name, _date(s.start_date), _date(s.end_date), str(s.owner) if s.owner else ""]
            for s in stages]
    return Section("", [paragraph], [Table(
        [_("Stage"), _("From"), _("To"), _("Owner institution")], rows, widths=[45, 14, 14, 27],
        empty=_("No stage is under way on this date."))])


def completed_section(day: datetime.date, user, election) -> Section:
    start, end = day_bounds(day)
    qs = (_tasks(user, election).filter(completed_at__gte=start, completed_at__lt=end)
          .select_related("agency", "kecamatan", "kelurahan", "tps__kelurahan")
          .order_by("completed_at", "pk"))
    total = qs.count()
    rows = [[t.title, str(t.agency), t.place_label, timezone.localtime(t.completed_at).strftime("%H:%M")]
            for t in qs[:COMPLETED_LIMIT]]
    paragraphs = [ngettext("%(count)s task was completed.", "%(count)s tasks were completed.",
                           total) % {"count": total}]
    if total > COMPLETED_LIMIT:
        paragraphs.append(_("The first %(limit)s are listed; the XLSX and the task list have them "
                            "all.") % {"limit": COMPLETED_LIMIT})
    return Section("", paragraphs if total else [], [Table(
        [_("Task"), _("Agency"), _("Place"), _("Time")], rows, widths=[50, 20, 20, 10],
        empty=_("No task was completed on this date."))])


def overdue_section(day: datetime.date, user, election) -> Section:
    """Tasks past due and not done at the end of ``day``, counted per agency, with the
    oldest ten of each agency listed (one query for the counts, one for the lists)."""
    _start, end = day_bounds(day)
    qs = (_tasks(user, election)
          .filter(due_at__lt=end, created_at__lt=end)
          .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=end))
          .exclude(status=Task.Status.SELESAI, completed_at__isnull=True))
    counts = list(qs.values("agency_id", "agency__name", "agency__short_name")
                  .annotate(n=Count("pk")).order_by("-n", "agency__name"))
    total = sum(c["n"] for c in counts)
    if not total:
        return Section("", [_("No task was overdue at the end of this date.")])
    oldest = (qs.annotate(rank=Window(RowNumber(), partition_by=[F("agency_id")],
                                      order_by=[F("due_at").asc(), F("pk").asc()]))
              .filter(rank__lte=OVERDUE_PER_AGENCY)
              .select_related("kecamatan", "kelurahan", "tps__kelurahan")
              .order_by("agency_id", "due_at", "pk"))
    per_agency: dict[int, list[Task]] = {}
    for task in oldest:
        per_agency.setdefault(task.agency_id, []).append(task)
    name = {c["agency_id"]: c["agency__short_name"] or c["agency__name"] for c in counts}
    tables = [Table([_("Agency"), _("Overdue tasks")], [[name[c["agency_id"]], c["n"]] for c in counts],
                    widths=[70, 30])]
    for c in counts:
        tasks = per_agency.get(c["agency_id"], [])
        caption = name[c["agency_id"]] + " — " + (
            ngettext("%(count)s overdue task", "%(count)s overdue tasks", c["n"]) % {"count": c["n"]})
        if c["n"] > len(tasks):
            caption += " " + _("(the oldest %(shown)s listed)") % {"shown": len(tasks)}
        tables.append(Table(
            [_("Task"), _("Place"), _("Due"), _("Days overdue"), _("Status now")],
            [[t.title, t.place_label, timezone.localtime(t.due_at).strftime("%d-%m-%Y %H:%M"),
              (day - timezone.localdate(t.due_at)).days, t.get_status_display()] for t in tasks],
            caption=caption, widths=[42, 18, 16, 10, 14]))
    paragraph = ngettext("%(count)s task was overdue at the end of the day.",
                         "%(count)s tasks were overdue at the end of the day.", total) % {"count": total}
    return Section("", [paragraph], tables)


def meetings_section(day: datetime.date, user, election) -> Section:
    start, end = day_bounds(day)
    qs = Meeting.objects.visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    if election:
        qs = qs.filter(election=election)
    meetings = list(qs.order_by("starts_at", "pk").prefetch_related(
        "agencies", Prefetch("decisions", queryset=Decision.objects.select_related(
            "agency", "assignee", "task"))))
    if not meetings:
        return Section("", [_("No coordination meeting was held on this date.")])
    summary = Table([_("Time"), _("Meeting"), _("Place"), _("Chaired by"), _("Attending agencies"),
                     _("Decisions")],
                    [[timezone.localtime(m.starts_at).strftime("%H:%M"), m.title, m.place, m.chair,
                      ", ".join(str(a) for a in m.agencies.all()), len(m.decisions.all())]
                     for m in meetings], widths=[8, 27, 17, 15, 23, 10])
    tables = [summary]
    for m in meetings:
        rows = [[n, d.text, str(d.agency) if d.agency else "", person_label(d.assignee),
                 timezone.localtime(d.due_at).strftime("%d-%m-%Y") if d.due_at else "",
                 d.task.get_status_display() if d.task else _("no task yet")]
                for n, d in enumerate(m.decisions.all(), start=1)]
        tables.append(Table([_("No."), _("Decision"), _("Agency"), _("Person responsible"), _("Due"),
                             _("Task status")], rows, caption=_("Decisions: %(meeting)s") % {
                                 "meeting": m.title},
                            empty=_("No decisions recorded."), widths=[5, 43, 13, 14, 11, 14]))
    return Section("", [], tables)


def checklist_section(day: datetime.date, user, election) -> Section:
    """Answers given by the end of ``day`` against answers expected, per kecamatan, for the
    checklists of the stages under way that day. Expected: items × kelurahan for
    kelurahan-level checklists, items × 1 for kecamatan-level ones, counting only the
    places the user sees (a lurah's report counts the lurah's own kelurahan)."""
    _start, end = day_bounds(day)
    checklists = SupervisionChecklist.objects.visible_to(user).filter(
        stage__start_date__lte=day, stage__end_date__gte=day)
    if election:
        checklists = checklists.filter(election=election)
    checklists = list(checklists.select_related("stage").annotate(n_items=Count("items")))
    if not checklists:
        return Section("", [_("No supervision checklist belongs to a stage under way on this date.")])
    level = SupervisionChecklist.Level
    kel_items = sum(c.n_items for c in checklists if c.level == level.KELURAHAN)
    # A kelurahan operator cannot see kecamatan-level answers, so none are expected of them.
    kec_items = 0 if getattr(user, "scope_kelurahan_id", None) else sum(
        c.n_items for c in checklists if c.level == level.KECAMATAN)
    kecamatan = list(Kecamatan.objects.visible_to(user).order_by("name"))
    kel_count = dict(Kelurahan.objects.visible_to(user).values("kecamatan_id")
                     .annotate(n=Count("code")).values_list("kecamatan_id", "n"))
    answers = (SupervisionResponse.objects.visible_to(user)
               .filter(item__checklist__in=[c.pk for c in checklists], responded_at__lt=end,
                       kecamatan_id__in=[k.code for k in kecamatan])
               .filter(Q(item__checklist__level=level.KELURAHAN, kelurahan__isnull=False)
                       | Q(item__checklist__level=level.KECAMATAN, kelurahan__isnull=True))
               .values("kecamatan_id")
               .annotate(answered=Count("pk"),
                         met=Count("pk", filter=Q(answer=SupervisionResponse.Answer.MET)),
                         unmet=Count("pk", filter=Q(answer=SupervisionResponse.Answer.UNMET))))
    by_kec = {a["kecamatan_id"]: a for a in answers}
    rows, totals = [], [0, 0, 0, 0]
    for kec in kecamatan:
        expected = kel_items * kel_count.get(kec.code, 0) + kec_items
        a = by_kec.get(kec.code, {"answered": 0, "met": 0, "unmet": 0})
        rows.append([kec.name, expected, a["answered"], percent(a["answered"], expected), a["met"],
                     a["unmet"], percent(a["met"], a["met"] + a["unmet"])])
        for i, value in enumerate((expected, a["answered"], a["met"], a["unmet"])):
            totals[i] += value
    if len(rows) > 1:
        rows.append([_("Total"), totals[0], totals[1], percent(totals[1], totals[0]), totals[2],
                     totals[3], percent(totals[2], totals[2] + totals[3])])
    listed = Table([_("Checklist"), _("Stage"), _("Filled by"), _("Items")],
                   [[c.title, c.stage.name if c.stage else "", c.get_level_display(), c.n_items]
                    for c in checklists], widths=[40, 30, 18, 12])
    completion = Table([_("Kecamatan"), _("Expected"), _("Answered"), _("Answered (%)"), _("Met"),
                        _("Not met"), _("Met (%)")], rows, widths=[25, 12, 12, 13, 11, 12, 15])
    note = _("Answered (%): answers given out of answers expected. Met (%): items met out of "
             "the answered items that apply (\"not applicable\" answers are not counted).")
    return Section("", [note], [listed, completion])


def person_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- the report and its letterhead -------------------------------------------------------

def letterhead() -> Letterhead:
    """The Pemda's name, "Desk Pilkada", and the address lines of
    ``POSKO_LETTERHEAD_ADDRESS`` (lines separated by "|")."""
    pemda = Pemda.current()
    address = getattr(settings, "POSKO_LETTERHEAD_ADDRESS", "") or ""
    return Letterhead(
        name=pemda.name if pemda else "Posko",
        lines=[_("Desk Pilkada")],
        address_lines=[line.strip() for line in re.split(r"[|\n]", address) if line.strip()])


def daily_report(day: datetime.date, user, election) -> Report:
    """The daily Desk Pilkada report for ``day`` as ``user`` may see it."""
    subtitle = date_format(day, "l, j F Y")
    if election:
        subtitle = f"{election.name} · {subtitle} ({h_label((election.voting_date - day).days)})"
    scope = getattr(user, "scope_label", "")
    if scope:
        subtitle += "\n" + _("Scope: %(scope)s") % {"scope": scope}
    return build_report(day, user, election, title=_("Desk Pilkada daily report"),
                        subtitle=subtitle)


REPORT_TYPES = {"pdf": "application/pdf",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def report_file(day: datetime.date, user, election, kind: str) -> tuple[bytes, str, str]:
    """The daily report as a PDF or XLSX file: (content, content type, file name); audited."""
    report = daily_report(day, user, election)
    head = current_letterhead()
    content = render_pdf(report, head) if kind == "pdf" else render_xlsx(report, head)
    audit.record("export", actor=user, object_repr="laporan harian",
                 message=f"{kind}: {day.isoformat()}")
    return content, REPORT_TYPES[kind], f"laporan-harian-{day.isoformat()}.{kind}"


def is_large(user, election) -> bool:
    """A daily report over as many TPS as a large export is prepared in the background."""
    return election is not None and Tps.objects.visible_to(user).filter(
        election=election).count() >= settings.POSKO_EXPORT_BACKGROUND_ROWS


def report_job(ctx, *, user, election, day, kind) -> str:
    """The background job behind a large daily report (a province's desk): the same file."""
    account = get_user_model().objects.filter(pk=user, is_active=True).first()
    if account is None:
        raise jobs.JobError(_("The account that asked for this report is no longer active."))
    ctx.progress(_("writing the report"), force=True)
    content, content_type, name = report_file(
        datetime.date.fromisoformat(day), account, request_election.by_pk(election), kind)
    ctx.save_file(name, content, content_type)
    return _("The daily report is ready.")


def register() -> None:
    """Called from CoordinationConfig.ready(); registering twice is harmless."""
    register_section("coordination.stages", gettext_lazy("Current stages"), stages_section, 10)
    register_section("coordination.completed", gettext_lazy("Tasks completed"), completed_section,
                     20)
    register_section("coordination.overdue", gettext_lazy("Overdue tasks by agency"),
                     overdue_section, 30)
    register_section("coordination.meetings", gettext_lazy("Coordination meetings and decisions"),
                     meetings_section, 40)
    register_section("coordination.checklists", gettext_lazy("Supervision checklists by kecamatan"),
                     checklist_section, 50)
    register_letterhead_provider(letterhead)
