"""Worker pages, one file per capability: ``registry`` (the list, a worker, the import),
``staffing``, ``screening``, ``bpjs``, ``incidents``, ``claims``, ``duty``, ``settings`` and
``privacy`` (personal data in clear); ``common`` holds what they share."""

from posko.workers.views.bpjs import (
    UNCOVERED_LIMIT,
    UNCOVERED_LIST_MAX,
    BpjsImportView,
    BpjsTemplateView,
    CoverageEditView,
    CoverageView,
)
from posko.workers.views.claims import ClaimEditView
from posko.workers.views.common import (
    WorkerRecordAddView,
    WorkerRecordFormView,
    editable_worker,
    incident_or_404,
    worker_or_404,
)
from posko.workers.views.duty import DutyLogAddView, DutyLogListView
from posko.workers.views.incidents import IncidentAddView, IncidentDetailView, IncidentListView
from posko.workers.views.privacy import BpjsExportView, ExportView, HealthRevealView
from posko.workers.views.registry import (
    RevealView,
    WorkerDetailView,
    WorkerEditView,
    WorkerHistoryView,
    WorkerImportView,
    WorkerListView,
    WorkerReplaceView,
    WorkerTemplateView,
)
from posko.workers.views.screening import ScreeningAddView, ScreeningFollowupView
from posko.workers.views.settings import SettingsView
from posko.workers.views.staffing import StaffingView

__all__ = [
    "UNCOVERED_LIMIT", "UNCOVERED_LIST_MAX", "worker_or_404", "editable_worker",
    "incident_or_404", "WorkerRecordAddView", "WorkerRecordFormView", "WorkerListView", "WorkerDetailView", "RevealView",
    "WorkerEditView", "WorkerReplaceView", "WorkerHistoryView", "WorkerImportView",
    "WorkerTemplateView", "StaffingView", "ScreeningAddView", "ScreeningFollowupView",
    "CoverageEditView", "CoverageView", "BpjsTemplateView", "BpjsImportView", "IncidentAddView",
    "IncidentListView", "IncidentDetailView", "ClaimEditView", "DutyLogAddView",
    "DutyLogListView", "SettingsView", "HealthRevealView", "ExportView", "BpjsExportView",
]
