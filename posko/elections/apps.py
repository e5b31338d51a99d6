from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import constants, shell
from posko.core import election as request_election


class ElectionsConfig(AppConfig):
    name = "posko.elections"
    label = "elections"
    verbose_name = _("Elections")

    def ready(self):
        from posko.elections.models import Election, Stage

        constants.watch(Election, Stage)
        request_election.register_provider(Election.active, Election.cached)
        shell.register_header("elections.switch", "elections/_election_switch.html", order=5)
        from posko.elections.executive import may_view

        shell.register_nav("executive", _("Executive"), "elections:executive", order=5,
                           visible=may_view)
        shell.register_nav("regions", _("Regions"), "regions:kecamatan_list", order=20, more=True)
        shell.register_nav("tps", _("TPS"), "elections:tps_list", order=30, more=True)
        shell.register_nav("elections", _("Elections"), "elections:election_list", order=60,
                           more=True)

        from datetime import timedelta

        from posko.core import jobs, schedule
        from posko.elections import retention

        jobs.register_job(retention.PURGE_JOB, retention.purge_job)
        jobs.register_job(retention.DUE_JOB, retention.due_job)
        schedule.register_periodic(retention.DUE_JOB, timedelta(days=1), retention.DUE_JOB,
                                   _("Purge personal data of elections past their retention date"))
