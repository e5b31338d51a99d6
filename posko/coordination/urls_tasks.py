"""Task pages under /koordinasi/ (names in the ``coordination`` namespace)."""

from django.urls import path

from posko.coordination.views import tasks as views

urlpatterns = [
    path("tugas/", views.TaskListView.as_view(), name="task_list"),
    path("tugas/saya/", views.MyTaskListView.as_view(), name="my_tasks"),
    path("tugas/papan/", views.TaskBoardView.as_view(), name="task_board"),
    path("tugas/baru/", views.TaskEditView.as_view(), name="task_add"),
    path("tugas/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tugas/<int:pk>/ubah/", views.TaskEditView.as_view(), name="task_edit"),
    path("tugas/<int:pk>/status/", views.TaskStatusView.as_view(), name="task_status"),
    path("tugas/<int:pk>/catatan/", views.TaskNoteView.as_view(), name="task_note"),
    path("tugas/<int:pk>/checklist/<int:item>/", views.TaskChecklistToggleView.as_view(),
         name="task_checklist_toggle"),
    path("tugas/<int:pk>/riwayat/", views.TaskHistoryView.as_view(), name="task_history"),
    path("lampiran/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment_download"),
]
