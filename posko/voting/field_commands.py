"""What voting records from a field command (core.field_commands): a status report or a
C.Hasil entry sent by SMS or another channel that does not know this module."""

from __future__ import annotations

from posko.core import field_commands
from posko.core.field_commands import Outcome, ResultsCommand, StatusCommand
from posko.voting.models import Source
from posko.voting.services.results import submit_result
from posko.voting.services.status import record_report


def record_status(command: StatusCommand, *, actor, election) -> Outcome:
    event = record_report(command.tps, actor=actor, election=election, state=command.state,
                          happened_at=command.happened_at)
    return Outcome(accepted=True, record=event)


def record_results(command: ResultsCommand, *, actor, election) -> Outcome:
    """A short C.Hasil: pairs' votes, valid, invalid (voters: given, or valid + invalid);
    ballots are left out (their checks are skipped). Failing checks: stored as
    "perlu verifikasi", the checks listed."""
    voters = command.voters if command.voters is not None else command.valid + command.invalid
    result = submit_result(command.tps, command.contest, actor=actor, election=election,
                           values={"voters_dpt": voters, "valid": command.valid,
                                   "invalid": command.invalid},
                           votes=command.votes, source=Source.PEMDA, reason=command.reason)
    return Outcome(accepted=True, needs_verification=bool(result.checks),
                   problems=[check["message"] for check in result.checks], record=result)


def register() -> None:
    field_commands.register(field_commands.STATUS, record_status)
    field_commands.register(field_commands.RESULTS, record_results)
