"""Worker pages, one file per capability."""

from posko.workers.views.common import (
    UNCOVERED_LIMIT,
    UNCOVERED_LIST_MAX,
    editable_worker,
    election_or_404,
    worker_or_404,
)
from posko.workers.views.incidents import (
    ClaimEditView,
    DutyLogListView,
    IncidentDetailView,
    IncidentListView,
    incident_or_404,
)
from posko.workers.views.records import (
    CoverageEditView,
    DutyLogAddView,
    IncidentAddView,
    ScreeningAddView,
    _WorkerFormView,
)
from posko.workers.views.registry import (
    RevealView,
    WorkerDetailView,
    WorkerEditView,
    WorkerHistoryView,
    WorkerListView,
    WorkerReplaceView,
)
from posko.workers.views.rollups import CoverageView, ScreeningFollowupView, StaffingView
from posko.workers.views.settings import SettingsView
from posko.workers.views.transfer import (
    BpjsImportView,
    BpjsTemplateView,
    WorkerImportView,
    WorkerTemplateView,
)

__all__ = [
    "UNCOVERED_LIMIT", "UNCOVERED_LIST_MAX", "election_or_404", "worker_or_404",
    "editable_worker", "WorkerListView", "WorkerDetailView", "RevealView", "WorkerEditView",
    "WorkerReplaceView", "WorkerHistoryView", "_WorkerFormView", "ScreeningAddView",
    "CoverageEditView", "IncidentAddView", "DutyLogAddView", "WorkerImportView",
    "WorkerTemplateView", "BpjsTemplateView", "BpjsImportView", "StaffingView",
    "CoverageView", "ScreeningFollowupView", "IncidentListView", "incident_or_404",
    "IncidentDetailView", "ClaimEditView", "DutyLogListView", "SettingsView",
]
