from django.urls import path

from posko.voting import views

app_name = "voting"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("hasil/", views.TallyView.as_view(), name="tally"),
    path("tps/<int:pk>/", views.TpsDayView.as_view(), name="tps"),
    path("tps/<int:pk>/hasil/<int:contest_pk>/", views.ResultEntryView.as_view(),
         name="tps_result"),
]
