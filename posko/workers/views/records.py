"""A worker's records: health screening, BPJS coverage, incidents, duty log entries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.workers import rules, services
from posko.workers.forms import (
    CoverageForm,
    DutyForm,
    IncidentForm,
    ScreeningForm,
)
from posko.workers.models import Incident, Screening, Worker
from posko.workers.views.common import worker_or_404

# --- screening, coverage, incidents, duty ------------------------------------------------------

class _WorkerFormView(LoginRequiredMixin, TemplateView):
    """A form about one visible worker; ``allowed(user, worker)`` decides (403 otherwise)."""

    template_name = "workers/form.html"
    form_class = None
    title = ""

    def allowed(self, user, worker) -> bool:
        raise NotImplementedError

    def get_worker(self, pk):
        worker = worker_or_404(self.request.user, pk)
        if not self.allowed(self.request.user, worker):
            raise PermissionDenied
        return worker

    def make_form(self, worker, data=None):
        return self.form_class(data=data, user=self.request.user)

    def context(self, worker, form):
        return self.get_context_data(form=form, object=worker, worker=worker,
                                     title=f"{self.title}: {worker.full_name}")

    def get(self, request, pk):
        worker = self.get_worker(pk)
        return self.render_to_response(self.context(worker, self.make_form(worker)))

    def post(self, request, pk):
        worker = self.get_worker(pk)
        form = self.make_form(worker, request.POST)
        if form.is_valid():
            try:
                self.save(worker, form)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return HttpResponseRedirect(self.success_url(worker))
        return self.render_to_response(self.context(worker, form), status=400)

    def success_url(self, worker):
        return worker.get_absolute_url()


class ScreeningAddView(_WorkerFormView):
    form_class = ScreeningForm

    @property
    def title(self):
        return _("Health screening")

    def allowed(self, user, worker):
        return rules.can_screen(user)

    def make_form(self, worker, data=None):
        return ScreeningForm(data=data, instance=Screening(worker=worker),
                             initial={"date": timezone.localdate()})

    def save(self, worker, form):
        services.record_screening(form.instance, actor=self.request.user)
        messages.success(self.request, _("Screening recorded."))


class CoverageEditView(_WorkerFormView):
    form_class = CoverageForm

    @property
    def title(self):
        return _("BPJS Ketenagakerjaan")

    def allowed(self, user, worker):
        return rules.can_manage_bpjs(user) and Worker.objects.editable_by(user).filter(pk=worker.pk).exists()

    def make_form(self, worker, data=None):
        self.before = services.snapshot(worker)
        return CoverageForm(data=data, instance=worker)

    def save(self, worker, form):
        services.set_coverage(form.instance, actor=self.request.user, before=self.before)
        messages.success(self.request, _("Coverage saved."))


class IncidentAddView(_WorkerFormView):
    form_class = IncidentForm

    @property
    def title(self):
        return _("Record an incident")

    def allowed(self, user, worker):
        return rules.can_record_incident(user) and (
            rules.can_screen(user) or Worker.objects.editable_by(user).filter(pk=worker.pk).exists())

    def make_form(self, worker, data=None):
        self.incident = Incident(worker=worker)
        return IncidentForm(data=data, instance=self.incident)

    def save(self, worker, form):
        services.record_incident(form.instance, actor=self.request.user)

    def success_url(self, worker):
        return self.incident.get_absolute_url()


class DutyLogAddView(_WorkerFormView):
    form_class = DutyForm

    @property
    def title(self):
        return _("Hours on duty")

    def allowed(self, user, worker):
        return Worker.objects.editable_by(user).filter(pk=worker.pk).exists()

    def make_form(self, worker, data=None):
        return DutyForm(data=data, initial={"date": worker.election.voting_date})

    def save(self, worker, form):
        _row, over = services.log_duty(worker, day=form.cleaned_data["date"],
                                       hours=form.cleaned_data["hours"],
                                       note=form.cleaned_data["note"], actor=self.request.user)
        if over:
            messages.warning(self.request, _("%(name)s is over the duty-hours limit: arrange a "
                                             "rest or a replacement.") % {"name": worker.full_name})
        else:
            messages.success(self.request, _("Hours recorded."))
