from django.urls import path

from posko.elections import executive, retention_views, views

app_name = "elections"

urlpatterns = [
    path("pimpinan/", executive.ExecutiveView.as_view(), name="executive"),
    path("pimpinan/pdf/", executive.ExecutivePdfView.as_view(), name="executive_pdf"),
    path("tps/", views.TpsListView.as_view(), name="tps_list"),
    path("tps/new/", views.TpsEditView.as_view(), name="tps_add"),
    path("tps/import/", views.TpsImportView.as_view(), name="tps_import"),
    path("tps/import/template/", views.TpsImportTemplateView.as_view(), name="tps_import_template"),
    path("tps/<int:pk>/", views.TpsDetailView.as_view(), name="tps_detail"),
    path("tps/<int:pk>/edit/", views.TpsEditView.as_view(), name="tps_edit"),
    path("tps/<int:pk>/delete/", views.TpsDeleteView.as_view(), name="tps_delete"),
    path("tps/<int:pk>/history/", views.TpsHistoryView.as_view(), name="tps_history"),
    path("pemilihan/", views.ElectionListView.as_view(), name="election_list"),
    path("pemilihan/lihat/", views.ElectionSwitchView.as_view(), name="election_view"),
    path("pemilihan/new/", views.ElectionEditView.as_view(), name="election_add"),
    path("pemilihan/<int:pk>/", views.ElectionDetailView.as_view(), name="election_detail"),
    path("pemilihan/<int:election>/contest/new/", views.ContestEditView.as_view(), name="contest_add"),
    path("contest/<int:pk>/edit/", views.ContestEditView.as_view(), name="contest_edit"),
    path("contest/<int:contest>/pair/new/", views.CandidatePairEditView.as_view(), name="pair_add"),
    path("pair/<int:pk>/edit/", views.CandidatePairEditView.as_view(), name="pair_edit"),
    path("pemilihan/<int:election>/stage/new/", views.StageEditView.as_view(), name="stage_add"),
    path("stage/<int:pk>/edit/", views.StageEditView.as_view(), name="stage_edit"),
    path("pemilihan/<int:pk>/edit/", views.ElectionEditView.as_view(), name="election_edit"),
    path("pemilihan/<int:pk>/history/", views.ElectionHistoryView.as_view(), name="election_history"),
    path("pemilihan/<int:pk>/retensi/", retention_views.ElectionRetentionView.as_view(),
         name="election_retention"),
    path("pemilihan/<int:pk>/activate/", views.ElectionActivateView.as_view(), name="election_activate"),
]
