"""Report pages: the live list (HTMX refresh, filters, XLSX/CSV export), the situation
counts, the map of open reports, the detail with triage, comments, evidence, duplicates and
history, the official's form, the PDF report per period, and the public form and status page.

Every report is fetched through ``Report.objects.visible_to(user)`` (outside: 404); a
visible report the user may not change gives 403. Writes go through
``posko.incidents.services``."""

from __future__ import annotations

import datetime
import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit, tasks
from posko.core.middleware import client_ip
from posko.core.reports import render_pdf, render_xlsx
from posko.core.services import ConflictError
from posko.core.views import ObjectListView, ScopedMixin
from posko.elections.models import Election, Tps
from posko.incidents import report as reporting
from posko.incidents import services
from posko.incidents.forms import (
    CommentForm,
    EvidenceForm,
    PublicReportForm,
    ReportFilter,
    ReportForm,
    StatusLookupForm,
    TransitionForm,
)
from posko.incidents.models import Evidence, Report, State

STATE_CLASSES = {
    State.BARU: "",
    State.DIVERIFIKASI: "status-berjalan",
    State.DITERUSKAN: "status-berjalan",
    State.DITINDAKLANJUTI: "status-berjalan",
    State.SELESAI: "status-selesai",
    State.DITOLAK: "status-terhambat",
}
STATE_LABELS = dict(State.choices)


def flag(reports, now=None):
    now = now or timezone.now()
    for r in reports:
        r.flag_overdue = r.overdue(now)
        r.state_class = STATE_CLASSES.get(r.state, "")
    return reports


def active_election_or_404() -> Election:
    election = Election.active()
    if election is None:
        raise Http404(_("There is no active election yet."))
    return election


class ReportMixin(ScopedMixin):
    model = Report

    def get_base_queryset(self):
        return Report.objects.select_related("category", "kecamatan", "kelurahan", "tps", "agency",
                                             "assignee", "stage")


class ReportListView(ReportMixin, ObjectListView):
    filterset_class = ReportFilter
    template_name = "incidents/report_list.html"
    export_name = "laporan"
    paginate_by = 50

    @cached_property
    def election(self):
        return Election.active()

    def get_base_queryset(self):
        qs = super().get_base_queryset()
        return qs.filter(election=self.election) if self.election else qs.none()

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and self.request.GET.get("partial"):
            return ["incidents/report_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flag(context["object_list"])
        context.update(election=self.election,
                       can_create=services.can_report(self.request.user) and self.election,
                       refreshed_at=timezone.now())
        return context

    def export_header(self):
        return [_("code"), _("received"), _("happened at"), _("category"), _("stage"),
                _("kecamatan"), _("kelurahan"), _("TPS"), _("title"), _("description"),
                _("severity"), _("state"), _("source"), _("assigned agency"),
                _("forwarded to"), _("past target"), _("closed at")]

    def export_rows(self, queryset):
        now = timezone.now()
        for r in queryset.iterator(chunk_size=2000):
            yield [r.code, r.created_at, r.occurred_at, r.category.name,
                   r.stage.name if r.stage_id else "", r.kecamatan.name,
                   r.kelurahan.name if r.kelurahan_id else "", r.tps.label if r.tps_id else "",
                   r.title, r.description, r.get_severity_display(), r.get_state_display(),
                   r.get_source_display(), r.agency.name if r.agency_id else "",
                   r.get_forwarded_to_display(), _("yes") if r.overdue(now) else "",
                   r.resolved_at]


class SituationView(LoginRequiredMixin, TemplateView):
    """Counts per category, kecamatan and day of the reports the user may see."""

    template_name = "incidents/situation.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = Election.active()
        context["election"] = election
        if election is not None:
            context["counts"] = reporting.counts(reporting.visible_reports(self.request.user,
                                                                           election))
        return context


class MapView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = Election.active()
        context["map_config"] = {
            "dataUrl": reverse("incidents:map_data"),
            "tileUrl": settings.POSKO_MAP_TILE_URL,
            "tileAttribution": settings.POSKO_MAP_TILE_ATTRIBUTION,
            "detailUrl": reverse("incidents:report_detail", args=[0]),
            "listUrl": reverse("incidents:report_list"),
            "countLabel": _("Open reports on the map: %(n)s"),
            "openLabel": _("%(n)s open reports"),
            "severities": [{"code": c, "label": str(label)} for c, label in
                           Report._meta.get_field("severity").choices],
        }
        return context


SEVERITY_CODES = ["rendah", "sedang", "tinggi", "kritis"]
MAP_OWN_POINTS_LIMIT = 2000


def map_points(user, election, category=None):
    """Open reports on the map: one point per TPS (the number of open reports there and the
    worst severity), plus the reports placed at a point of their own (newest first, at most
    ``MAP_OWN_POINTS_LIMIT``). Rows: ``[kind, id, lat, lon, severity, count, label]`` where
    kind is "t" (a TPS: id is the TPS) or "r" (a report)."""
    from django.db.models import Case, Count, IntegerField, Max, Value, When

    qs = reporting.visible_reports(user, election).open()
    if category:
        qs = qs.filter(category_id=category)
    rank = Case(*[When(severity=code, then=Value(i)) for i, code in enumerate(SEVERITY_CODES)],
                output_field=IntegerField())
    points = []
    # Grouped on the report table alone; the (at most one per TPS) places are read after.
    at_tps = list(qs.filter(latitude__isnull=True, tps__isnull=False).order_by()
                  .values_list("tps_id").annotate(n=Count("pk"), worst=Max(rank), one=Max("pk")))
    places = {pk: (lat, lon, number, name) for pk, lat, lon, number, name in Tps.objects.filter(
        pk__in=[row[0] for row in at_tps], latitude__isnull=False).values_list(
        "pk", "latitude", "longitude", "number", "kelurahan__name")}
    for tps_id, n, worst, one in at_tps:
        if tps_id not in places:
            continue
        lat, lon, number, name = places[tps_id]
        points.append(["t", tps_id if n > 1 else one, float(lat), float(lon),
                       SEVERITY_CODES[worst], n, f"TPS {number:03d} {name}"])
    own = qs.filter(latitude__isnull=False).order_by("-created_at", "-id").values_list(
        "pk", "latitude", "longitude", "severity", "code", "title")[:MAP_OWN_POINTS_LIMIT]
    for pk, lat, lon, severity, code, title in own:
        points.append(["r", pk, float(lat), float(lon), severity, 1, f"{code} {title[:60]}"])
    return points
class MapDataView(LoginRequiredMixin, View):
    def get(self, request):
        election = Election.active()
        if election is None:
            return JsonResponse({"points": []})
        category = request.GET.get("category")
        category = int(category) if category and category.isdigit() else None
        return JsonResponse({"points": map_points(request.user, election, category)})


def _history(report) -> list[dict]:
    entries = []
    for entry in audit.history(report)[:80]:
        before, after = entry.before or {}, entry.after or {}
        moved = entry.action == "update" and before.get("state") != after.get("state") and \
            "state" in after
        changed = sorted(k for k in after if k in before and before.get(k) != after.get(k)
                         and k not in ("version", "updated_at", "state"))
        entries.append({"entry": entry,
                        "state_from": STATE_LABELS.get(before.get("state"), "") if moved else "",
                        "state_to": STATE_LABELS.get(after.get("state"), "") if moved else "",
                        "note": after.get("state_note", "") if moved else "",
                        "changed": changed})
    return entries


def render_detail(request, pk, *, status=200, transition_form=None, comment_form=None,
                  evidence_form=None, conflict=None):
    try:
        report = Report.objects.visible_to(request.user).select_related(
            "category", "kecamatan", "kelurahan", "tps", "agency", "assignee", "stage", "election",
            "reported_by", "merged_into").get(pk=pk)
    except (Report.DoesNotExist, ValueError):
        raise Http404 from None
    flag([report])
    user = request.user
    family = services.family(report)
    evidence = Evidence.objects.filter(report__in=family).select_related("report", "uploaded_by")
    merged = list(report.merged_reports.all().order_by("created_at"))
    can_triage = services.can_triage(user, report)
    show_personal = user.can_see_personal_data
    reporters = []
    for r in [report, *merged]:
        if r.source == Report.Source.PUBLIC:
            name = r.reporter_name or _("anonymous")
            contact = r.reporter_contact
            if not show_personal:
                name = services.mask_name(name) if r.reporter_name else name
                contact = "•••" if contact else ""
            reporters.append({"report": r, "name": name, "contact": contact, "public": True})
        else:
            who = r.reported_by
            reporters.append({"report": r, "name": (who.get_full_name() or who.get_username())
                              if who else "—", "contact": "", "public": False})
    task_refs = tasks.tasks_for([services.task_source(report)]).get(services.task_source(report), [])
    duplicates = list(services.duplicates(report, Report.objects.visible_to(user))[:10]) \
        if report.is_open and can_triage else []
    context = {
        "object": report, "report": report,
        "can_edit": can_triage and not report.merged_into_id,
        "can_triage": can_triage,
        "can_comment": services.can_comment(user, report),
        "transition_form": transition_form or TransitionForm(report=report, user=user),
        "has_transitions": bool(services.allowed_states(user, report)),
        "comment_form": comment_form or CommentForm(),
        "evidence_form": evidence_form or EvidenceForm(),
        "comments": report.comments.select_related("author"),
        "evidence": evidence, "merged": merged, "reporters": reporters,
        "duplicates": duplicates, "tasks": task_refs, "tasks_available": tasks.available(),
        "conflict": conflict, "history": _history(report),
        "can_open_case": (report.category.is_neutrality_asn and user.is_desk_admin),
        "cases": report.neutrality_cases.all() if user.is_desk_admin else [],
        "show_personal": show_personal,
    }
    return render(request, "incidents/report_detail.html", context, status=status)


class ReportDetailView(ReportMixin, View):
    def get(self, request, pk):
        return render_detail(request, pk)


class ReportTransitionView(ReportMixin, View):
    def post(self, request, pk):
        report = self.get_object()
        if not services.allowed_states(request.user, report) and not (
                services.can_triage(request.user, report) or services.is_follower(request.user,
                                                                                  report)):
            raise PermissionDenied
        form = TransitionForm(data=request.POST, report=report, user=request.user)
        if not form.is_valid() and "state" in form.errors and request.POST.get("state") in State.values:
            # A state the user may not reach from here: say so in words.
            form.errors.pop("state")
            form.add_error("state", _("A report that is %(current)s cannot be moved to "
                                      "%(state)s.") % {"current": State(report.state).label,
                                                       "state": State(request.POST["state"]).label})
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.transition(report, data["state"], actor=request.user,
                                     expected_version=data["version"], note=data["note"],
                                     agency=data["agency"], forwarded_to=data["forwarded_to"],
                                     assignee=data["assignee"], public_note=data["public_note"])
            except ConflictError as exc:
                return render_detail(request, pk, status=409, transition_form=form,
                                     conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("%(code)s is now %(state)s.") % {
                    "code": report.code, "state": STATE_LABELS[report.state]})
                return HttpResponseRedirect(report.get_absolute_url())
        return render_detail(request, pk, status=400, transition_form=form)


class ReportCommentView(ReportMixin, View):
    def post(self, request, pk):
        report = self.get_object()
        if not services.can_comment(request.user, report):
            raise PermissionDenied
        form = CommentForm(data=request.POST)
        if form.is_valid():
            try:
                services.add_comment(report, form.cleaned_data["text"], actor=request.user)
            except ValidationError as exc:
                form.add_error("text", exc.messages[0])
            else:
                return HttpResponseRedirect(report.get_absolute_url() + "#comments")
        return render_detail(request, pk, status=400, comment_form=form)


class ReportEvidenceView(ReportMixin, View):
    def post(self, request, pk):
        report = self.get_object()
        if not services.can_comment(request.user, report):
            raise PermissionDenied
        form = EvidenceForm(data=request.POST, files=request.FILES)
        if form.is_valid():
            try:
                services.add_evidence(report, request.FILES.getlist("files"), actor=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("files", message)
            else:
                messages.success(request, _("Evidence added."))
                return HttpResponseRedirect(report.get_absolute_url() + "#evidence")
        return render_detail(request, pk, status=400, evidence_form=form)


class ReportMergeView(ReportMixin, View):
    """POST ``into``: merge this report into another (visible) report."""

    def post(self, request, pk):
        report = self.get_object()
        if not services.can_triage(request.user, report):
            raise PermissionDenied
        try:
            into = Report.objects.visible_to(request.user).get(pk=int(request.POST.get("into", "")))
        except (Report.DoesNotExist, ValueError):
            raise Http404 from None
        try:
            services.merge(report, into, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(report.get_absolute_url())
        messages.success(request, _("%(dup)s was merged into %(into)s.") % {
            "dup": report.code, "into": into.code})
        return HttpResponseRedirect(into.get_absolute_url())


class ReportTaskView(ReportMixin, View):
    def post(self, request, pk):
        report = self.get_object()
        if not services.can_triage(request.user, report):
            raise PermissionDenied
        try:
            services.spawn_task(report, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("A coordination task was created."))
        return HttpResponseRedirect(report.get_absolute_url() + "#tasks")


class EvidenceDownloadView(LoginRequiredMixin, View):
    """An evidence file, for those who may see its report."""

    def get(self, request, pk):
        try:
            evidence = Evidence.objects.select_related("report").get(pk=pk)
        except (Evidence.DoesNotExist, ValueError):
            raise Http404 from None
        if not Report.objects.visible_to(request.user).filter(pk=evidence.report_id).exists():
            raise Http404
        name = evidence.file.name
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return FileResponse(handle, content_type=content_type,
                            filename=f"{evidence.report.code}-{evidence.pk}{extension}")


class ReportEditView(ReportMixin, TemplateView):
    """Create (``report_add``) or edit (``report_edit``, triagers) a report."""

    template_name = "incidents/report_edit.html"

    def get_object_for_form(self):
        if "pk" in self.kwargs:
            report = self.get_object()
            if not services.can_triage(self.request.user, report) or report.merged_into_id:
                raise PermissionDenied
            return report
        if not services.can_report(self.request.user):
            raise PermissionDenied
        return Report(election=active_election_or_404())

    def get_form(self, report, data=None, files=None):
        initial = {}
        if data is None:
            initial = {k: self.request.GET[k] for k in ("category", "kecamatan", "kelurahan", "tps")
                       if self.request.GET.get(k)}
        form = ReportForm(data=data, files=files, instance=report, user=self.request.user,
                          election=report.election, initial=initial)
        if not form.fields["kelurahan"].disabled:
            form.fields["kelurahan"].widget.attrs.update({
                "hx-get": self.request.path, "hx-trigger": "change", "hx-target": "#field-tps",
                "hx-select": "#field-tps", "hx-swap": "outerHTML", "hx-include": "closest form"})
        return form

    def render_form(self, report, form, *, status=200, conflict=None):
        return self.render_to_response(self.get_context_data(form=form, object=report,
                                                             conflict=conflict), status=status)

    def get(self, request, *args, **kwargs):
        report = self.get_object_for_form()
        return self.render_form(report, self.get_form(report))

    def post(self, request, *args, **kwargs):
        report = self.get_object_for_form()
        is_new = report.pk is None
        before = None if is_new else audit.snapshot(report)
        form = self.get_form(report, data=request.POST, files=request.FILES)
        if form.is_valid():
            report = form.save(commit=False)
            try:
                if is_new:
                    services.create_report(report, actor=request.user,
                                           files=request.FILES.getlist("files"))
                else:
                    services.update_triage(report, actor=request.user, before=before,
                                           expected_version=form.cleaned_data.get("version"))
            except ConflictError as exc:
                return self.render_form(report, form, status=409, conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": report.code})
                return HttpResponseRedirect(report.get_absolute_url())
        return self.render_form(report, form, status=400)


class PeriodReportView(LoginRequiredMixin, View):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD&format=pdf|xlsx``: the report of a period."""

    def get(self, request):
        today = timezone.localdate()
        try:
            start = datetime.date.fromisoformat(request.GET.get("from") or
                                                (today - datetime.timedelta(days=6)).isoformat())
            end = datetime.date.fromisoformat(request.GET.get("to") or today.isoformat())
        except ValueError:
            return render(request, "incidents/period.html", {
                "error": _("Give the dates as YYYY-MM-DD.")}, status=400)
        if end < start:
            return render(request, "incidents/period.html", {
                "error": _("The end date cannot be before the start date.")}, status=400)
        if "format" not in request.GET:
            return render(request, "incidents/period.html", {"start": start, "end": end})
        document = reporting.period_report(request.user, start, end)
        audit.record("export", actor=request.user, object_repr="laporan-periode",
                     message=f"{start}..{end}")
        name = f"laporan-{start:%Y%m%d}-{end:%Y%m%d}"
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(render_xlsx(document), content_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        response = HttpResponse(render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response


# --- public pages (no login) ------------------------------------------------------------------------

def _public_response(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class PublicReportView(View):
    """The citizen's form: no account, no JavaScript needed, rate-limited per client,
    with a honeypot field. CSRF protection stays on."""

    template_name = "incidents/public_form.html"

    def get(self, request):
        election = Election.active()
        return _public_response(request, self.template_name, {
            "form": PublicReportForm(), "election": election})

    def post(self, request):
        election = Election.active()
        form = PublicReportForm(data=request.POST, files=request.FILES)
        if election is None:
            return _public_response(request, self.template_name, {"form": form, "election": None},
                                    status=400)
        if request.POST.get("website"):
            # A bot filled the hidden field: thank it and save nothing.
            return _public_response(request, "incidents/public_thanks.html", {})
        if services.public_rate_limited(election, services.client_hash(client_ip(request))):
            conf = services.settings_for(election)
            form.is_valid()
            form.add_error(None, _(
                "Too many reports were sent from your connection in the last %(minutes)s "
                "minutes. Nothing was saved. Please try again later, or call the Desk "
                "Pilkada.") % {"minutes": conf.public_window_minutes})
            return _public_response(request, self.template_name,
                                    {"form": form, "election": election}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            tps = None
            if data.get("tps_number"):
                tps = services.find_tps(election, data["kelurahan"].pk, data["tps_number"])
                if tps is None:
                    form.add_error("tps_number", _("There is no TPS with this number in the chosen "
                                                   "kelurahan."))
            if form.is_valid():
                report = Report(election=election, category=data["category"],
                                kelurahan=data["kelurahan"], tps=tps,
                                location_note=data["location_note"],
                                occurred_at=data["occurred_at"], title=data["title"],
                                description=data["description"],
                                reporter_name=data["reporter_name"],
                                reporter_contact=data["reporter_contact"])
                try:
                    services.submit_public(report, ip=client_ip(request),
                                           files=request.FILES.getlist("files"))
                except services.RateLimited as exc:
                    form.add_error(None, exc.messages[0])
                    return _public_response(request, self.template_name,
                                            {"form": form, "election": election}, status=429)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        target = field if field in form.fields else None
                        if field == "tps":
                            target = "tps_number"
                        for message in errors:
                            form.add_error(target, message)
                else:
                    return HttpResponseRedirect(
                        reverse("incidents:public_status") + f"?kode={report.code}&baru=1")
        return _public_response(request, self.template_name, {"form": form, "election": election},
                                status=400)


PUBLIC_STEPS = [State.BARU, State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI,
                State.SELESAI]


class PublicStatusView(View):
    """The status of a report by its tracking code: category, day, place (kelurahan),
    state and the public note. No names, no internal notes; a wrong code gives the same
    answer whether or not it exists."""

    template_name = "incidents/public_status.html"

    def get(self, request):
        form = StatusLookupForm(request.GET or None)
        context = {"form": form, "just_sent": request.GET.get("baru") == "1"}
        status = 200
        if form.is_bound:
            report = services.public_status(request.GET.get("kode", "")) if form.is_valid() else None
            if report is None:
                context["not_found"] = True
                status = 404
            else:
                context["report"] = report
                context["steps"] = [{"code": s, "label": STATE_LABELS[s],
                                     "done": PUBLIC_STEPS.index(s) <= PUBLIC_STEPS.index(report.state)
                                     if report.state in PUBLIC_STEPS else False}
                                    for s in PUBLIC_STEPS]
                context["asked_code"] = services.normalise_code(request.GET.get("kode", ""))
        return _public_response(request, self.template_name, context, status=status)
