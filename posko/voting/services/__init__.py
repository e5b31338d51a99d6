"""Voting-day writes: validated, saved and audited in one transaction."""

from posko.voting.services.status import day_of, record_report, settings_for  # noqa: F401
