"""ASN neutrality pages (pledges per agency, neutrality cases and their statistics) and
the admin pages of the module (categories, settings)."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit
from posko.core import services as core_services
from posko.core.views import ObjectEditView, PemdaWideAdminMixin
from posko.incidents import services
from posko.incidents.forms import CaseForm, CategoryForm, PledgeForm, SettingsForm
from posko.incidents.models import Category, NeutralityCase, Pledge, Report


def _election(request):
    election = request.election
    if election is None:
        raise Http404(_("There is no active election yet."))
    return election


class PledgeListView(LoginRequiredMixin, TemplateView):
    """Every Pemda agency's pledge, unsigned and too-low coverage first."""

    template_name = "incidents/pledge_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        rows = services.pledge_overview(election) if election else []
        context.update(election=election, rows=rows,
                       unsigned=sum(1 for r in rows if r["problem"] == "unsigned"),
                       too_few=sum(1 for r in rows if r["problem"] == "too_few"),
                       settings=services.settings_for(election) if election else None,
                       can_edit=self.request.user.is_desk_admin)
        return context


class PledgeEditView(PemdaWideAdminMixin, ObjectEditView):
    model = Pledge
    form_class = PledgeForm
    template_name = "incidents/simple_edit.html"
    prefill = ("agency",)

    def new_object(self):
        return Pledge(election=_election(self.request))

    def create(self, obj, *, actor):
        return self.update(obj, actor=actor, before=None)

    def update(self, obj, *, actor, before):
        return services.save_pledge(obj, actor=actor, before=before,
                                    document=self.request.FILES.get("document"),
                                    expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("incidents:pledge_list")

    def get_context_data(self, **kwargs):
        obj = kwargs.get("object")
        return super().get_context_data(
            multipart=True, back=reverse("incidents:pledge_list"),
            title=_("Neutrality pledge") + (f": {obj.agency}" if obj and obj.agency_id else ""),
            **kwargs)


class PledgeDocumentView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            pledge = Pledge.objects.visible_to(request.user).get(pk=pk)
        except (Pledge.DoesNotExist, ValueError):
            raise Http404 from None
        if not pledge.document:
            raise Http404
        name = pledge.document.name
        try:
            handle = pledge.document.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return FileResponse(handle, content_type=mimetypes.guess_type(name)[0] or
                            "application/octet-stream", filename=f"pakta-{pledge.pk}{extension}")


def case_name(case, user) -> str:
    return case.asn_name if user.can_see_personal_data else services.mask_name(case.asn_name)


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/case_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        cases = NeutralityCase.objects.visible_to(user).select_related("agency", "report")
        if election:
            cases = cases.filter(election=election)
        else:
            cases = cases.none()
        breach = self.request.GET.get("type")
        if breach in NeutralityCase.BreachType.values:
            cases = cases.filter(breach_type=breach)
        rows = list(cases[:500])
        for case in rows:
            case.display_name = case_name(case, user)
        stats: dict[str, dict] = {}
        for agency, kind, n in cases.order_by().values_list("agency__name", "breach_type").annotate(
                n=Count("pk")).values_list("agency__name", "breach_type", "n"):
            entry = stats.setdefault(agency, {"kode_etik": 0, "disiplin": 0, "total": 0})
            entry[kind] += n
            entry["total"] += n
        by_sanction = list(cases.order_by().values("sanction").annotate(n=Count("pk"))
                           .order_by("sanction"))
        for row in by_sanction:
            row["label"] = NeutralityCase.Sanction(row["sanction"]).label if row["sanction"] in \
                NeutralityCase.Sanction.values else row["sanction"]
        context.update(election=election, cases=rows, stats=sorted(stats.items()),
                       by_sanction=by_sanction, types=NeutralityCase.BreachType.choices,
                       can_edit=user.is_desk_admin, chosen_type=breach or "")
        return context


class CaseDetailView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        try:
            case = NeutralityCase.objects.visible_to(user).select_related("agency", "report").get(
                pk=self.kwargs["pk"])
        except (NeutralityCase.DoesNotExist, ValueError):
            raise Http404 from None
        case.display_name = case_name(case, user)
        report_visible = bool(case.report_id) and Report.objects.visible_to(user).filter(
            pk=case.report_id).exists()
        context.update(case=case, object=case, can_edit=user.is_desk_admin,
                       report_visible=report_visible, history=audit.history(case)[:50])
        return context


class CaseEditView(PemdaWideAdminMixin, ObjectEditView):
    model = NeutralityCase
    form_class = CaseForm
    template_name = "incidents/simple_edit.html"

    def new_object(self):
        report_id = self.request.GET.get("report") or self.request.POST.get("report")
        if report_id and report_id.isdigit():
            try:
                report = Report.objects.visible_to(self.request.user).get(pk=int(report_id))
            except Report.DoesNotExist:
                raise Http404 from None
            return services.case_from_report(report)
        return NeutralityCase(election=_election(self.request))

    def create(self, obj, *, actor):
        return self.update(obj, actor=actor, before=None)

    def update(self, obj, *, actor, before):
        return services.save_case(obj, actor=actor, before=before,
                                  expected_version=self.expected_version())

    def get_context_data(self, **kwargs):
        obj = kwargs.get("object")
        return super().get_context_data(
            title=_("Neutrality case") + (f" #{obj.pk}" if obj and obj.pk else ""),
            extra_hidden={"report": obj.report_id} if obj and obj.report_id and not obj.pk else {},
            back=obj.get_absolute_url() if obj and obj.pk else reverse("incidents:case_list"),
            **kwargs)


class CategoryListView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/category_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        services.active_categories()
        context.update(categories=Category.objects.select_related("default_agency"),
                       can_edit=self.request.user.is_desk_admin)
        return context


class CategoryEditView(ObjectEditView):
    """Add or change a report category (desk admins; the generic edit view audits it)."""

    model = Category
    form_class = CategoryForm
    template_name = "incidents/simple_edit.html"

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin

    def success_url(self, obj) -> str:
        return reverse("incidents:category_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Report category"),
                                        back=reverse("incidents:category_list"), **kwargs)


class SettingsEditView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/simple_edit.html"

    def _object(self):
        if not self.request.user.is_desk_admin:
            raise PermissionDenied
        return services.settings_for(_election(self.request))

    def _render(self, form, obj, status=200):
        return self.render_to_response(self.get_context_data(
            form=form, object=obj, title=_("Report settings: targets per severity"),
            back=reverse("incidents:report_list")), status=status)

    def get(self, request, *args, **kwargs):
        obj = self._object()
        return self._render(SettingsForm(instance=obj), obj)

    def post(self, request, *args, **kwargs):
        obj = self._object()
        before = audit.snapshot(obj)
        form = SettingsForm(data=request.POST, instance=obj)
        if form.is_valid():
            obj = form.save(commit=False)
            try:
                core_services.update(obj, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": obj})
                return HttpResponseRedirect(reverse("incidents:report_list"))
        return self._render(form, obj, status=400)
