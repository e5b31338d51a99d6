from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "posko.incidents"
    label = "incidents"
    verbose_name = _("Reports and ASN neutrality")

    def ready(self):
        from posko.core.dashboard import register_card
        from posko.incidents import report, services

        services.register_derived_sources()
        report.register()
        register_card("incidents_open", report.open_card, order=30)
