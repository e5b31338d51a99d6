"""Support-request pages under /logistik/dukungan/ (names in the ``logistics`` namespace)."""

from django.urls import path

from posko.logistics import views_support as views

urlpatterns = [
    path("dukungan/", views.SupportListView.as_view(), name="support_list"),
    path("dukungan/baru/", views.SupportEditView.as_view(), name="support_add"),
    path("dukungan/<int:pk>/", views.SupportDetailView.as_view(), name="support_detail"),
    path("dukungan/<int:pk>/ubah/", views.SupportEditView.as_view(), name="support_edit"),
    path("dukungan/<int:pk>/status/", views.SupportStatusView.as_view(), name="support_status"),
]
