"""Worker incidents and claims; the duty log per day."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.scope import get_visible_or_404
from posko.workers import rules, services
from posko.workers.forms import (
    ClaimForm,
    IncidentForm,
)
from posko.workers.models import Claim, DutyLog, Incident, Worker, WorkerSettings

# --- incidents and claims -----------------------------------------------------------------------

class IncidentListView(LoginRequiredMixin, TemplateView):
    template_name = "workers/incident_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        qs = (Incident.objects.visible_to(user).filter(worker__election=election)
              .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
              .annotate(n_claims=Count("claims")).order_by("-date", "-pk"))
        kind = self.request.GET.get("kind", "")
        if kind in Incident.Kind.values:
            qs = qs.filter(kind=kind)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        context.update(election=election, page=page, kind=kind, kinds=Incident.Kind.choices,
                       counts=dict(Incident.objects.visible_to(user).filter(worker__election=election)
                                   .values("kind").annotate(n=Count("pk")).values_list("kind", "n")),
                       uncovered=Incident.objects.visible_to(user).filter(
                           worker__election=election, covered=False).count())
        return context


def incident_or_404(user, pk) -> Incident:
    return get_visible_or_404(Incident.objects.select_related("worker", "worker__tps",
                                                              "worker__kelurahan", "worker__kecamatan"),
                              user, pk=pk)


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


class ClaimEditView(LoginRequiredMixin, TemplateView):
    """/insiden/<incident>/klaim/ adds a claim; /klaim/<claim>/ changes one."""

    template_name = "workers/form.html"

    def objects(self):
        user = self.request.user
        if self.request.resolver_match.url_name == "claim_add":
            incident = incident_or_404(user, self.kwargs["pk"])
            claim = Claim(incident=incident)
        else:
            claim = get_visible_or_404(Claim.objects.select_related("incident", "incident__worker"),
                                       user, pk=self.kwargs["pk"])
            incident = claim.incident
        if not (user.can_edit_registry
                and Worker.objects.editable_by(user).filter(pk=incident.worker_id).exists()):
            raise PermissionDenied
        return incident, claim

    def context(self, incident, form):
        return self.get_context_data(form=form, object=incident, title=_(
            "BPJS claim: %(name)s, %(incident)s") % {"name": incident.worker.full_name,
                                                     "incident": incident})

    def get(self, request, pk):
        incident, claim = self.objects()
        return self.render_to_response(self.context(incident, ClaimForm(instance=claim)))

    def post(self, request, pk):
        incident, claim = self.objects()
        before = audit.snapshot(claim) if claim.pk else None
        form = ClaimForm(data=request.POST, instance=claim)
        if form.is_valid():
            try:
                services.save_claim(form.instance, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Claim saved."))
                return HttpResponseRedirect(incident.get_absolute_url())
        return self.render_to_response(self.context(incident, form), status=400)


class DutyLogListView(LoginRequiredMixin, TemplateView):
    template_name = "workers/duty_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        if election is None:
            return context
        try:
            day = datetime.date.fromisoformat(self.request.GET.get("date", "")) \
                if self.request.GET.get("date") else election.voting_date
        except ValueError:
            day = election.voting_date
        threshold = WorkerSettings.for_election(election).duty_hours_threshold
        qs = (DutyLog.objects.visible_to(user).filter(worker__election=election, date=day)
              .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
              .order_by("-hours", "worker__full_name"))
        only_over = self.request.GET.get("over") == "1"
        if only_over:
            qs = qs.filter(hours__gt=threshold)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(election=election, day=day, threshold=threshold, page=page,
                       querystring=query.urlencode(), only_over=only_over,
                       over_count=DutyLog.objects.visible_to(user).filter(
                           worker__election=election, date=day, hours__gt=threshold).count())
        return context
