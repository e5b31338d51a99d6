from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "posko.coordination"
    label = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        from posko.coordination import report

        report.register()  # daily-report sections + the default letterhead provider

        from posko.coordination.dashboard import cards
        from posko.core.dashboard import register_card

        register_card("coordination", cards, order=10)

        from posko.coordination.task_provider import CoordinationTaskProvider
        from posko.core import tasks

        tasks.register_provider(CoordinationTaskProvider())

        from posko.coordination.notify import notify
        from posko.core import notify as core_notify

        def provide(user, kind, title, *, key, url="", body=""):
            return notify(user, kind, title, key=key, url=url, body=body) is not None

        core_notify.register_provider(provide)
