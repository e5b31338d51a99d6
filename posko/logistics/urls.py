"""URLs of the logistics module under /logistik/ (names in the ``logistics`` namespace)."""

from django.urls import path

from posko.logistics.views import (
    board,
    catalogue,
    history,
    labels,
    plan,
    readiness,
    receipts,
    requirements,
    shipments,
    shortfalls,
    support,
)

app_name = "logistics"

urlpatterns = [
    # catalogue, requirements, readiness and settings
    path("barang/", catalogue.ItemListView.as_view(), name="item_list"),
    path("barang/baru/", catalogue.ItemEditView.as_view(), name="item_add"),
    path("barang/<int:pk>/ubah/", catalogue.ItemEditView.as_view(), name="item_edit"),
    path("barang/pasang-bawaan/", catalogue.CatalogueInstallView.as_view(),
         name="catalogue_install"),
    path("tps/<int:tps_pk>/", requirements.TpsLogisticsView.as_view(), name="tps_logistics"),
    path("kebutuhan/", requirements.RequirementSummaryView.as_view(), name="requirement_summary"),
    path("kesiapan/", readiness.ReadinessView.as_view(), name="readiness"),
    path("pengaturan/", catalogue.SettingsView.as_view(), name="settings"),
    # chain of custody
    path("pengiriman/", shipments.ShipmentListView.as_view(), name="shipment_list"),
    path("pengiriman/baru/", shipments.ShipmentCreateView.as_view(), name="shipment_add"),
    path("pengiriman/<int:pk>/", shipments.ShipmentDetailView.as_view(), name="shipment_detail"),
    path("pengiriman/<int:pk>/terima/", shipments.ShipmentConfirmView.as_view(),
         name="shipment_confirm"),
    path("pengiriman/<int:pk>/foto/", shipments.ShipmentPhotoView.as_view(),
         name="shipment_photo"),
    path("label/", labels.LabelPageView.as_view(), name="labels"),
    path("label/pdf/", labels.LabelPdfView.as_view(), name="label_pdf"),
    path("label/pindai/", labels.LabelLookupView.as_view(), name="label_lookup"),
    path("terima/", receipts.FastReceiptChooseView.as_view(), name="receipt_fast_choose"),
    path("terima/<str:kelurahan_code>/", receipts.FastReceiptView.as_view(), name="receipt_fast"),
    path("kekurangan/", shortfalls.ShortfallListView.as_view(), name="shortfall_list"),
    path("kekurangan/<int:pk>/", shortfalls.ShortfallDetailView.as_view(),
         name="shortfall_detail"),
    path("kekurangan/<int:pk>/ubah/", shortfalls.ShortfallUpdateView.as_view(),
         name="shortfall_update"),
    path("rencana/", plan.PlanListView.as_view(), name="plan_list"),
    path("rencana/impor/", plan.PlanImportView.as_view(), name="plan_import"),
    path("rencana/template/", plan.PlanTemplateView.as_view(), name="plan_template"),
    # the history of earlier elections (vulnerability indicators)
    path("riwayat/", history.HistoryListView.as_view(), name="history_list"),
    path("riwayat/impor/", history.HistoryImportView.as_view(), name="history_import"),
    path("riwayat/template/", history.HistoryTemplateView.as_view(), name="history_template"),
    # the H-1 board and the readiness map
    path("papan-h1/", board.BoardView.as_view(), name="board"),
    path("peta/", board.MapView.as_view(), name="map"),
    path("peta/data/", board.MapDataView.as_view(), name="map_data"),
    path("peta/tps/<int:pk>/", board.MapTpsView.as_view(), name="map_tps"),
    # Pemda support logistics
    path("dukungan/", support.SupportListView.as_view(), name="support_list"),
    path("dukungan/baru/", support.SupportEditView.as_view(), name="support_add"),
    path("dukungan/<int:pk>/", support.SupportDetailView.as_view(), name="support_detail"),
    path("dukungan/<int:pk>/ubah/", support.SupportEditView.as_view(), name="support_edit"),
    path("dukungan/<int:pk>/status/", support.SupportStatusView.as_view(), name="support_status"),
]
