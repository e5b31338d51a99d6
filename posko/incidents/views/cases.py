"""ASN neutrality cases: the list with its statistics, a case, and its edit page (the Desk
admin; a case may start from a neutrality report)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.views import ObjectDetailView, ObjectEditView, PemdaWideAdminMixin
from posko.incidents import services, stats
from posko.incidents.filters import CaseFilter
from posko.incidents.forms import CaseForm
from posko.incidents.models import NeutralityCase, Report


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
        cases = CaseFilter(self.request.GET, queryset=cases, request=self.request).qs
        rows = list(cases[:500])
        for case in rows:
            case.display_name = case_name(case, user)
        context.update(election=election, cases=rows, stats=stats.cases_per_agency(cases),
                       by_sanction=stats.cases_per_sanction(cases),
                       types=NeutralityCase.BreachType.choices, can_edit=user.is_desk_admin,
                       chosen_type=self.request.GET.get("type") or "")
        return context


class CaseDetailView(ObjectDetailView):
    """A case (404 outside the user's view: region operators see none; an agency operator
    only the agency's); the Desk admin may edit it."""

    model = NeutralityCase
    queryset = NeutralityCase.objects.select_related("agency", "report")
    template_name = "incidents/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        case = context.get("object")
        if case is not None:
            case.display_name = case_name(case, user)
            report_visible = bool(case.report_id) and Report.objects.visible_to(user).filter(
                pk=case.report_id).exists()
            context.update(case=case, report_visible=report_visible,
                           history=audit.history(case)[:50])
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
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return NeutralityCase(election=self.request.election)

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
