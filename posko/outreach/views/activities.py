"""Outreach activities: list, calendar, detail, create/edit, held/cancelled/deleted, history, attachments."""

from __future__ import annotations

import calendar
import datetime
import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import clock
from posko.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from posko.outreach import services
from posko.outreach.filters import ActivityFilter
from posko.outreach.forms import (
    ActivityForm,
    CancelForm,
    HeldForm,
)
from posko.outreach.models import (
    Activity,
)
from posko.outreach.views.common import activities_in_scope, get_visible

# --- activities -------------------------------------------------------------------------

class ActivityListView(ObjectListView):
    model = Activity
    filterset_class = ActivityFilter
    template_name = "outreach/activity_list.html"
    export_name = "sosialisasi"
    paginate_by = 30

    def get_base_queryset(self):
        election = self.request.election
        qs = Activity.objects.select_related("kecamatan", "kelurahan", "agency").prefetch_related(
            "target_groups")
        return qs.filter(election=election) if election else qs.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.request.election
        context["can_create"] = services.can_record(self.request.user)
        return context

    def export_header(self):
        return [_("Date and time"), _("Title"), _("Kind"), _("Status"), _("Organiser"),
                _("Kecamatan"), _("Kelurahan"), "RW", "RT", _("Venue"), _("Target groups"),
                _("Expected attendance"), _("Attendance"), _("Men"), _("Women"),
                _("Materials"), _("Reason for cancelling")]

    def export_rows(self, queryset):
        for a in queryset.iterator(chunk_size=2000):
            yield [timezone.localtime(a.starts_at), a.title, a.get_kind_display(),
                   a.get_status_display(), a.organiser_label,
                   a.kecamatan.name if a.kecamatan_id else "",
                   a.kelurahan.name if a.kelurahan_id else "", a.rw, a.rt, a.venue,
                   ", ".join(g.name for g in a.target_groups.all()), a.expected_attendance,
                   a.attendance, a.attendance_men, a.attendance_women, a.materials,
                   a.cancel_reason]


class CalendarView(LoginRequiredMixin, TemplateView):
    """A month of activities (``?month=2024-11``), weeks from Monday."""

    template_name = "outreach/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        today = clock.today()
        try:
            year, month = (int(x) for x in self.request.GET.get("month", "").split("-"))
            first = datetime.date(year, month, 1)
        except ValueError:
            first = today.replace(day=1)
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
        days = calendar.monthrange(first.year, first.month)[1]
        end = start + datetime.timedelta(days=days)
        by_day: dict[datetime.date, list] = {}
        if election:
            qs = activities_in_scope(self.request.user).filter(election=election, starts_at__gte=start,
                                                       starts_at__lt=end).order_by("starts_at")
            kel = self.request.GET.get("kelurahan")
            if kel:
                qs = qs.filter(kelurahan_id=kel)
            for activity in qs[:2000]:
                by_day.setdefault(timezone.localdate(activity.starts_at), []).append(activity)
        weeks = []
        for week in calendar.Calendar().monthdatescalendar(first.year, first.month):
            weeks.append([{"date": d, "in_month": d.month == first.month, "today": d == today,
                           "items": by_day.get(d, [])} for d in week])
        prev_month = (first - datetime.timedelta(days=1)).replace(day=1)
        next_month = (first + datetime.timedelta(days=32)).replace(day=1)
        context.update(weeks=weeks, month=first, prev=prev_month.strftime("%Y-%m"),
                       next=next_month.strftime("%Y-%m"), election=election,
                       agenda=[(d, by_day[d]) for d in sorted(by_day)])
        return context


class ActivityEditableMixin:
    """An activity may be changed by whoever services.may_edit allows (404 before 403)."""

    model = Activity

    def get_editable_object(self):
        activity = self.get_object()
        if not services.may_edit(self.request.user, activity):
            raise PermissionDenied
        return activity


class ActivityDetailView(ObjectDetailView):
    model = Activity
    queryset = Activity.objects.select_related("kecamatan", "kelurahan", "agency", "created_by")
    template_name = "outreach/activity_detail.html"

    def get(self, request, *args, **kwargs):
        activity = self.get_object()
        return self.render_to_response(self.get_context_data(
            object=activity, can_edit=services.may_edit(request.user, activity),
            attachments=list(activity.attachments.all()),
            groups=list(activity.target_groups.all())))


class ActivityEditView(ActivityEditableMixin, ObjectEditView):
    """Create (no pk) or change an activity: one phone-friendly form."""

    form_class = ActivityForm
    template_name = "outreach/activity_edit.html"
    prefill = ("kelurahan",)

    def can_create(self) -> bool:
        return services.can_record(self.request.user)

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election."))
        activity = Activity(election=self.request.election)
        day = self.request.GET.get("date")
        if day:
            try:
                activity.starts_at = datetime.datetime.combine(
                    datetime.date.fromisoformat(day), datetime.time(9, 0),
                    tzinfo=timezone.get_current_timezone())
            except ValueError:
                pass
        return activity

    def create(self, obj, *, actor):
        data = self.form.cleaned_data
        return services.save_activity(
            obj, data.get("target_groups"), actor=actor,
            confirm_large=data.get("confirm_large", False), photos=data.get("photos"),
            sheets=data.get("sheets"), expected_version=self.expected_version())

    def update(self, obj, *, actor, before):
        return self.create(obj, actor=actor)


class ActivityHeldView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/activity_held.html"

    def _object(self):
        activity = get_visible(Activity.objects.all(), self.request.user, pk=self.kwargs["pk"])
        if not services.may_edit(self.request.user, activity):
            raise PermissionDenied
        return activity

    def get(self, request, *args, **kwargs):
        activity = self._object()
        form = HeldForm(initial={"version": activity.version, "starts_at": timezone.localtime(
            activity.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "attendance": activity.attendance})
        return self.render_to_response(self.get_context_data(form=form, object=activity))

    def post(self, request, *args, **kwargs):
        activity = self._object()
        form = HeldForm(data=request.POST, files=request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.mark_held(
                    activity, actor=request.user, attendance=d.get("attendance"),
                    attendance_men=d.get("attendance_men"),
                    attendance_women=d.get("attendance_women"), starts_at=d.get("starts_at"),
                    notes=d.get("notes", ""), photos=d.get("photos"), sheets=d.get("sheets"),
                    confirm_large=d.get("confirm_large", False), expected_version=d["version"])
            except ValidationError as exc:
                activity.refresh_from_db()
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Marked held: %(object)s.") % {"object": activity})
                return HttpResponseRedirect(activity.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, object=activity),
                                       status=400)


class ActivityCancelView(ActivityHeldView):
    template_name = "outreach/activity_cancel.html"

    def get(self, request, *args, **kwargs):
        activity = self._object()
        form = CancelForm(initial={"version": activity.version})
        return self.render_to_response(self.get_context_data(form=form, object=activity))

    def post(self, request, *args, **kwargs):
        activity = self._object()
        form = CancelForm(data=request.POST)
        if form.is_valid():
            try:
                services.cancel(activity, form.cleaned_data["reason"], actor=request.user,
                                expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                activity.refresh_from_db()
                for key, msgs in (exc.message_dict.items() if hasattr(exc, "error_dict")
                                  else [(None, exc.messages)]):
                    for message in msgs:
                        form.add_error("reason" if key in ("cancel_reason", "reason") else None,
                                       message)
            else:
                messages.success(request, _("Cancelled: %(object)s.") % {"object": activity})
                return HttpResponseRedirect(activity.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, object=activity),
                                       status=400)


class ActivityDeleteView(ActivityEditableMixin, ObjectDeleteView):
    template_name = "outreach/activity_delete.html"
    success_url_name = "outreach:activity_list"

    def delete_object(self, obj, *, actor):
        services.delete_activity(obj, actor=actor)


class ActivityHistoryView(ObjectHistoryView):
    model = Activity


class AttachmentView(LoginRequiredMixin, View):
    """A photo or attendance sheet, for those who may see the activity."""

    def get(self, request, pk, file_pk):
        activity = get_visible(Activity.objects.all(), request.user, pk=pk)
        attachment = activity.attachments.filter(pk=file_pk).first()
        if attachment is None or not attachment.file:
            raise Http404
        name = attachment.file.name
        content_type = attachment.content_type or mimetypes.guess_type(name)[0] or \
            "application/octet-stream"
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=content_type,
                            filename=f"sosialisasi-{activity.pk}-{attachment.pk}{extension}")
