"""Catalogue, requirement, readiness and settings pages under /logistik/."""

from django.urls import path

from posko.logistics import views_core as views

urlpatterns = [
    path("barang/", views.ItemListView.as_view(), name="item_list"),
    path("barang/baru/", views.ItemEditView.as_view(), name="item_add"),
    path("barang/<int:pk>/ubah/", views.ItemEditView.as_view(), name="item_edit"),
    path("barang/pasang-bawaan/", views.CatalogueInstallView.as_view(), name="catalogue_install"),
    path("tps/<int:tps_pk>/", views.TpsLogisticsView.as_view(), name="tps_logistics"),
    path("kebutuhan/", views.RequirementSummaryView.as_view(), name="requirement_summary"),
    path("kesiapan/", views.ReadinessView.as_view(), name="readiness"),
    path("pengaturan/", views.SettingsView.as_view(), name="settings"),
]
