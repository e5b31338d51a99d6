from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkersConfig(AppConfig):
    name = "posko.workers"
    label = "workers"
    verbose_name = _("Ad hoc workers")
