"""The voting-day forms of the offline field app (``core.field_forms``): the TPS status
report and the C.Hasil entry with its photo. Both post to the field API (``voting/api.py``)
under an Idempotency-Key made on the phone."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from posko.core import field_forms as ff
from posko.elections.models import CandidatePair
from posko.voting.models import Problem, Source, State
from posko.voting.services.results import contests_of


def _may_report(user) -> bool:
    return bool(getattr(user, "can_edit_registry", False))


def _contests(user, election) -> dict:
    """Contests and their pairs (two queries at most: the contests are a per-process constant)."""
    contests = contests_of(election)
    pairs: dict[str, list] = {str(c.pk): [] for c in contests}
    for pair in CandidatePair.objects.filter(contest__in=contests).order_by(
            "contest_id", "ballot_number"):
        pairs[str(pair.contest_id)].append([pair.ballot_number, str(pair)])
    return {"contests": [[c.pk, c.name] for c in contests], "pairs": pairs}


COUNT = dict(type="int", required=True)

STATUS = ff.FieldForm(
    key="voting.status", label=_("TPS status"), order=10,
    description=_("Opening, closing, officers present and problems at the TPS."),
    url=ff.api_url("api:voting-tps-report", "tps"),
    fields=(
        ff.Field("tps", _("TPS"), "tps", required=True),
        ff.Field("state", _("State"), "choice", choices=(("", "—"), *State.choices)),
        ff.Field("kpps_present", _("KPPS present"), "int", maximum=50),
        ff.Field("linmas_present", _("Linmas present"), "int", maximum=50),
        ff.Field("problem", _("Problem"), "choice", choices=(("", "—"), *Problem.choices)),
        ff.Field("note", _("Note"), "textarea"),
    ),
    capture_time="happened_at", visible=_may_report,
    rejected_help=_("A state cannot go backwards: check the TPS's current state on the "
                    "voting-day board, then record a new report."))

RESULTS = ff.FieldForm(
    key="voting.results", label=_("C.Hasil results"), order=20,
    description=_("Voters, votes per pair and ballots of one contest, with the C.Hasil photo."),
    url=ff.api_url("api:voting-tps-results", "tps"),
    fields=(
        ff.Field("tps", _("TPS"), "tps", required=True),
        ff.Field("contest", _("Contest"), "choice", required=True, options="contests"),
        ff.Field("source", _("Source"), "choice",
                 choices=((Source.PEMDA, Source.PEMDA.label), (Source.SAKSI, Source.SAKSI.label)),
                 default=Source.PEMDA),
        ff.Field("voters_dpt", _("Voters from the DPT"), **COUNT),
        ff.Field("voters_dptb", _("Voters from the DPTb"), "int"),
        ff.Field("voters_dpk", _("Voters from the DPK"), "int"),
        ff.Field("votes", _("Votes per pair"), "votes", required=True, options="pairs",
                 source="contest"),
        ff.Field("valid", _("Valid votes"), **COUNT),
        ff.Field("invalid", _("Invalid votes"), **COUNT),
        ff.Field("ballots_received", _("Ballots received"), **COUNT),
        ff.Field("ballots_used", _("Ballots used"), **COUNT),
        ff.Field("ballots_unused", _("Ballots unused"), **COUNT),
        ff.Field("ballots_damaged", _("Ballots damaged or returned"), "int"),
        ff.Field("reason", _("Reason (for a correction)"), "textarea"),
        ff.Field("photo", _("Photo of the C.Hasil"), "photo", upload={
            "url": ff.api_url("api:voting-tps-photos", "tps"), "file_field": "image",
            "fields": {"contest": "contest", "source": "source"}}),
    ),
    data=_contests, visible=_may_report,
    rejected_help=_("A second entry for the same TPS and contest is a correction: open the "
                    "entry again, give a reason and send it as a new entry."))


def register() -> None:
    ff.register_form(STATUS)
    ff.register_form(RESULTS)

