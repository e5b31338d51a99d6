"""The election's worker norms and rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core import services as core_services
from posko.workers.forms import (
    SettingsForm,
)
from posko.workers.models import WorkerSettings
from posko.workers.views.common import election_or_404


class SettingsView(LoginRequiredMixin, TemplateView):
    template_name = "workers/form.html"

    def obj(self):
        if not self.request.user.is_desk_admin:
            raise PermissionDenied
        return WorkerSettings.for_election(election_or_404(self.request))

    def get(self, request):
        obj = self.obj()
        return self.render_to_response(self.get_context_data(
            form=SettingsForm(instance=obj), object=obj, title=_("Worker norms and rules")))

    def post(self, request):
        obj = self.obj()
        before = audit.snapshot(obj)
        form = SettingsForm(data=request.POST, instance=obj)
        if form.is_valid():

            core_services.update(form.save(commit=False), actor=request.user, before=before)
            messages.success(request, _("Settings saved. Flags are recomputed when a worker is "
                                        "saved or imported again."))
            return HttpResponseRedirect(reverse("workers:settings"))
        return self.render_to_response(self.get_context_data(
            form=form, object=obj, title=_("Worker norms and rules")), status=400)
