from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class AccountsConfig(AppConfig):
    name = "posko.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # App loading: the signal receivers import models, which need the app registry ready.
        from posko.accounts import signals  # noqa: F401

        def managers(user):
            return getattr(user, "can_manage_users", False)

        shell.register_nav("users", _("Users"), "accounts:user_list", order=70, more=True,
                           visible=managers)
        from datetime import timedelta

        from posko.accounts.housekeeping import PURGE_TOKENS, purge_tokens_job
        from posko.core import jobs, schedule

        jobs.register_job(PURGE_TOKENS, purge_tokens_job)
        schedule.register_periodic(PURGE_TOKENS, timedelta(hours=1), PURGE_TOKENS,
                                   _("Delete expired API tokens"))

        shell.register_nav("audit", _("Audit log"), "audit_log", order=80, more=True,
                           visible=managers)
