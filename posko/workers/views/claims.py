"""BPJS claims for an incident: added from the incident, changed later."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.scope import get_visible_or_404
from posko.workers import services
from posko.workers.forms import ClaimForm
from posko.workers.models import Claim, Worker
from posko.workers.views.common import incident_or_404


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
