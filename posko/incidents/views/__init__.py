"""Incident pages, one file per capability: reports, situation, public, pledges, cases,
categories, settings."""

from posko.incidents.views.common import (
    STATE_CLASSES,
    STATE_LABELS,
    ReportMixin,
    flag,
)
from posko.incidents.views.public import (
    PUBLIC_STEPS,
    PublicReportView,
    PublicStatusView,
    _public_response,
)
from posko.incidents.views.reports import (
    EvidenceDownloadView,
    EvidenceOriginalView,
    ReportCommentView,
    ReportDetailView,
    ReportEditView,
    ReportEvidenceView,
    ReportListView,
    ReportMergeView,
    ReportTaskView,
    ReportTransitionView,
    _history,
    render_detail,
)
from posko.incidents.views.situation import (
    MAP_OWN_POINTS_LIMIT,
    SEVERITY_CODES,
    MapDataView,
    MapView,
    PeriodReportView,
    SituationView,
    map_points,
)

__all__ = [
    "STATE_CLASSES", "STATE_LABELS", "flag", "ReportMixin",
    "SituationView", "MapView", "SEVERITY_CODES", "MAP_OWN_POINTS_LIMIT", "map_points",
    "MapDataView", "PeriodReportView", "_public_response", "PublicReportView",
    "PUBLIC_STEPS", "PublicStatusView", "ReportListView", "_history", "render_detail",
    "ReportDetailView", "ReportTransitionView", "ReportCommentView", "ReportEvidenceView",
    "ReportMergeView", "ReportTaskView", "EvidenceDownloadView", "EvidenceOriginalView", "ReportEditView",
]
