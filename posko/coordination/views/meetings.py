"""Coordination meetings (rapat koordinasi), their decisions and attachments, the
printable minutes, and the daily Desk Pilkada report.

Every signed-in user sees meetings (they belong to the whole Pemda); only the Desk
Pilkada admin creates and changes them (``Meeting.objects.editable_by``)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.coordination import report as daily
from posko.coordination.apps import DAILY_REPORT_JOB
from posko.coordination.forms.meetings import DecisionForm, MeetingForm
from posko.coordination.models import Decision, Meeting, Task
from posko.coordination.report import daily_report, person_label
from posko.coordination.services import meetings as meeting_services
from posko.core import audit, clock, jobs
from posko.core.reports import Report, Section, Table, current_letterhead, render_pdf
from posko.core.views import ObjectEditView
from posko.elections.models import Election

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url_or_blank(name: str, *args) -> str:
    """The URL, or "" while the view that serves it is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def file_response(content: bytes, content_type: str, filename: str, *, inline: bool = False):
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _meeting_or_404(user, pk) -> Meeting:
    try:
        return Meeting.objects.visible_to(user).select_related("election").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError):
        raise Http404 from None


def _editable_meeting(user, pk) -> Meeting:
    meeting = _meeting_or_404(user, pk)  # 404 before 403: never reveal what is not visible
    if not Meeting.objects.editable_by(user).filter(pk=meeting.pk).exists():
        raise PermissionDenied
    return meeting


# --- list and detail ----------------------------------------------------------------------------

class MeetingListView(LoginRequiredMixin, TemplateView):
    """Upcoming meetings (soonest first) and past ones (newest first, paginated), per
    election (the request's election by default), with a search over titles, places, agenda,
    minutes and decisions."""

    template_name = "coordination/meeting_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, params = self.request.user, self.request.GET
        elections = list(Election.objects.visible_to(user))
        chosen = params.get("election", "")
        election = next((e for e in elections if str(e.pk) == chosen), None)
        if election is None and chosen != "all":  # the request's election (the active one)
            current = getattr(self.request.election, "pk", None)
            election = next((e for e in elections if e.pk == current), None)
        qs = Meeting.objects.visible_to(user).select_related("election").annotate(
            n_decisions=Count("decisions", distinct=True))
        if election is not None:
            qs = qs.filter(election=election)
        search = params.get("q", "").strip()[:100]
        if search:
            matching = Meeting.objects.filter(
                Q(title__icontains=search) | Q(place__icontains=search) | Q(chair__icontains=search)
                | Q(agenda__icontains=search) | Q(minutes__icontains=search)
                | Q(decisions__text__icontains=search)).values("pk")
            qs = qs.filter(pk__in=matching)
        now = clock.now()
        query = params.copy()
        query.pop("page", None)
        context.update(
            elections=elections, election=election, search=search,
            chosen="all" if election is None else str(election.pk),
            upcoming=list(qs.filter(starts_at__gte=now).order_by("starts_at", "pk")[:50]),
            page=Paginator(qs.filter(starts_at__lt=now).order_by("-starts_at", "-pk"), 30).get_page(
                params.get("page")),
            querystring=query.urlencode(),
            can_edit=user.is_desk_admin)
        return context


def meeting_context(request, meeting: Meeting, **extra) -> dict:
    user = request.user
    decisions = list(meeting.decisions.select_related("agency", "assignee", "task"))
    task_ids = [d.task_id for d in decisions if d.task_id]
    visible_tasks = set(Task.objects.visible_to(user).filter(pk__in=task_ids).values_list(
        "pk", flat=True)) if task_ids else set()
    for d in decisions:
        d.task_url = ""
        if d.task_id in visible_tasks:
            try:
                d.task_url = d.task.get_absolute_url()
            except NoReverseMatch:
                pass
        d.assignee_label = person_label(d.assignee)
    attachments = list(meeting.attachments.all())
    for a in attachments:
        a.download_url = url_or_blank("coordination:attachment_download", a.pk)
    can_edit = Meeting.objects.editable_by(user).filter(pk=meeting.pk).exists()
    context = {
        "meeting": meeting, "object": meeting, "decisions": decisions, "attachments": attachments,
        "agencies": list(meeting.agencies.all()), "can_edit": can_edit,
        "attendee_lines": [line.strip() for line in meeting.attendees.splitlines() if line.strip()],
        "decision_form": DecisionForm(instance=Decision(meeting=meeting, order=len(decisions) + 1),
                                      user=user, meeting=meeting) if can_edit else None,
    }
    context.update(extra)
    return context


class MeetingDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        meeting = _meeting_or_404(request.user, pk)
        return render(request, "coordination/meeting_detail.html", meeting_context(request, meeting))


# --- create and edit ----------------------------------------------------------------------------

class MeetingEditView(ObjectEditView):
    """Create (admin only) or edit a meeting; edits are checked against the version the
    editor loaded, so a concurrent save is reported instead of overwritten."""

    model = Meeting
    form_class = MeetingForm
    template_name = "coordination/meeting_edit.html"

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin

    def get_form(self, obj, data=None):
        self.form = self.form_class(data=data, instance=obj, user=self.request.user,
                                    election=self.request.election)
        return self.form

    def create(self, obj, *, actor):
        meeting_services.create_meeting(obj, actor=actor,
                                        agencies=self.form.cleaned_data.get("agencies"))

    def update(self, obj, *, actor, before):
        meeting_services.update_meeting(obj, actor=actor, before=before,
                                        expected_version=self.form.cleaned_data["version"],
                                        agencies=self.form.cleaned_data.get("agencies"))


# --- decisions ----------------------------------------------------------------------------------

class DecisionEditView(LoginRequiredMixin, View):
    """Add a decision to a meeting (``pk`` is the meeting) or edit one (``pk`` is the
    decision). The meeting page carries the same add form inline."""

    template_name = "coordination/meeting_decision_form.html"
    editing = False

    def _objects(self, request, pk):
        if self.editing:
            try:
                decision = Decision.objects.visible_to(request.user).select_related(
                    "meeting").get(pk=pk)
            except (Decision.DoesNotExist, ValueError):
                raise Http404 from None
            meeting = _editable_meeting(request.user, decision.meeting_id)
            return meeting, decision
        meeting = _editable_meeting(request.user, pk)
        return meeting, Decision(meeting=meeting,
                                 order=meeting.decisions.count() + 1)

    def get(self, request, pk):
        meeting, decision = self._objects(request, pk)
        form = DecisionForm(instance=decision, user=request.user, meeting=meeting)
        return render(request, self.template_name, {"form": form, "meeting": meeting,
                                                    "decision": decision})

    def post(self, request, pk):
        meeting, decision = self._objects(request, pk)
        before = audit.snapshot(decision) if decision.pk else None
        form = DecisionForm(data=request.POST, instance=decision, user=request.user, meeting=meeting)
        if form.is_valid():
            decision = form.save(commit=False)
            try:
                if before is None:
                    meeting_services.create_decision(decision, actor=request.user)
                else:
                    meeting_services.update_decision(decision, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Decision saved."))
                return HttpResponseRedirect(f"{meeting.get_absolute_url()}#keputusan-{decision.pk}")
        return render(request, self.template_name, {"form": form, "meeting": meeting,
                                                    "decision": decision}, status=400)


class DecisionToTaskView(LoginRequiredMixin, View):
    """POST: make the decision a task in one step (a second click changes nothing)."""

    def post(self, request, pk):
        try:
            decision = Decision.objects.visible_to(request.user).get(pk=pk)
        except (Decision.DoesNotExist, ValueError):
            raise Http404 from None
        meeting = _editable_meeting(request.user, decision.meeting_id)
        try:
            task, created = meeting_services.decision_to_task(decision, actor=request.user)
        except ValidationError as exc:
            return render(request, "coordination/meeting_detail.html", meeting_context(
                request, meeting, task_error_for=decision.pk, task_errors=exc.messages), status=400)
        if created:
            messages.success(request, _("Task created: %(title)s.") % {"title": task.title})
        else:
            messages.info(request, _("This decision is already a task."))
        return HttpResponseRedirect(f"{meeting.get_absolute_url()}#keputusan-{decision.pk}")


# --- attachments --------------------------------------------------------------------------------

class MeetingAttachView(LoginRequiredMixin, View):
    def post(self, request, pk):
        meeting = _editable_meeting(request.user, pk)
        try:
            stored = meeting_services.attach_files(meeting, actor=request.user,
                                                   files=request.FILES.getlist("files"))
        except ValidationError as exc:
            return render(request, "coordination/meeting_detail.html", meeting_context(
                request, meeting, attach_errors=exc.messages), status=400)
        messages.success(request, _("Attached: %(names)s.") % {
            "names": ", ".join(a.original_name for a in stored)})
        return HttpResponseRedirect(f"{meeting.get_absolute_url()}#lampiran")


# --- printable minutes --------------------------------------------------------------------------

def minutes_report(meeting: Meeting) -> Report:
    local = timezone.localtime(meeting.starts_at)
    facts = Table([_("Item"), _("Details")], [
        [_("Date and time"), local.strftime("%d-%m-%Y %H:%M")],
        [_("Place"), meeting.place],
        [_("Chaired by"), meeting.chair],
        [_("Election"), meeting.election.name],
        [_("Attending agencies"), ", ".join(str(a) for a in meeting.agencies.all()) or "-"],
    ], widths=[25, 75])
    sections = [Section(_("Meeting"), [], [facts])]
    attendees = [line.strip() for line in meeting.attendees.splitlines() if line.strip()]
    if attendees:
        sections.append(Section(_("Attendees"), [], [Table(
            [_("No."), _("Name")], [[n, name] for n, name in enumerate(attendees, start=1)],
            widths=[8, 92])]))
    if meeting.agenda.strip():
        sections.append(Section(_("Agenda"), [meeting.agenda.strip()]))
    sections.append(Section(_("Minutes"), [meeting.minutes.strip() or _("No minutes recorded.")]))
    decisions = meeting.decisions.select_related("agency", "assignee", "task")
    sections.append(Section(_("Decisions"), [], [Table(
        [_("No."), _("Decision"), _("Agency"), _("Person responsible"), _("Due"), _("Task status")],
        [[n, d.text, str(d.agency) if d.agency else "", person_label(d.assignee),
          timezone.localtime(d.due_at).strftime("%d-%m-%Y") if d.due_at else "",
          d.task.get_status_display() if d.task else ""]
         for n, d in enumerate(decisions, start=1)],
        widths=[5, 45, 13, 14, 11, 12], empty=_("No decisions recorded."))]))
    return Report(title=meeting.title, subtitle=_("Minutes of the coordination meeting, %(date)s") % {
        "date": local.strftime("%d-%m-%Y")}, date=local.date(), sections=sections)


class MeetingMinutesPdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        meeting = _meeting_or_404(request.user, pk)
        content = render_pdf(minutes_report(meeting), current_letterhead())
        audit.record("export", meeting, actor=request.user, message="pdf: notulen")
        return file_response(content, PDF, f"notulen-rapat-{meeting.pk}.pdf", inline=True)


# --- the daily Desk Pilkada report --------------------------------------------------------------

class DailyReportView(LoginRequiredMixin, View):
    """``?date=YYYY-MM-DD`` (today by default) and ``&format=pdf|xlsx`` for the files; without
    a format, an HTML preview with the date picker and the download buttons."""

    template_name = "coordination/report_daily.html"

    def get(self, request):
        raw = request.GET.get("date", "").strip()
        today = clock.today()
        try:
            day = datetime.date.fromisoformat(raw) if raw else today
        except ValueError:
            return render(request, self.template_name, {
                "date_error": _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": raw[:20]},
                "day": today, "raw": raw}, status=400)
        kind = request.GET.get("format", "")
        if kind in ("pdf", "xlsx"):
            if daily.is_large(request.user, request.election):  # a province: in the background
                job = jobs.enqueue(DAILY_REPORT_JOB, label=_("Daily report %(day)s (%(kind)s)") % {
                    "day": day.isoformat(), "kind": kind.upper()}, user=request.user, params={
                    "user": request.user.pk, "day": day.isoformat(), "kind": kind,
                    "election": request.election.pk})
                messages.info(request, _("The report is large: it is prepared in the background. "
                                         "Download it from this page when it is ready."))
                return HttpResponseRedirect(reverse("job_detail", args=[job.pk]))
            content, content_type, name = daily.report_file(day, request.user, request.election,
                                                            kind)
            return file_response(content, content_type, name)
        report = daily_report(day, request.user, request.election)
        return render(request, self.template_name, {
            "report": report, "day": day, "raw": day.isoformat(),
            "previous": (day - datetime.timedelta(days=1)).isoformat(),
            "next": (day + datetime.timedelta(days=1)).isoformat(),
            "is_today": day == today})

