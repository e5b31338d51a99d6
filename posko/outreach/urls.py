"""URLs of the outreach module (/sosialisasi/)."""

from django.urls import path

from posko.outreach import views

app_name = "outreach"

urlpatterns = [
    path("", views.ActivityListView.as_view(), name="activity_list"),
    path("kalender/", views.CalendarView.as_view(), name="calendar"),
    path("baru/", views.ActivityEditView.as_view(), name="activity_add"),
    path("<int:pk>/", views.ActivityDetailView.as_view(), name="activity_detail"),
    path("<int:pk>/ubah/", views.ActivityEditView.as_view(), name="activity_edit"),
    path("<int:pk>/terlaksana/", views.ActivityHeldView.as_view(), name="activity_held"),
    path("<int:pk>/batal/", views.ActivityCancelView.as_view(), name="activity_cancel"),
    path("<int:pk>/hapus/", views.ActivityDeleteView.as_view(), name="activity_delete"),
    path("<int:pk>/riwayat/", views.ActivityHistoryView.as_view(), name="activity_history"),
    path("<int:pk>/berkas/<int:file_pk>/", views.AttachmentView.as_view(), name="attachment"),
    path("cakupan/", views.CoverageView.as_view(), name="coverage"),
    path("cakupan/<str:code>/", views.KelurahanCoverageView.as_view(), name="coverage_kelurahan"),
    path("partisipasi/", views.TurnoutView.as_view(), name="turnout"),
    path("partisipasi/impor/", views.TurnoutImportView.as_view(), name="turnout_import"),
    path("partisipasi/template/", views.TurnoutTemplateView.as_view(), name="turnout_template"),
    path("partisipasi/riwayat/impor/", views.HistoryImportView.as_view(), name="history_import"),
    path("partisipasi/riwayat/template/", views.HistoryTemplateView.as_view(),
         name="history_template"),
    path("partisipasi/tps/<int:pk>/", views.TurnoutTpsView.as_view(), name="turnout_tps"),
    path("partisipasi/<str:code>/", views.TurnoutKelurahanView.as_view(), name="turnout_kelurahan"),
    path("target/", views.TargetsView.as_view(), name="targets"),
    path("kelompok/", views.GroupListView.as_view(), name="group_list"),
    path("peringatan-dini/", views.EarlyWarningView.as_view(), name="early_warning"),
]
