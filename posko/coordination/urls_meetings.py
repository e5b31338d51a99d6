from django.urls import path

from posko.coordination.views import meetings as views

urlpatterns = [
    path("rapat/", views.MeetingListView.as_view(), name="meeting_list"),
    path("rapat/baru/", views.MeetingEditView.as_view(), name="meeting_add"),
    path("rapat/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("rapat/<int:pk>/ubah/", views.MeetingEditView.as_view(), name="meeting_edit"),
    path("rapat/<int:pk>/keputusan/", views.DecisionEditView.as_view(), name="decision_add"),
    path("keputusan/<int:pk>/ubah/", views.DecisionEditView.as_view(editing=True),
         name="decision_edit"),
    path("keputusan/<int:pk>/jadikan-tugas/", views.DecisionToTaskView.as_view(),
         name="decision_to_task"),
    path("rapat/<int:pk>/lampiran/", views.MeetingAttachView.as_view(), name="meeting_attach"),
    path("rapat/<int:pk>/notulen.pdf", views.MeetingMinutesPdfView.as_view(),
         name="meeting_minutes_pdf"),
    path("laporan-harian/", views.DailyReportView.as_view(), name="report"),
]
