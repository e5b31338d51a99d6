from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class LogisticsConfig(AppConfig):
    name = "posko.logistics"
    label = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        shell.register_urls("logistik/", "posko.logistics.urls", order=20)
        shell.register_api("posko.logistics.api")
        shell.register_nav("logistics", _("Logistics"), "logistics:readiness", order=30)

        from posko.elections.signals import tps_changed
        from posko.logistics.services import requirements

        def recompute_for_tps(sender, election, tps_ids, **kwargs):
            # A TPS's DPT changed (edit, import, API): its requirements and readiness follow.
            requirements.recompute(election, tps_ids=tps_ids)

        tps_changed.connect(recompute_for_tps, dispatch_uid="logistics.recompute_for_tps",
                            weak=False)

        from posko.logistics import report

        report.register()

        from posko.core.dashboard import register_card
        from posko.logistics.cards import readiness_card

        register_card("logistics_readiness", readiness_card, order=20)

        from posko.logistics import indicators

        indicators.register()  # derived vulnerability indicators (logistik_*)

        from posko.core import constants
        from posko.core import requirements as core_requirements
        from posko.logistics.ballots import ballots_for_contest
        from posko.logistics.models import Item, ShortfallHistory

        # Which contests have ballots (read on every C.Hasil); where history comes from.
        constants.watch(Item, ShortfallHistory)
        core_requirements.register_ballot_provider(ballots_for_contest)

        from posko.logistics import retention

        retention.register()  # names on shipments anonymised when the election's retention ends

        from posko.logistics import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.logistics import readiness_component

        readiness_component.register()  # its readiness-index component (core.readiness)

        from posko.logistics import fieldforms

        fieldforms.register()  # its forms in the offline field app (core.field_forms)
