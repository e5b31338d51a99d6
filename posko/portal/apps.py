from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class PortalConfig(AppConfig):
    name = "posko.portal"
    label = "portal"
    verbose_name = _("Public portal")

    def ready(self):
        shell.register_urls("publik/", "posko.portal.urls", order=90)
        shell.register_public_link("portal", _("Public information: find your TPS, agenda, progress"),
                                   "portal:index", order=5)
        shell.register_nav("portal", _("Public portal"), "portal:settings_active", order=95,
                           more=True, visible=lambda user: getattr(user, "is_desk_admin", False))

        from posko.core import constants
        from posko.portal.models import PortalSettings

        constants.watch(PortalSettings)  # the switch and the sections (models.settings_for)

        from posko.portal import readiness, sections

        sections.register()  # the TPS finder (elections is a base app, not a module)
        readiness.register()  # read through core.readiness: no module imported
