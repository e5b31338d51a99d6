"""Voting-day writes: validated, saved and audited in one transaction."""

from posko.voting.services.results import (  # noqa: F401
    ballot_numbers,
    contests_at,
    contests_of,
    current_results,
    submit_result,
)
from posko.voting.services.status import (  # noqa: F401
    day_of,
    record_report,
    report_once,
    settings_for,
)
