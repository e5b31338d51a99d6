"""Outreach pages, one file per capability: activities, coverage, turnout, targets."""

from posko.outreach.views.activities import (
    ActivityCancelView,
    ActivityDeleteView,
    ActivityDetailView,
    ActivityEditView,
    ActivityHeldView,
    ActivityHistoryView,
    ActivityListView,
    AttachmentView,
    CalendarView,
)
from posko.outreach.views.coverage import CoverageView, EarlyWarningView, KelurahanCoverageView
from posko.outreach.views.targets import GroupListView, TargetsView
from posko.outreach.views.turnout import (
    HistoryImportView,
    HistoryTemplateView,
    TurnoutImportView,
    TurnoutKelurahanView,
    TurnoutTemplateView,
    TurnoutTpsView,
    TurnoutView,
)

__all__ = [
    "ActivityListView", "CalendarView", "ActivityDetailView", "ActivityEditView",
    "ActivityHeldView", "ActivityCancelView", "ActivityDeleteView", "ActivityHistoryView",
    "AttachmentView", "CoverageView", "KelurahanCoverageView", "EarlyWarningView",
    "TurnoutView", "TurnoutKelurahanView", "TurnoutTpsView", "TurnoutImportView",
    "HistoryImportView", "TurnoutTemplateView", "HistoryTemplateView", "TargetsView",
    "GroupListView",
]
