"""Agencies, the desk's structure, the stage calendar and task templates."""

from django.urls import path

from posko.coordination.views import desk as views

urlpatterns = [
    path("instansi/", views.AgencyListView.as_view(), name="agency_list"),
    path("instansi/baru/", views.AgencyEditView.as_view(), name="agency_add"),
    path("instansi/<int:pk>/", views.AgencyDetailView.as_view(), name="agency_detail"),
    path("instansi/<int:pk>/ubah/", views.AgencyEditView.as_view(), name="agency_edit"),
    path("desk/", views.DeskView.as_view(), name="desk"),
    path("desk/ubah/", views.DeskEditView.as_view(), name="desk_edit"),
    path("desk/bidang/baru/", views.DivisionEditView.as_view(), name="division_add"),
    path("desk/bidang/<int:pk>/ubah/", views.DivisionEditView.as_view(), name="division_edit"),
    path("desk/bidang/<int:pk>/hapus/", views.DivisionDeleteView.as_view(), name="division_delete"),
    path("tahapan/", views.CalendarView.as_view(), name="calendar"),
    path("template/", views.TemplateListView.as_view(), name="template_list"),
    path("template/baru/", views.TemplateEditView.as_view(), name="template_add"),
    path("template/<int:pk>/", views.TemplateDetailView.as_view(), name="template_detail"),
    path("template/<int:pk>/ubah/", views.TemplateEditView.as_view(), name="template_edit"),
    path("template/<int:template>/butir/baru/", views.TemplateItemEditView.as_view(),
         name="template_item_add"),
    path("template/butir/<int:pk>/ubah/", views.TemplateItemEditView.as_view(),
         name="template_item_edit"),
    path("template/butir/<int:pk>/hapus/", views.TemplateItemDeleteView.as_view(),
         name="template_item_delete"),
    path("template/<int:pk>/terapkan/", views.TemplateApplyView.as_view(), name="template_apply"),
]
