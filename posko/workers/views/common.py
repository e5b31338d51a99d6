"""What the worker pages share: a worker or incident in scope, the pages adding a record about
one worker (a screening, an incident: ``WorkerRecordAddView``) and the form about one worker
that is not one model's row (hours on duty: ``WorkerRecordFormView``)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.views.generic import TemplateView

from posko.core.scope import get_visible_or_404
from posko.core.views import ObjectEditView
from posko.workers.models import Incident, Worker


def worker_or_404(user, pk) -> Worker:
    return get_visible_or_404(Worker.objects.select_related("tps", "kelurahan", "kecamatan", "election"),
                              user, pk=pk)


def editable_worker(user, pk) -> Worker:
    worker = worker_or_404(user, pk)
    if not Worker.objects.editable_by(user).filter(pk=worker.pk).exists():
        raise PermissionDenied
    return worker


def incident_or_404(user, pk) -> Incident:
    return get_visible_or_404(Incident.objects.select_related("worker", "worker__tps",
                                                              "worker__kelurahan", "worker__kecamatan"),
                              user, pk=pk)


class WorkerRecordFormView(LoginRequiredMixin, TemplateView):
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


class WorkerRecordAddView(ObjectEditView):
    """A new row about one visible worker (``/<worker pk>/…/``) through the core edit view;
    ``allowed(user, worker)`` decides (403 otherwise), ``new_record(worker)`` builds the row."""

    template_name = "workers/form.html"
    title = ""
    worker = None

    def allowed(self, user, worker) -> bool:
        raise NotImplementedError

    def new_record(self, worker):
        raise NotImplementedError

    def initial_values(self, worker) -> dict:
        return {}

    def get_editable_object(self):
        # The pk in the URL is the worker's: the row itself is always new.
        self.worker = worker_or_404(self.request.user, self.kwargs["pk"])
        if not self.allowed(self.request.user, self.worker):
            raise PermissionDenied
        return self.new_record(self.worker)

    def get_form(self, obj, data=None):
        form = super().get_form(obj, data)
        if data is None:
            form.initial.update(self.initial_values(self.worker))
        return form

    def success_url(self, obj) -> str:
        return self.worker.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(object=self.worker, worker=self.worker,
                       title=f"{self.title}: {self.worker.full_name}")
        return context

