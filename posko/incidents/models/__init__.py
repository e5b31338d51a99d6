"""Incident models, one file per capability; every model is importable from here."""

from posko.incidents.models.neutrality import (
    ActSeverity,
    BreachType,
    NeutralityCase,
    NeutralityCaseQuerySet,
    Pledge,
    ProhibitedAct,
)
from posko.incidents.models.reports import (
    CLOSED_STATES,
    OPEN_STATES,
    SEVERITY_RANK,
    Category,
    Comment,
    Evidence,
    IncidentSettings,
    Report,
    ReportQuerySet,
    Severity,
    State,
    _minutes,
)

__all__ = [
    "Severity", "SEVERITY_RANK", "State", "CLOSED_STATES", "OPEN_STATES", "Category",
    "_minutes", "IncidentSettings", "ReportQuerySet", "Report", "Evidence", "Comment",
    "Pledge", "NeutralityCaseQuerySet", "NeutralityCase", "BreachType", "ActSeverity",
    "ProhibitedAct",
]
