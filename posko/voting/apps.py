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
        register_enum("VotingStateEnum", "posko.voting.models.State")
        register_enum("VotingProblemEnum", "posko.voting.models.Problem")

        from posko.core import constants
        from posko.elections.models import CandidatePair, Contest
        from posko.voting.models import VotingSettings

        constants.watch(VotingSettings, Contest, CandidatePair)  # read on every report

        from posko.core.dashboard import register_card
        from posko.voting.cards import voting_cards

        register_card("voting", voting_cards, order=50)
