"""The incident settings of the request's election (targets per severity, duplicate window,
public rate limit, pledge threshold): the Desk admin edits them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core.views import AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView
from posko.incidents import services
from posko.incidents.forms import SettingsForm
from posko.incidents.models import IncidentSettings


class SettingsEditView(AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView):
    model = IncidentSettings
    form_class = SettingsForm
    template_name = "incidents/simple_edit.html"

    def can_create(self) -> bool:
        return True  # the row exists (created on first use); AdminOnlyMixin guards the page

    def new_object(self):
        return services.settings_for(self.election)

    def update(self, obj, *, actor, before):
        return services.update_settings(obj, actor=actor, before=before,
                                        expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("incidents:report_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=_("Report settings: targets per severity"),
                                        back=reverse("incidents:report_list"), **kwargs)
