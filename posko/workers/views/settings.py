"""The election's worker norms and rules (the Desk admin's)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core.views import AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView
from posko.workers import services
from posko.workers.forms import SettingsForm
from posko.workers.models import WorkerSettings


class SettingsView(AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView):
    """The request's election's row (created on first use); a stale save is the core 409 page."""

    model = WorkerSettings
    form_class = SettingsForm
    template_name = "workers/form.html"

    def can_create(self) -> bool:
        return True  # the row exists (for_election); only the Desk admin gets here

    def new_object(self):
        return WorkerSettings.for_election(self.election)

    def update(self, obj, *, actor, before):
        return services.update_settings(obj, actor=actor, before=before,
                                        expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("workers:settings")

    def success_message(self, obj) -> str:
        return _("Settings saved. Flags are recomputed when a worker is saved or imported again.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Worker norms and rules")
        return context
