from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell
from posko.core.schema import register_enum

ESCALATION = "incidents.escalate"


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

        from posko.incidents import public

        public.register()  # its section of the public portal (core.public)

        from posko.core import constants, jobs, schedule
        from posko.core.dashboard import register_card
        from posko.incidents import cards, indicators, report
        from posko.incidents.models import Category, IncidentSettings
        from posko.incidents.services.escalation import escalation_job

        constants.watch(Category, IncidentSettings)  # read on every report (intake)
        # The report states keep the schema name they had before other modules' "state".
        register_enum("StateEnum", "posko.incidents.models.State")
        from posko.core import incident_reports
        from posko.incidents.services.problems import open_problem_report

        incident_reports.register_provider(open_problem_report)
        indicators.register_derived_sources()
        jobs.register_job(ESCALATION, escalation_job, retries=2)
        schedule.register_periodic(ESCALATION, timedelta(minutes=1), ESCALATION,
                                   _("Incident escalation"))
        report.register()
        register_card("incidents_open", cards.open_card, order=30)

        from posko.incidents import retention

        retention.register()  # personal data anonymised when the election's retention ends

        from posko.incidents import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.incidents import readiness_component

        readiness_component.register()  # its readiness-index component (core.readiness)

        from posko.incidents import executive

        executive.register()  # its section of the executive dashboard (core.executive)

        from posko.incidents import fieldforms

        fieldforms.register()  # its forms in the offline field app (core.field_forms)
