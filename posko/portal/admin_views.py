"""The Desk admin's page: switch an election's portal on or off and choose its sections."""

from __future__ import annotations

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from posko.core.views import AdminOnlyMixin, ObjectEditView
from posko.elections.models import Election
from posko.portal import services
from posko.portal.forms import PortalSettingsForm
from posko.portal.models import PortalSettings


class SettingsEditView(AdminOnlyMixin, ObjectEditView):
    model = PortalSettings
    form_class = PortalSettingsForm
    template_name = "portal/settings.html"

    def can_create(self) -> bool:
        return True  # one row per election, created on first use; AdminOnlyMixin guards

    def new_object(self):
        election = get_object_or_404(Election.objects.visible_to(self.request.user),
                                     pk=self.kwargs["election_id"])
        return services.settings_for(election)

    def _object(self):
        return self.new_object()

    def update(self, obj, *, actor, before):
        return services.update_settings(obj, actor=actor, before=before,
                                        expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("portal:settings", args=[obj.election_id])

    def success_message(self, obj) -> str:
        return _("Public portal saved: %(election)s.") % {"election": obj.election}

    def get_context_data(self, **kwargs):
        obj = kwargs.get("object")
        return super().get_context_data(
            title=_("Public portal"), back=reverse("elections:election_detail",
                                                   args=[self.kwargs["election_id"]]),
            public_url=reverse("portal:election", args=[self.kwargs["election_id"]]),
            is_public=getattr(obj, "is_public", False), **kwargs)


class SettingsActiveView(AdminOnlyMixin, View):
    """The nav's entry: the settings of the election the admin works on."""

    def get(self, request):
        if request.election is None:
            raise Http404(_("There is no active election."))
        return HttpResponseRedirect(reverse("portal:settings", args=[request.election.pk]))
