from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class IncidentsConfig(AppConfig):
    name = "posko.incidents"
    label = "incidents"
    verbose_name = _("Reports and ASN neutrality")

    def ready(self):
        shell.register_urls("laporan/", "posko.incidents.urls", order=50)
        shell.register_api("posko.incidents.api")
        shell.register_nav("incidents", _("Incidents"), "incidents:situation", order=60)
        shell.register_public_link("public-report", _("Report an election violation without an account"),
                                   "incidents:public_report", order=10, primary=True)
        shell.register_public_link("public-status", _("Check the status of a report you sent"),
                                   "incidents:public_status", order=20)

        from posko.core.dashboard import register_card
        from posko.incidents import report, services

        services.register_derived_sources()
        report.register()
        register_card("incidents_open", report.open_card, order=30)
