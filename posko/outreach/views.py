"""Outreach pages: activities (list, calendar, detail, entry, held, cancel, files),
coverage, turnout and targets, imports and the early warning.

Objects are fetched through ``visible_to(user)`` (outside: 404); writing needs
``services.may_edit`` (visible but not theirs: 403). Writes go through services.py."""

from __future__ import annotations

import calendar
import datetime
import mimetypes
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit, exports, tasks
from posko.core.dashboard import Card
from posko.core.services import ConflictError
from posko.core.templates_example import template_response
from posko.core.views import ObjectHistoryView, ObjectImportView, ObjectListView
from posko.elections.models import Election, Tps
from posko.outreach import charts, coverage, services
from posko.outreach.forms import (
    TURNOUT_FIELDS,
    ActivityFilter,
    ActivityForm,
    CancelForm,
    GroupForm,
    HeldForm,
    SettingsForm,
    TargetForm,
    TaskForm,
    TurnoutForm,
)
from posko.outreach.imports import (
    HISTORY_COLUMNS,
    TURNOUT_COLUMNS,
    HistoryImporter,
    TurnoutImporter,
)
from posko.outreach.models import (
    Activity,
    OutreachSettings,
    TargetGroup,
    TpsTurnout,
    TurnoutTarget,
)
from posko.regions.models import Kecamatan, Kelurahan


def active_election_or_404() -> Election:
    election = Election.active()
    if election is None:
        raise Http404(_("There is no active election yet."))
    return election


def get_visible(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=-value.as_tuple().exponent, force_grouping=True)
    return number_format(value, force_grouping=True)


def _activities(user):
    return (Activity.objects.visible_to(user)
            .select_related("kecamatan", "kelurahan", "agency")
            .prefetch_related("target_groups"))


# --- activities -------------------------------------------------------------------------

class ActivityListView(ObjectListView):
    model = Activity
    filterset_class = ActivityFilter
    template_name = "outreach/activity_list.html"
    export_name = "sosialisasi"
    paginate_by = 30

    def get_base_queryset(self):
        election = Election.active()
        qs = Activity.objects.select_related("kecamatan", "kelurahan", "agency").prefetch_related(
            "target_groups")
        return qs.filter(election=election) if election else qs.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = Election.active()
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
        election = Election.active()
        today = timezone.localdate()
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
            qs = _activities(self.request.user).filter(election=election, starts_at__gte=start,
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


class ActivityDetailView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/activity_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = get_visible(Activity.objects.select_related(
            "kecamatan", "kelurahan", "agency", "created_by"), self.request.user,
            pk=self.kwargs["pk"])
        context.update(object=activity, can_edit=services.may_edit(self.request.user, activity),
                       attachments=list(activity.attachments.all()),
                       groups=list(activity.target_groups.all()))
        return context


class ActivityEditView(LoginRequiredMixin, TemplateView):
    """Create (no pk) or change an activity: one phone-friendly form."""

    template_name = "outreach/activity_edit.html"

    def _object(self):
        user = self.request.user
        if "pk" in self.kwargs:
            activity = get_visible(Activity.objects.all(), user, pk=self.kwargs["pk"])
            if not services.may_edit(user, activity):
                raise PermissionDenied
            return activity
        if not services.can_record(user):
            raise PermissionDenied
        activity = Activity(election=active_election_or_404())
        day = self.request.GET.get("date")
        if day:
            try:
                activity.starts_at = datetime.datetime.combine(
                    datetime.date.fromisoformat(day), datetime.time(9, 0),
                    tzinfo=timezone.get_current_timezone())
            except ValueError:
                pass
        return activity

    def get(self, request, *args, **kwargs):
        activity = self._object()
        form = ActivityForm(instance=activity, user=request.user)
        if activity.pk is None and request.GET.get("kelurahan") and \
                not form.fields["kelurahan"].disabled:
            form.initial["kelurahan"] = request.GET["kelurahan"]
        return self.render_to_response(self.get_context_data(form=form, object=activity))

    def post(self, request, *args, **kwargs):
        activity = self._object()
        form = ActivityForm(data=request.POST, files=request.FILES, instance=activity,
                            user=request.user)
        if form.is_valid():
            activity = form.instance
            data = form.cleaned_data
            try:
                services.save_activity(
                    activity, data.get("target_groups"), actor=request.user,
                    confirm_large=data.get("confirm_large", False), photos=data.get("photos"),
                    sheets=data.get("sheets"), expected_version=data.get("version"))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": activity})
                return HttpResponseRedirect(activity.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, object=activity),
                                       status=400)


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


class ActivityDeleteView(ActivityHeldView):
    template_name = "outreach/activity_delete.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(object=self._object()))

    def post(self, request, *args, **kwargs):
        activity = self._object()
        label = str(activity)
        services.delete_activity(activity, actor=request.user)
        messages.success(request, _("Deleted: %(object)s.") % {"object": label})
        return HttpResponseRedirect(reverse("outreach:activity_list"))


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


# --- coverage ---------------------------------------------------------------------------

def _bar(value, top) -> float:
    if not value or not top:
        return 0.0
    return round(min(100.0, float(value) * 100 / float(top)), 1)


class CoverageView(LoginRequiredMixin, TemplateView):
    """Per kelurahan (least covered first), kecamatan and Pemda roll-ups, media apart."""

    template_name = "outreach/coverage.html"

    def get(self, request, *args, **kwargs):
        election = active_election_or_404()
        kecamatan = request.GET.get("kecamatan") or None
        if kecamatan and not Kecamatan.objects.visible_to(request.user).filter(
                code=kecamatan).exists():
            raise Http404
        rows = coverage.kelurahan_coverage(election, request.user, kecamatan_code=kecamatan)
        per_kec = coverage.rollup(rows, "kecamatan")
        total = coverage.rollup(rows, "total")
        if request.GET.get("export") in ("xlsx", "csv"):
            return self.export(rows, request.GET["export"])
        settings = OutreachSettings.for_election(election)
        top = max([r.reach_per_1000 or 0 for r in rows] + [settings.low_reach_per_1000, 1])
        for row in rows:
            row.bar = _bar(row.reach_per_1000, top)
            row.low = row.dpt and (row.reach_per_1000 or 0) < settings.low_reach_per_1000
        threshold_left = _bar(settings.low_reach_per_1000, top)
        return self.render_to_response(self.get_context_data(
            election=election, rows=rows, per_kec=per_kec, total=total[0] if total else None,
            media=coverage.media_summary(election, request.user), settings=settings,
            threshold_left=threshold_left, kecamatan_choices=Kecamatan.objects.visible_to(
                request.user).order_by("name"), kecamatan=kecamatan,
            groups=TargetGroup.objects.filter(is_active=True)))

    def export(self, rows, kind):
        header = [_("Kecamatan"), _("Kelurahan"), _("Code"), "DPT", _("Activities held"),
                  _("People reached"), _("Reach per 1,000 voters"), _("Days since last activity"),
                  _("Planned"), _("Groups reached"), _("Groups never reached")]
        data = [[r.kecamatan_name, r.name, r.code, r.dpt, r.activities, r.reached,
                 r.reach_per_1000, r.days_since, r.planned,
                 ", ".join(g.name for g in r.groups_reached),
                 ", ".join(g.name for g in r.groups_missing)] for r in rows]
        audit.record("export", actor=self.request.user, object_repr="cakupan sosialisasi",
                     message=f"{kind}: {len(data)} rows")
        if kind == "csv":
            return exports.csv_response("cakupan-sosialisasi.csv", header, data)
        return exports.xlsx_response("cakupan-sosialisasi.xlsx", "Cakupan", header, data)


class KelurahanCoverageView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/coverage_kelurahan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = active_election_or_404()
        user = self.request.user
        kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), user,
                                code=self.kwargs["code"])
        rows = coverage.kelurahan_coverage(election, user, kelurahan_code=kelurahan.code)
        row = rows[0] if rows else coverage.Row(kelurahan.code, kelurahan.name)
        groups = TargetGroup.objects.filter(is_active=True)
        counted = coverage.counted_activities(election, Activity.objects.visible_to(user)).filter(
            kelurahan=kelurahan)
        per_group = {g: 0 for g in groups}
        people = {g: 0 for g in groups}
        last = {}
        for activity in counted.prefetch_related("target_groups"):
            for group in activity.target_groups.all():
                if group in per_group:
                    per_group[group] += 1
                    people[group] += activity.attendance or 0
                    if group not in last or activity.starts_at > last[group]:
                        last[group] = activity.starts_at
        context.update(
            election=election, kelurahan=kelurahan, row=row,
            group_rows=[{"group": g, "activities": per_group[g], "people": people[g],
                         "last": last.get(g)} for g in groups],
            activities=_activities(user).filter(election=election, kelurahan=kelurahan)
            .order_by("-starts_at")[:50],
            can_create=services.can_record(user))
        return context


# --- turnout ------------------------------------------------------------------------------

class TurnoutView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/turnout.html"

    def get(self, request, *args, **kwargs):
        election = active_election_or_404()
        kecamatan = request.GET.get("kecamatan") or None
        if kecamatan and not Kecamatan.objects.visible_to(request.user).filter(
                code=kecamatan).exists():
            raise Http404
        rows = coverage.turnout_by_kelurahan(election, request.user, kecamatan_code=kecamatan)
        if request.GET.get("export") in ("xlsx", "csv"):
            return self.export(rows, request.GET["export"])
        per_kec = coverage.turnout_rollup(rows, election, "kecamatan")
        total = coverage.turnout_rollup(rows, election, "total")
        for row in rows:
            row.bar = _bar(row.turnout, 100)
            row.target_left = _bar(row.target, 100)
        return self.render_to_response(self.get_context_data(
            election=election, rows=rows, per_kec=per_kec, total=total[0] if total else None,
            chart=charts.scatter(rows), label=coverage.chosen_history_label(election),
            kecamatan=kecamatan,
            kecamatan_choices=Kecamatan.objects.visible_to(request.user).order_by("name"),
            can_import=request.user.can_edit_registry))

    def export(self, rows, kind):
        header = [_("Kecamatan"), _("Kelurahan"), _("Code"), _("TPS"), _("TPS reported"), "DPT",
                  _("Registered (DPT+DPTb+DPK)"), _("Voters from the DPT"),
                  _("Voters from the DPTb"), _("Voters from the DPK"), _("Turnout (%)"),
                  _("Target (%)"), _("Historical turnout (%)"), _("Reach per 1,000 voters")]
        data = [[r.kecamatan_name, r.name, r.code, r.tps, r.tps_reported, r.dpt, r.registered,
                 r.voted_dpt, r.voted_dptb, r.voted_dpk, r.turnout, r.target, r.history,
                 r.reach_per_1000] for r in rows]
        audit.record("export", actor=self.request.user, object_repr="partisipasi",
                     message=f"{kind}: {len(data)} rows")
        if kind == "csv":
            return exports.csv_response("partisipasi.csv", header, data)
        return exports.xlsx_response("partisipasi.xlsx", "Partisipasi", header, data)


class TurnoutKelurahanView(LoginRequiredMixin, TemplateView):
    """The TPS of one kelurahan with their turnout and an entry link each."""

    template_name = "outreach/turnout_kelurahan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = active_election_or_404()
        user = self.request.user
        kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), user,
                                code=self.kwargs["code"])
        tps = list(Tps.objects.visible_to(user).filter(election=election, kelurahan=kelurahan)
                   .order_by("number"))
        found = {t.tps_id: t for t in TpsTurnout.objects.filter(tps__in=tps)}
        rows = []
        for t in tps:
            turnout = found.get(t.pk)
            registered = t.dpt_total + (turnout.registered_dptb + turnout.registered_dpk
                                        if turnout else 0)
            rows.append({"tps": t, "turnout": turnout,
                         "percent": coverage.percent(turnout.voted, registered) if turnout
                         else None})
        context.update(election=election, kelurahan=kelurahan, rows=rows,
                       can_enter=bool(tps) and services.may_enter_turnout(user, tps[0]))
        return context


class TurnoutTpsView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/turnout_tps.html"

    def _tps(self):
        tps = get_visible(Tps.objects.select_related("kelurahan", "election"),
                          self.request.user, pk=self.kwargs["pk"])
        if not services.may_enter_turnout(self.request.user, tps):
            raise PermissionDenied
        return tps

    def get(self, request, *args, **kwargs):
        tps = self._tps()
        turnout = TpsTurnout.objects.filter(tps=tps).first()
        initial = {f: getattr(turnout, f) for f in TURNOUT_FIELDS} if turnout else {}
        if turnout:
            initial["version"] = turnout.version
        return self.render_to_response(self.get_context_data(
            form=TurnoutForm(initial=initial), tps=tps, turnout=turnout))

    def post(self, request, *args, **kwargs):
        tps = self._tps()
        form = TurnoutForm(data=request.POST)
        turnout = TpsTurnout.objects.filter(tps=tps).first()
        if form.is_valid():
            values = {f: form.cleaned_data.get(f) for f in TURNOUT_FIELDS}
            try:
                services.save_turnout(tps, values, actor=request.user,
                                      expected_version=form.cleaned_data.get("version"))
            except ConflictError as exc:
                form.add_error(None, exc.messages[0])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Turnout saved: %(tps)s.") % {"tps": tps})
                return HttpResponseRedirect(reverse("outreach:turnout_kelurahan",
                                                    args=[tps.kelurahan_id]))
        return self.render_to_response(self.get_context_data(form=form, tps=tps, turnout=turnout),
                                       status=400)


class TurnoutImportView(ObjectImportView):
    importer_class = TurnoutImporter
    template_name = "outreach/import.html"
    success_url_name = "outreach:turnout"
    template_url_name = "outreach:turnout_template"

    def get_importer(self):
        return TurnoutImporter(actor=self.request.user, election=active_election_or_404())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import turnout per TPS")
        return context


class HistoryImportView(ObjectImportView):
    importer_class = HistoryImporter
    template_name = "outreach/import.html"
    success_url_name = "outreach:turnout"
    template_url_name = "outreach:history_template"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import historical turnout")
        return context


class ImportTemplateView(LoginRequiredMixin, View):
    columns = None
    name = ""

    def get(self, request):
        # One example row, marked CONTOH: the importers refuse it.
        return template_response(request, f"template-{self.name}", self.name, self.columns)


class TurnoutTemplateView(ImportTemplateView):
    columns = TURNOUT_COLUMNS
    name = "partisipasi-tps"


class HistoryTemplateView(ImportTemplateView):
    columns = HISTORY_COLUMNS
    name = "riwayat-partisipasi"


# --- targets, settings, groups --------------------------------------------------------------

class TargetsView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/targets.html"

    def context(self, election, settings_form=None, target_form=None):
        user = self.request.user
        settings = OutreachSettings.for_election(election)
        return self.get_context_data(
            election=election, settings=settings, is_admin=user.is_desk_admin,
            settings_form=settings_form or SettingsForm(instance=settings),
            target_form=target_form or TargetForm(user=user),
            targets=TurnoutTarget.objects.visible_to(user).filter(election=election)
            .select_related("kecamatan", "kelurahan"),
            caps=[(label, settings.cap_for(kind)) for kind, label in Activity.Kind.choices],
            history=coverage.history_labels())

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(active_election_or_404()))

    def post(self, request, *args, **kwargs):
        election = active_election_or_404()
        if not request.user.is_desk_admin:
            raise PermissionDenied
        if "percent" in request.POST or "kecamatan" in request.POST:
            form = TargetForm(data=request.POST, user=request.user)
            if form.is_valid():
                try:
                    services.set_target(election, kecamatan=form.cleaned_data["kecamatan"],
                                        kelurahan=form.cleaned_data.get("kelurahan"),
                                        percent=form.cleaned_data.get("percent"),
                                        actor=request.user)
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, _("Target saved."))
                    return HttpResponseRedirect(reverse("outreach:targets"))
            return self.render_to_response(self.context(election, target_form=form), status=400)
        settings = OutreachSettings.for_election(election)
        before = audit.snapshot(settings)
        form = SettingsForm(data=request.POST, instance=settings)
        if form.is_valid():
            obj = form.save(commit=False)
            obj.caps = {kind: form.cleaned_data[f"cap_{kind}"] for kind in Activity.Kind.values}
            try:
                services.update_settings(obj, actor=request.user, before=before,
                                         expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Settings saved."))
                return HttpResponseRedirect(reverse("outreach:targets"))
        return self.render_to_response(self.context(election, settings_form=form), status=400)


class GroupListView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/groups.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(groups=TargetGroup.objects.all(),
                       form=kwargs.get("form") or GroupForm(),
                       is_admin=self.request.user.is_desk_admin)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        pk = request.POST.get("pk")
        instance = TargetGroup.objects.filter(pk=pk).first() if pk else None
        form = GroupForm(data=request.POST, instance=instance)
        if form.is_valid():
            try:
                services.save_group(form.save(commit=False), actor=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": form.instance})
                return HttpResponseRedirect(reverse("outreach:group_list"))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- early warning ---------------------------------------------------------------------------

class EarlyWarningView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/early_warning.html"

    def context(self, election, form=None, **extra):
        user = self.request.user
        warnings, info = coverage.early_warning(election, user)
        found = tasks.tasks_for([services.task_source(election, w.row.code) for w in warnings])
        for w in warnings:
            w.tasks = found.get(services.task_source(election, w.row.code), [])
        can_task = tasks.available() and (user.is_desk_admin or user.effective_role == "kecamatan")
        return self.get_context_data(election=election, warnings=warnings, info=info,
                                     can_task=can_task, form=form or TaskForm(),
                                     tasks_available=tasks.available(), **extra)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(active_election_or_404()))

    def post(self, request, *args, **kwargs):
        election = active_election_or_404()
        form = TaskForm(data=request.POST)
        if form.is_valid():
            kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), request.user,
                                    code=form.cleaned_data["kelurahan"])
            row = next(iter(coverage.kelurahan_coverage(election, request.user,
                                                        kelurahan_code=kelurahan.code,
                                                        with_groups=False)), None)
            label = coverage.chosen_history_label(election)
            hist = coverage.history_by_kelurahan(label, request.user, [kelurahan.code])
            voted, registered = hist.get(kelurahan.code, (0, 0))
            history = coverage.percent(voted, registered)
            try:
                ref = services.create_followup_task(
                    election, kelurahan, agency=form.cleaned_data["agency"], actor=request.user,
                    note=form.cleaned_data.get("note", ""),
                    reach=fmt(row.reach_per_1000) if row else "",
                    history=f"{label} {fmt(history)}%" if history is not None else "")
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Task created: %(title)s.") % {"title": ref.title})
                return HttpResponseRedirect(reverse("outreach:early_warning"))
        return self.render_to_response(self.context(election, form=form), status=400)


# --- beranda card ------------------------------------------------------------------------------

def outreach_card(user, election):
    """"Kelurahan needing extra outreach: N" (None without an active election or activities)."""
    if not user.is_authenticated:
        return None
    if election is None or not Activity.objects.filter(election=election).exists():
        return None
    rows = coverage.kelurahan_coverage(election, user, with_groups=False)
    warnings, _info = coverage.early_warning(election, user, rows=rows)
    total = coverage.rollup(rows, "total")
    note = ""
    if total:
        note = _("%(reach)s people reached per 1,000 voters") % {
            "reach": fmt(total[0].reach_per_1000)}
    return Card(_("Kelurahan needing extra outreach"), number_format(len(warnings),
                                                                     force_grouping=True),
                reverse("outreach:early_warning"), note=note, alert=bool(warnings))
