from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "posko.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from posko.core import election, lookups

        election.install()  # request.election
        lookups.register()  # out-of-range integers in lookups: an empty result, not a 500
