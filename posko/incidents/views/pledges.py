"""ASN neutrality pledges: one per Pemda agency and election (the Desk admin records them)."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core.views import ObjectEditView, PemdaWideAdminMixin
from posko.incidents import services
from posko.incidents.forms import PledgeForm
from posko.incidents.models import Pledge


class PledgeListView(LoginRequiredMixin, TemplateView):
    """Every Pemda agency's pledge, unsigned and too-low coverage first."""

    template_name = "incidents/pledge_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        rows = services.pledge_overview(election) if election else []
        context.update(election=election, rows=rows,
                       unsigned=sum(1 for r in rows if r["problem"] == "unsigned"),
                       too_few=sum(1 for r in rows if r["problem"] == "too_few"),
                       settings=services.settings_for(election) if election else None,
                       can_edit=self.request.user.is_desk_admin)
        return context


class PledgeEditView(PemdaWideAdminMixin, ObjectEditView):
    model = Pledge
    form_class = PledgeForm
    template_name = "incidents/simple_edit.html"
    prefill = ("agency",)

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return Pledge(election=self.request.election)

    def create(self, obj, *, actor):
        return self.update(obj, actor=actor, before=None)

    def update(self, obj, *, actor, before):
        return services.save_pledge(obj, actor=actor, before=before,
                                    document=self.request.FILES.get("document"),
                                    expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("incidents:pledge_list")

    def get_context_data(self, **kwargs):
        obj = kwargs.get("object")
        return super().get_context_data(
            multipart=True, back=reverse("incidents:pledge_list"),
            title=_("Neutrality pledge") + (f": {obj.agency}" if obj and obj.agency_id else ""),
            **kwargs)


class PledgeDocumentView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            pledge = Pledge.objects.visible_to(request.user).get(pk=pk)
        except (Pledge.DoesNotExist, ValueError):
            raise Http404 from None
        if not pledge.document:
            raise Http404
        name = pledge.document.name
        try:
            handle = pledge.document.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        return FileResponse(handle, content_type=mimetypes.guess_type(name)[0] or
                            "application/octet-stream", filename=f"pakta-{pledge.pk}{extension}")
