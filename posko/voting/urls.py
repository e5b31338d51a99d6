from django.urls import path

from posko.voting import views
from posko.voting.views import quickcount as qc_views
from posko.voting.views import reconcile as reconcile_views
from posko.voting.views.anomalies import AnomaliesView
from posko.voting.views.board import BoardMapDataView, BoardMapTpsView
from posko.voting.views.evidence import (
    PhotoListView,
    PhotoOriginalView,
    PhotoUploadView,
    PhotoView,
)
from posko.voting.views.tally import TallyPdfView

app_name = "voting"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("hasil/", views.TallyView.as_view(), name="tally"),
    path("hasil/pdf/", TallyPdfView.as_view(), name="tally_pdf"),
    path("peta/", BoardMapDataView.as_view(), name="board_map"),
    path("peta/tps/<int:pk>/", BoardMapTpsView.as_view(), name="board_map_tps"),
    path("anomali/", AnomaliesView.as_view(), name="anomalies"),
    path("tps/<int:pk>/", views.TpsDayView.as_view(), name="tps"),
    path("tps/<int:pk>/hasil/<int:contest_pk>/", views.ResultEntryView.as_view(),
         name="tps_result"),
    path("tps/<int:pk>/foto/<int:contest_pk>/", PhotoUploadView.as_view(), name="tps_photo"),
    path("tps/<int:pk>/sumber/<int:contest_pk>/", reconcile_views.ReconcileView.as_view(),
         name="reconcile"),
    path("verifikasi/", reconcile_views.QueueView.as_view(), name="reconcile_queue"),
    path("verifikasi/impor-kpu/", reconcile_views.KpuImportView.as_view(), name="kpu_import"),
    path("foto/", PhotoListView.as_view(), name="photos"),
    path("foto/<int:pk>/", PhotoView.as_view(), name="photo"),
    path("foto/<int:pk>/asli/", PhotoOriginalView.as_view(), name="photo_original"),
    path("hitung-cepat/", qc_views.QuickCountIndexView.as_view(), name="quick_count_index"),
    path("hitung-cepat/<int:contest_pk>/", qc_views.QuickCountView.as_view(), name="quick_count"),
    path("hitung-cepat/<int:contest_pk>/undi/",
         qc_views.QuickCountActionView.as_view(action="draw"), name="quick_count_draw"),
    path("hitung-cepat/<int:contest_pk>/kunci/",
         qc_views.QuickCountActionView.as_view(action="lock"), name="quick_count_lock"),
    path("hitung-cepat/<int:contest_pk>/hapus/",
         qc_views.QuickCountActionView.as_view(action="delete"), name="quick_count_delete"),
    path("hitung-cepat/<int:contest_pk>/sampel/", qc_views.QuickCountSampleView.as_view(),
         name="quick_count_sample"),
]
