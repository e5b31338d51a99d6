"""Report pages: list, detail, triage transitions, comments, evidence, merge, task, create/edit."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit, clock, personal, tasks
from posko.core.evidence_files import original_response
from posko.core.views import ObjectEditView, ObjectListView
from posko.incidents import privacy, services
from posko.incidents.filters import ReportFilter
from posko.incidents.forms import (
    CommentForm,
    EvidenceForm,
    ReportForm,
    TransitionForm,
)
from posko.incidents.models import Evidence, Report
from posko.incidents.views.common import STATE_LABELS, ReportMixin, flag


class ReportListView(ReportMixin, ObjectListView):
    filterset_class = ReportFilter
    template_name = "incidents/report_list.html"
    export_name = "laporan"
    paginate_by = 50

    @cached_property
    def election(self):
        return self.request.election

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
                       refreshed_at=clock.now())
        return context

    def export_header(self):
        return [_("code"), _("received"), _("happened at"), _("category"), _("stage"),
                _("kecamatan"), _("kelurahan"), _("TPS"), _("title"), _("description"),
                _("severity"), _("state"), _("source"), _("assigned agency"),
                _("forwarded to"), _("past target"), _("closed at")]

    def export_rows(self, queryset):
        now = clock.now()
        for r in queryset.iterator(chunk_size=2000):
            yield [r.code, r.created_at, r.occurred_at, r.category.name,
                   r.stage.name if r.stage_id else "", r.kecamatan.name,
                   r.kelurahan.name if r.kelurahan_id else "", r.tps.label if r.tps_id else "",
                   r.title, r.description, r.get_severity_display(), r.get_state_display(),
                   r.get_source_display(), r.agency.name if r.agency_id else "",
                   r.get_forwarded_to_display(), _("yes") if r.overdue(now) else "",
                   r.resolved_at]


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
                  evidence_form=None, conflict=None, revealed=None, reveal_form=None):
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
    # Public reporters' identity is masked for everyone; revealed per report (views.privacy).
    reporters = []
    for r in [report, *merged]:
        if r.source == Report.Source.PUBLIC:
            clear = (revealed or {}).get(r.pk)
            reporters.append({"report": r, "public": True,
                              "name": clear["name"] if clear else privacy.reporter_name(r),
                              "contact": clear["contact"] if clear
                              else privacy.reporter_contact(r)})
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
        "can_reveal": personal.may_reveal(user) and any(p["public"] for p in reporters),
        "can_download_originals": personal.may_reveal(user),
        "revealed": revealed, "reveal_form": reveal_form or personal.RevealForm(),
    }
    return render(request, "incidents/report_detail.html", context, status=status)


class ReportDetailView(ReportMixin, View):
    def get(self, request, pk):
        return render_detail(request, pk)


class ReportTransitionView(ReportMixin, ObjectEditView):
    """POST only: the triage panel of the detail page. Errors (and a stale version: 409 with
    the other person's change named) are shown on the detail page."""

    http_method_names = ["post"]
    form_class = TransitionForm

    def get_editable_object(self):
        report = self.get_object()
        user = self.request.user
        if not services.allowed_states(user, report) and not (
                services.can_triage(user, report) or services.is_follower(user, report)):
            raise PermissionDenied
        return report

    def update(self, obj, *, actor, before):
        data = self.form.cleaned_data
        return services.transition(obj, data["state"], actor=actor,
                                   expected_version=self.expected_version(), note=data["note"],
                                   agency=data["agency"], forwarded_to=data["forwarded_to"],
                                   assignee=data["assignee"], public_note=data["public_note"])

    def success_message(self, obj) -> str:
        return _("%(code)s is now %(state)s.") % {"code": obj.code,
                                                  "state": STATE_LABELS[obj.state]}

    def render_form(self, obj, form, *, status=200, conflict=None):
        return render_detail(self.request, obj.pk, status=status, transition_form=form,
                             conflict=conflict)


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


class EvidenceOriginalView(LoginRequiredMixin, View):
    """The evidence file as received (with its metadata; the bytes its SHA-256 is of), as a
    download for users with the personal-data permission who may see its report; audited.
    Others: 404 outside their scope, 403 inside it."""

    def get(self, request, pk):
        evidence = Evidence.objects.select_related("report").filter(pk=pk).first()
        if evidence is None or not Report.objects.visible_to(request.user).filter(
                pk=evidence.report_id).exists():
            raise Http404
        name = evidence.original.name
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return original_response(
            request, evidence, evidence.original,
            allowed=request.user.can_see_personal_data,
            message=_("original evidence file downloaded (SHA-256 %(sha)s)") % {
                "sha": evidence.sha256},
            filename=f"{evidence.report.code}-{evidence.pk}-asli{extension}")


class ReportEditView(ReportMixin, ObjectEditView):
    """Create (``report_add``) or edit (``report_edit``, triagers) a report."""

    form_class = ReportForm
    template_name = "incidents/report_edit.html"
    prefill = ("category", "kecamatan", "kelurahan", "tps")

    def get_editable_object(self):
        report = self.get_object()
        if not services.can_triage(self.request.user, report) or report.merged_into_id:
            raise PermissionDenied
        return report

    def can_create(self) -> bool:
        return services.can_report(self.request.user)

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return Report(election=self.request.election)

    def get_form(self, obj, data=None):
        self.report = obj
        return super().get_form(obj, data)

    def form_kwargs(self) -> dict:
        return {"election": self.report.election}

    def create(self, obj, *, actor):
        return services.create_report(obj, actor=actor, files=self.request.FILES.getlist("files"))

    def update(self, obj, *, actor, before):
        return services.update_triage(obj, actor=actor, before=before,
                                      expected_version=self.expected_version())

    def success_message(self, obj) -> str:
        return _("Saved: %(object)s.") % {"object": obj.code}
