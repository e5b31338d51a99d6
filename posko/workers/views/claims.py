"""BPJS claims for an incident: added from the incident, changed later."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from posko.core.views import ObjectEditView
from posko.workers import services
from posko.workers.forms import ClaimForm
from posko.workers.models import Claim, Incident, Worker, WorkerSettings
from posko.workers.views.common import incident_or_404


class ClaimEditView(ObjectEditView):
    """/insiden/<incident>/klaim/ adds a claim; /klaim/<claim>/ changes one. The registry
    editors of the worker's posting only."""

    model = Claim
    form_class = ClaimForm
    template_name = "workers/form.html"
    incident = None

    def get_base_queryset(self):
        return Claim.objects.select_related("incident", "incident__worker")

    def get_editable_object(self):
        user = self.request.user
        if self.request.resolver_match.url_name == "claim_add":
            self.incident = incident_or_404(user, self.kwargs["pk"])
            claim = Claim(incident=self.incident)
            if self.incident.kind == Incident.Kind.MENINGGAL:  # prefilled with the regulated JKM
                claim.programme = Claim.Programme.JKM
                claim.amount = self.settings().jkm_benefit
        else:
            claim = self.get_object()  # 404 first
            self.incident = claim.incident
        if not (user.can_edit_registry
                and Worker.objects.editable_by(user).filter(pk=self.incident.worker_id).exists()):
            raise PermissionDenied
        return claim

    def settings(self) -> WorkerSettings:
        return WorkerSettings.for_election(self.incident.worker.election)

    def form_kwargs(self) -> dict:
        settings = self.settings()
        return {"regulated": (settings.jkm_benefit, settings.jkm_regulation)}

    def create(self, obj, *, actor):
        return services.save_claim(obj, actor=actor)

    def update(self, obj, *, actor, before):
        return services.save_claim(obj, actor=actor, before=before)

    def success_url(self, obj) -> str:
        return self.incident.get_absolute_url()

    def success_message(self, obj) -> str:
        return _("Claim saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(object=self.incident, claim=kwargs.get("object"), title=_(
            "BPJS claim: %(name)s, %(incident)s") % {"name": self.incident.worker.full_name,
                                                     "incident": self.incident})
        return context
