"""Reveal personal data with a reason (core.personal): a report's public reporters, a neutrality
case's ASN. POST only; 404 outside the user's view, 403 without the personal-data permission,
400 with the form's error on a short reason (nothing shown, nothing recorded)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views import View

from posko.core.personal import RevealViewMixin
from posko.incidents import privacy, services
from posko.incidents.models import Report
from posko.incidents.views.cases import CaseDetailView
from posko.incidents.views.reports import render_detail


class ReportRevealView(LoginRequiredMixin, RevealViewMixin, View):
    reveal_fields = privacy.REPORTER_FIELDS
    reveal_label = _("the reporters' names and contacts")

    def get_reveal_object(self):
        try:
            return Report.objects.visible_to(self.request.user).get(pk=self.kwargs["pk"])
        except (Report.DoesNotExist, ValueError):
            raise Http404 from None

    def reveal_values(self, report):
        return privacy.reporter_values(services.family(report))

    def render_reveal(self, report, *, revealed=None, reveal_form=None, status=200):
        return render_detail(self.request, report.pk, status=status, revealed=revealed,
                             reveal_form=reveal_form)


class CaseRevealView(RevealViewMixin, CaseDetailView):
    reveal_fields = privacy.CASE_FIELDS
    reveal_label = _("the name of the ASN")

    def get_reveal_object(self):
        return self.get_object()  # 404 outside the user's view

    def reveal_values(self, case):
        return privacy.case_values(case)

    def render_reveal(self, case, *, revealed=None, reveal_form=None, status=200):
        self.object = case
        context = self.get_context_data(object=case, revealed=revealed,
                                        reveal_form=reveal_form)
        return self.render_to_response(context, status=status)
