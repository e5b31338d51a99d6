"""URLs of the incidents module (under /laporan/)."""

from django.urls import path

from posko.incidents import views
from posko.incidents.views import acts, cases, categories, pledges, privacy, settings

app_name = "incidents"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="report_list"),
    path("baru/", views.ReportEditView.as_view(), name="report_add"),
    path("situasi/", views.SituationView.as_view(), name="situation"),
    path("peta/", views.MapView.as_view(), name="map"),
    path("peta/data/", views.MapDataView.as_view(), name="map_data"),
    path("rekap/", views.PeriodReportView.as_view(), name="period_report"),
    path("<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("<int:pk>/ubah/", views.ReportEditView.as_view(), name="report_edit"),
    path("<int:pk>/status/", views.ReportTransitionView.as_view(), name="report_transition"),
    path("<int:pk>/komentar/", views.ReportCommentView.as_view(), name="report_comment"),
    path("<int:pk>/bukti/", views.ReportEvidenceView.as_view(), name="report_evidence"),
    path("<int:pk>/gabung/", views.ReportMergeView.as_view(), name="report_merge"),
    path("<int:pk>/tugas/", views.ReportTaskView.as_view(), name="report_task"),
    path("<int:pk>/buka/", privacy.ReportRevealView.as_view(), name="report_reveal"),
    path("bukti/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence_download"),
    path("bukti/<int:pk>/asli/", views.EvidenceOriginalView.as_view(), name="evidence_original"),
    # public (no login)
    path("kirim/", views.PublicReportView.as_view(), name="public_report"),
    path("status/", views.PublicStatusView.as_view(), name="public_status"),
    # ASN neutrality
    path("netralitas/pakta/", pledges.PledgeListView.as_view(), name="pledge_list"),
    path("netralitas/pakta/baru/", pledges.PledgeEditView.as_view(), name="pledge_add"),
    path("netralitas/pakta/<int:pk>/", pledges.PledgeEditView.as_view(), name="pledge_edit"),
    path("netralitas/pakta/<int:pk>/dokumen/", pledges.PledgeDocumentView.as_view(),
         name="pledge_document"),
    path("netralitas/perbuatan/", acts.ActListView.as_view(), name="act_list"),
    path("netralitas/perbuatan/baru/", acts.ActEditView.as_view(), name="act_add"),
    path("netralitas/perbuatan/<int:pk>/", acts.ActEditView.as_view(), name="act_edit"),
    path("netralitas/kasus/", cases.CaseListView.as_view(), name="case_list"),
    path("netralitas/kasus/baru/", cases.CaseEditView.as_view(), name="case_add"),
    path("netralitas/kasus/<int:pk>/", cases.CaseDetailView.as_view(), name="case_detail"),
    path("netralitas/kasus/<int:pk>/ubah/", cases.CaseEditView.as_view(), name="case_edit"),
    path("netralitas/kasus/<int:pk>/buka/", privacy.CaseRevealView.as_view(),
         name="case_reveal"),
    # administration
    path("kategori/", categories.CategoryListView.as_view(), name="category_list"),
    path("kategori/baru/", categories.CategoryEditView.as_view(), name="category_add"),
    path("kategori/<int:pk>/", categories.CategoryEditView.as_view(), name="category_edit"),
    path("pengaturan/", settings.SettingsEditView.as_view(), name="settings"),
]
