from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell
from posko.core.schema import register_enum


def _may_see_log(user) -> bool:
    return bool(getattr(user, "can_edit_registry", False))


class SmsConfig(AppConfig):
    name = "posko.sms"
    label = "sms"
    verbose_name = _("SMS intake")

    def ready(self):
        shell.register_urls("sms/", "posko.sms.urls", order=57)
        shell.register_api("posko.sms.api")
        shell.register_nav("sms", _("SMS"), "sms:message_list", order=66, more=True,
                           visible=_may_see_log)
        register_enum("SmsStatusEnum", "posko.sms.models.Status")

        from posko.sms import panels

        panels.register()  # the latest SMS on the TPS page (core.tps_panels)

        from posko.core import jobs
        from posko.sms.services.intake import SEND_JOB
        from posko.sms.services.outbound import send_reply

        jobs.register_job(SEND_JOB, send_reply, retries=5, backoff=30)  # the reply, when the
        # gateway needs it sent through its own URL (POSKO_SMS_OUTBOUND_URL)
