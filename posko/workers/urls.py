"""URLs of the workers module (/petugas/)."""

from django.urls import path

from posko.workers import views

app_name = "workers"

urlpatterns = [
    path("", views.WorkerListView.as_view(), name="worker_list"),
    path("baru/", views.WorkerEditView.as_view(), name="worker_add"),
    path("<int:pk>/", views.WorkerDetailView.as_view(), name="worker_detail"),
    path("<int:pk>/ubah/", views.WorkerEditView.as_view(), name="worker_edit"),
    path("<int:pk>/ganti/", views.WorkerReplaceView.as_view(), name="worker_replace"),
    path("<int:pk>/buka/", views.RevealView.as_view(), name="worker_reveal"),
    path("<int:pk>/buka-kesehatan/", views.HealthRevealView.as_view(),
         name="worker_reveal_health"),
    path("<int:pk>/riwayat/", views.WorkerHistoryView.as_view(), name="worker_history"),
    path("<int:pk>/skrining/", views.ScreeningAddView.as_view(), name="screening_add"),
    path("<int:pk>/bpjs/", views.CoverageEditView.as_view(), name="coverage_edit"),
    path("<int:pk>/insiden/", views.IncidentAddView.as_view(), name="incident_add"),
    path("<int:pk>/jam-tugas/", views.DutyLogAddView.as_view(), name="duty_add"),
    path("impor/", views.WorkerImportView.as_view(), name="worker_import"),
    path("impor/template/", views.WorkerTemplateView.as_view(), name="worker_template"),
    path("ekspor/", views.ExportView.as_view(), name="worker_export"),
    path("kebutuhan/", views.StaffingView.as_view(), name="staffing"),
    path("skrining/", views.ScreeningFollowupView.as_view(), name="screening_followup"),
    path("bpjs/", views.CoverageView.as_view(), name="coverage"),
    path("bpjs/daftar/", views.BpjsExportView.as_view(), name="bpjs_export"),
    path("bpjs/impor/", views.BpjsImportView.as_view(), name="bpjs_import"),
    path("bpjs/impor/template/", views.BpjsTemplateView.as_view(), name="bpjs_template"),
    path("insiden/", views.IncidentListView.as_view(), name="incident_list"),
    path("insiden/<int:pk>/", views.IncidentDetailView.as_view(), name="incident_detail"),
    path("insiden/<int:pk>/klaim/", views.ClaimEditView.as_view(), name="claim_add"),
    path("klaim/<int:pk>/", views.ClaimEditView.as_view(), name="claim_edit"),
    path("jam-tugas/", views.DutyLogListView.as_view(), name="duty_list"),
    path("pengaturan/", views.SettingsView.as_view(), name="settings"),
]
