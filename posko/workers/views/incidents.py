"""Incidents on duty: recorded for a worker, listed, seen and corrected."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.views import ObjectListView
from posko.workers import rules, services
from posko.workers.filters import IncidentFilter
from posko.workers.forms import IncidentForm
from posko.workers.models import Incident, Worker
from posko.workers.views.common import WorkerRecordAddView, incident_or_404


class IncidentAddView(WorkerRecordAddView):
    """An incident on duty, by the worker's registry editors or Dinas Kesehatan."""

    model = Incident
    form_class = IncidentForm

    @property
    def title(self):
        return _("Record an incident")

    def allowed(self, user, worker):
        return rules.can_record_incident(user) and (
            rules.can_screen(user) or Worker.objects.editable_by(user).filter(pk=worker.pk).exists())

    def new_record(self, worker):
        return Incident(worker=worker)

    def create(self, obj, *, actor):
        return services.record_incident(obj, actor=actor)

    def success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def success_message(self, obj) -> str:
        return _("Incident saved.")


class IncidentListView(ObjectListView):
    """The election's incidents in the user's region, newest first; ``?kind=`` narrows."""

    model = Incident
    filterset_class = IncidentFilter
    template_name = "workers/incident_list.html"
    export_name = "insiden-petugas"

    def export_header(self):
        return [_("Date"), _("Kind"), _("Worker"), _("Posting"), _("Place"), _("on duty"),
                "BPJS", _("Claims")]

    def export_rows(self, queryset):
        for i in queryset:
            yield [i.date, i.get_kind_display(), i.worker.full_name, i.worker.posting_label,
                   i.place, i.on_duty, _("covered") if i.covered else _("uncovered"), i.n_claims]

    def get_base_queryset(self):
        return (Incident.objects.filter(worker__election=self.request.election)
                .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
                .annotate(n_claims=Count("claims")).order_by("-date", "-pk"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        visible = Incident.objects.visible_to(self.request.user).filter(worker__election=election)
        context.update(election=election, kind=self.request.GET.get("kind", ""),
                       kinds=Incident.Kind.choices,
                       counts=dict(visible.values("kind").annotate(n=Count("pk"))
                                   .values_list("kind", "n")),
                       uncovered=visible.filter(covered=False).count())
        return context


class IncidentDetailView(LoginRequiredMixin, TemplateView):
    template_name = "workers/incident_detail.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        incident = incident_or_404(user, kwargs["pk"])
        can_edit = rules.can_screen(user) or Worker.objects.editable_by(user).filter(
            pk=incident.worker_id).exists()
        context.update(incident=incident, object=incident, worker=incident.worker,
                       claims=incident.claims.all(), can_edit=can_edit,
                       can_claim=can_edit and incident.covered and user.can_edit_registry,
                       form=form or (IncidentForm(instance=incident) if can_edit else None))
        return context

    def post(self, request, pk):
        incident = incident_or_404(request.user, pk)
        if not (rules.can_screen(request.user) or Worker.objects.editable_by(request.user).filter(
                pk=incident.worker_id).exists()):
            raise PermissionDenied
        before = audit.snapshot(incident)
        form = IncidentForm(data=request.POST, instance=incident)
        if form.is_valid():
            try:
                services.update_incident(form.instance, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Incident saved."))
                return HttpResponseRedirect(incident.get_absolute_url())
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)
