"""The election's retention page (Desk admins): the retention date, the dry-run report of
what a purge would anonymise, the approval that lets the purge run, and when it ran."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from posko.core.forms import StyledFormMixin
from posko.core.models import Job
from posko.core.services import ConflictError
from posko.core.views import AdminOnlyMixin
from posko.elections import retention
from posko.elections.models import Election


class RetentionDateForm(StyledFormMixin, forms.Form):
    retain_until = forms.DateField(label=gettext_lazy("Keep personal data until"),
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)


class ElectionRetentionView(AdminOnlyMixin, TemplateView):
    template_name = "elections/retention.html"
    election_kwarg = "pk"

    def row(self):
        election = get_object_or_404(Election.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        return retention.for_election(election)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        row = kwargs.get("row") or self.row()
        report = retention.report(row.election_id)
        context.update(
            row=row, election=row.election, report=report, totals=retention.totals(report),
            due=retention.is_due(row), default_months=retention.DEFAULT_MONTHS,
            form=form or RetentionDateForm(initial={"retain_until": row.retain_until,
                                                    "version": row.version}),
            jobs=Job.objects.filter(kind=retention.PURGE_JOB,
                                    params__election=row.election_id).order_by("-pk")[:5])
        return context

    def post(self, request, *args, **kwargs):
        row = self.row()
        if request.POST.get("action") == "approve":
            try:
                version = int(request.POST.get("version", ""))
            except (TypeError, ValueError):
                version = -1
            try:
                job = retention.approve(row, actor=request.user, expected_version=version)
            except ConflictError as exc:
                messages.error(request, exc.messages[0])
                return HttpResponseRedirect(request.path)
            if job is not None:
                messages.success(request, _("The purge is approved and queued."))
            else:
                messages.success(request, _("The purge is approved: it runs on %(date)s.") % {
                    "date": row.retain_until.strftime("%d-%m-%Y")})
            return HttpResponseRedirect(request.path)
        form = RetentionDateForm(request.POST)
        if form.is_valid():
            try:
                retention.set_date(row, form.cleaned_data["retain_until"], actor=request.user,
                                   expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                status = 409 if isinstance(exc, ConflictError) else 400
                row.refresh_from_db()
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    form.add_error(None, exc.messages[0])
            else:
                messages.success(request, _("Retention date saved."))
                return HttpResponseRedirect(request.path)
            return self.render_to_response(self.get_context_data(form=form, row=row), status=status)
        return self.render_to_response(self.get_context_data(form=form, row=row), status=400)
