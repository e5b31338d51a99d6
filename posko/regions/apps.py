from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "posko.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self):
        # App loading: models can only be imported once the app registry is ready.
        from posko.core import constants
        from posko.core.scope import register_pemda_provider
        from posko.regions.models import Pemda

        constants.watch(Pemda)
        register_pemda_provider(Pemda.current)
