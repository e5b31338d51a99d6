from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell
from posko.core.schema import register_enum


class VotingConfig(AppConfig):
    name = "posko.voting"
    label = "voting"
    verbose_name = _("Voting day")

    def ready(self):
        shell.register_urls("pemungutan/", "posko.voting.urls", order=55)
        shell.register_api("posko.voting.api")
        shell.register_nav("voting", _("Voting day"), "voting:board", order=65)

        from posko.voting import public

        public.register()  # its section of the public portal (core.public)

        from posko.voting import retention

        retention.register()  # C.Hasil originals deleted when the election's retention ends

        register_enum("VotingStateEnum", "posko.voting.models.State")
        register_enum("VotingProblemEnum", "posko.voting.models.Problem")
        register_enum("ReconciliationAgreementEnum", "posko.voting.models.Agreement")
        register_enum("NistStatusEnum", "posko.voting.models.NistStatus")
        register_enum("VotingSourceEnum", "posko.voting.models.Source")
        register_enum("VotingFieldSourceEnum", "posko.voting.api.FIELD_SOURCES")

        from posko.core import constants
        from posko.elections.models import CandidatePair, Contest
        from posko.voting.models import VotingSettings

        constants.watch(VotingSettings, Contest, CandidatePair)  # read on every report

        from posko.core.dashboard import register_card
        from posko.voting.cards import voting_cards

        register_card("voting", voting_cards, order=50)

        from posko.voting import executive

        executive.register()  # its section of the executive dashboard (core.executive)

        from posko.voting import report

        report.register()  # the daily report's voting-day section

        from posko.core import turnout
        from posko.voting.turnout import PROVIDER

        turnout.register_provider(PROVIDER)  # outreach's turnout reads the C.Hasil

        from posko.core import jobs, schedule
        from posko.voting.services.anomalies import EVERY, JOB, anomalies_job

        jobs.register_job(JOB, anomalies_job)  # statistical flags: every 5 min around voting day
        schedule.register_periodic(JOB, EVERY, JOB, _("Statistical anomaly flags"))

        from posko.voting.services import inbox

        jobs.register_job(inbox.JOB, inbox.inbox_job)  # C.Hasil received by the field API
        schedule.register_periodic(inbox.JOB, inbox.EVERY, inbox.JOB, _("C.Hasil submissions"),
                                   when=inbox.pending)
        jobs.register_job(inbox.PURGE_JOB, inbox.purge_job)  # processed rows after 30 days
        schedule.register_periodic(inbox.PURGE_JOB, timedelta(days=1), inbox.PURGE_JOB,
                                   _("Delete processed C.Hasil submissions"))

        from posko.voting import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.voting import field_commands

        field_commands.register()  # status and results sent by SMS (core.field_commands)

        from posko.voting import fieldforms

        fieldforms.register()  # its forms in the offline field app (core.field_forms)
