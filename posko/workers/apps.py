from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell
from posko.core.schema import register_enum


class WorkersConfig(AppConfig):
    name = "posko.workers"
    label = "workers"
    verbose_name = _("Ad hoc workers")

    def ready(self):
        register_enum("ScreeningResultEnum", "posko.workers.models.Worker.Screening")
        shell.register_urls("petugas/", "posko.workers.urls", order=40)
        shell.register_api("posko.workers.api")
        shell.register_nav("workers", _("Workers"), "workers:worker_list", order=50)

        from posko.core import derived
        from posko.core.dashboard import register_card
        from posko.workers import cards, report
        from posko.workers.indicators import kpps_registered_elsewhere

        derived.register_source("kpps_luar_domisili", "workers.domicile", kpps_registered_elsewhere,
                                label=_("Workers"))
        report.register()
        register_card("workers_coverage", cards.coverage_card, order=30)

        from posko.workers import retention

        retention.register()  # personal data anonymised when the election's retention ends

        from posko.workers import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.workers import readiness_component

        readiness_component.register()  # its readiness-index component (core.readiness)

        from posko.workers import executive

        executive.register()  # its section of the executive dashboard (core.executive)
