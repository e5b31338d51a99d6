"""The joint decree's catalogue of prohibited acts of the election: every signed-in user reads
it; the Desk admin adds and edits acts (audited; an act named by a case keeps its code, type
and severity)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.views import ObjectEditView, PemdaWideAdminMixin
from posko.incidents import services
from posko.incidents.forms import ActForm
from posko.incidents.models import ProhibitedAct


class ActListView(LoginRequiredMixin, TemplateView):
    template_name = "incidents/act_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        if election is not None:
            services.acts_for(election)  # installs the catalogue on first use
        acts = (ProhibitedAct.objects.filter(election=election).annotate(n_cases=Count("cases"))
                if election else ProhibitedAct.objects.none())
        context.update(election=election, acts=acts, can_edit=self.request.user.is_desk_admin)
        return context


class ActEditView(PemdaWideAdminMixin, ObjectEditView):
    model = ProhibitedAct
    form_class = ActForm
    template_name = "incidents/simple_edit.html"

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return ProhibitedAct(election=self.request.election)

    def create(self, obj, *, actor):
        return self.update(obj, actor=actor, before=None)

    def update(self, obj, *, actor, before):
        return services.save_act(obj, actor=actor, before=before,
                                 expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("incidents:act_list")

    def get_context_data(self, **kwargs):
        obj = kwargs.get("object")
        return super().get_context_data(
            title=_("Prohibited act") + (f" {obj.code}" if obj and obj.pk else ""),
            back=reverse("incidents:act_list"), **kwargs)
