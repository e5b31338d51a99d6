"""The voting module's models: the day at each TPS (``day``), the C.Hasil entries and their
reconciliation (``results``), the photos (``evidence``), the running tallies, quick-count
samples and area flags (``counts``)."""

from posko.voting.models.counts import (
    AreaFlag,
    QuickCountDesign,
    QuickCountTps,
    Strata,
    TallyCounter,
)
from posko.voting.models.day import (
    ORDER,
    VOTING_DAY_STATES,
    Problem,
    State,
    StatusEvent,
    TpsDay,
    VotingSettings,
)
from posko.voting.models.evidence import ResultPhoto, photo_path
from posko.voting.models.inbox import ResultSubmission
from posko.voting.models.results import (
    Agreement,
    NistStatus,
    Reconciliation,
    ResultStatus,
    Source,
    TpsResult,
)

__all__ = ["ORDER", "VOTING_DAY_STATES", "Agreement", "AreaFlag", "NistStatus", "Problem",
           "QuickCountDesign", "QuickCountTps", "Reconciliation", "ResultPhoto", "ResultStatus", "ResultSubmission",
           "Source", "State", "StatusEvent", "Strata", "TallyCounter", "TpsDay", "TpsResult",
           "VotingSettings", "photo_path"]
