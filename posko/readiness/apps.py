from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class ReadinessConfig(AppConfig):
    name = "posko.readiness"
    label = "readiness"
    verbose_name = _("TPS readiness")

    def ready(self):
        shell.register_urls("kesiapan/", "posko.readiness.urls", order=35)
        shell.register_api("posko.readiness.api")
        shell.register_nav("readiness", _("Readiness"), "readiness:overview", order=35, more=True)

        from posko.readiness.services import compute

        compute.register()  # the job storing the components modules register (core.readiness)

        from posko.readiness import cards, executive, panels, report

        report.register()
        cards.register()
        panels.register()
        executive.register()  # its section of the executive dashboard (core.executive)
