"""Supervision checklists per stage."""

from django.urls import path

from posko.coordination.views import checklists as views

urlpatterns = [
    path("supervisi/", views.ChecklistListView.as_view(), name="checklist_list"),
    path("supervisi/baru/", views.ChecklistEditView.as_view(), name="checklist_add"),
    path("supervisi/<int:pk>/", views.ChecklistDetailView.as_view(), name="checklist_detail"),
    path("supervisi/<int:pk>/ubah/", views.ChecklistEditView.as_view(), name="checklist_edit"),
    path("supervisi/<int:checklist>/butir/baru/", views.ChecklistItemEditView.as_view(),
         name="checklist_item_add"),
    path("supervisi/butir/<int:pk>/ubah/", views.ChecklistItemEditView.as_view(),
         name="checklist_item_edit"),
    path("supervisi/butir/<int:pk>/hapus/", views.ChecklistItemDeleteView.as_view(),
         name="checklist_item_delete"),
    path("supervisi/<int:pk>/isi/<str:region_code>/", views.ChecklistFillView.as_view(),
         name="checklist_fill"),
    path("supervisi/jawaban/<int:pk>/tugas/", views.ChecklistAnswerToTaskView.as_view(),
         name="checklist_answer_to_task"),
    path("supervisi/jawaban/<int:pk>/foto/", views.ChecklistPhotoView.as_view(),
         name="checklist_photo"),
]
