from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from posko.core import shell


def _default_groups(sender, **kwargs):
    from posko.outreach.services.targets import ensure_default_groups

    ensure_default_groups()


class OutreachConfig(AppConfig):
    name = "posko.outreach"
    label = "outreach"
    verbose_name = _("Outreach and participation")

    def ready(self):
        shell.register_urls("sosialisasi/", "posko.outreach.urls", order=60)
        shell.register_api("posko.outreach.api")
        shell.register_nav("outreach", _("Outreach"), "outreach:activity_list", order=70)

        from posko.outreach import public

        public.register()  # its section of the public portal (core.public)

        from posko.outreach import retention

        retention.register()  # attendance sheets deleted when the election's retention ends

        # The default target groups (pemilih pemula, perempuan…) exist after every migrate.
        post_migrate.connect(_default_groups, sender=self, dispatch_uid="outreach.default_groups")

        from posko.outreach import report

        report.register()

        from posko.core.dashboard import register_card
        from posko.outreach.cards import outreach_card

        register_card("outreach_warning", outreach_card, order=40)

        from posko.core import constants
        from posko.elections.models import Contest

        constants.watch(Contest)  # the contests of the turnout pages (participation.py)

        from posko.outreach import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.outreach import readiness_component

        readiness_component.register()  # its readiness-index component (core.readiness)

        from posko.outreach import fieldforms

        fieldforms.register()  # its forms in the offline field app (core.field_forms)
