"""Chain of custody under /logistik/ (names in the ``logistics`` namespace)."""

from django.urls import path

from posko.logistics import views_custody as views

urlpatterns = [
    path("pengiriman/", views.ShipmentListView.as_view(), name="shipment_list"),
    path("pengiriman/baru/", views.ShipmentCreateView.as_view(), name="shipment_add"),
    path("pengiriman/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipment_detail"),
    path("pengiriman/<int:pk>/terima/", views.ShipmentConfirmView.as_view(),
         name="shipment_confirm"),
    path("pengiriman/<int:pk>/foto/", views.ShipmentPhotoView.as_view(), name="shipment_photo"),
    path("terima/", views.FastReceiptChooseView.as_view(), name="receipt_fast_choose"),
    path("terima/<str:kelurahan_code>/", views.FastReceiptView.as_view(), name="receipt_fast"),
    path("kekurangan/", views.ShortfallListView.as_view(), name="shortfall_list"),
    path("kekurangan/<int:pk>/", views.ShortfallDetailView.as_view(), name="shortfall_detail"),
    path("kekurangan/<int:pk>/ubah/", views.ShortfallUpdateView.as_view(),
         name="shortfall_update"),
    path("rencana/", views.PlanListView.as_view(), name="plan_list"),
    path("rencana/impor/", views.PlanImportView.as_view(), name="plan_import"),
    path("rencana/template/", views.PlanTemplateView.as_view(), name="plan_template"),
]
