"""ASN neutrality cases: the list with its statistics (and its CSV export), a case, and its
edit page (the Desk admin; a case may start from a neutrality report)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit, personal
from posko.core.exports import csv_response
from posko.core.views import ObjectDetailView, ObjectEditView, PemdaWideAdminMixin
from posko.incidents import privacy, services, stats
from posko.incidents.filters import CaseFilter
from posko.incidents.forms import CaseForm
from posko.incidents.models import NeutralityCase, Report


def case_name(case, user=None) -> str:
    """The ASN's name as every page and export shows it: masked (revealed one case at a time,
    views.privacy)."""
    return privacy.case_name(case)


class CaseListView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/case_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        cases = self.cases()
        rows = list(cases[:500])
        for case in rows:
            case.display_name = case_name(case, user)
        context.update(election=election, cases=rows, stats=stats.cases_per_agency(cases),
                       by_sanction=stats.cases_per_sanction(cases),
                       types=NeutralityCase.BreachType.choices, can_edit=user.is_desk_admin,
                       chosen_type=self.request.GET.get("type") or "",
                       by_act=stats.cases_per_act(cases))
        return context

    def cases(self):
        election = self.request.election
        cases = NeutralityCase.objects.visible_to(self.request.user).select_related(
            "agency", "report", "prohibited_act", "kecamatan", "kelurahan")
        cases = cases.filter(election=election) if election else cases.none()
        return CaseFilter(self.request.GET, queryset=cases, request=self.request).qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return self.export()
        return super().get(request, *args, **kwargs)

    def export(self):
        """The cases as CSV, with the act and its severity (names masked as on the page)."""
        user = self.request.user
        header = [_("case"), _("agency"), _("name of the ASN"), _("position"),
                  _("kecamatan of the office"), _("kelurahan of the office"), _("happened on"),
                  _("act code"), _("act of the joint decree"), _("sanction at least"),
                  _("type of breach"), _("status"), _("sanction imposed"), _("sanction date"),
                  _("reason for a lighter sanction")]

        def rows():
            for c in self.cases().iterator(chunk_size=500):
                act = c.prohibited_act
                yield [c.pk, c.agency.name, case_name(c, user), c.asn_position,
                       c.kecamatan.name if c.kecamatan_id else "",
                       c.kelurahan.name if c.kelurahan_id else "", c.occurred_on,
                       act.code if act else "", act.description if act else _("act not named"),
                       act.get_severity_display() if act else "", c.get_breach_type_display(),
                       c.get_status_display(), c.get_sanction_display(), c.sanction_date,
                       c.lighter_sanction_reason]

        # The names are masked, so no purpose is asked; the row count is recorded all the same.
        count = self.cases().count()
        audit.record("export", actor=user, object_repr="kasus-netralitas",
                     after={"rows": count, "format": "csv", "data": ["asn_name (masked)"],
                            "filter": self.request.GET.urlencode()},
                     message=_("csv: %(count)s rows, filter: %(filter)s") % {
                         "count": count, "filter": self.request.GET.urlencode() or "-"})
        return csv_response("kasus-netralitas.csv", header, rows())


class CaseDetailView(ObjectDetailView):
    """A case (404 outside the user's view: region operators see none; an agency operator
    only the agency's); the Desk admin may edit it."""

    model = NeutralityCase
    queryset = NeutralityCase.objects.select_related("agency", "report", "prohibited_act",
                                                     "kecamatan", "kelurahan")
    template_name = "incidents/case_detail.html"

    def get_context_data(self, revealed=None, reveal_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        case = context.get("object")
        if case is not None:
            case.display_name = revealed["asn_name"] if revealed else case_name(case, user)
            context.update(can_reveal=personal.may_reveal(user), revealed=revealed,
                           reveal_form=reveal_form or personal.RevealForm())
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
