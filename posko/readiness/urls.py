from django.urls import path

from posko.readiness.views.forecast import ForecastView
from posko.readiness.views.overview import ComponentTaskView, OverviewView
from posko.readiness.views.settings import SettingsView

app_name = "readiness"

urlpatterns = [
    path("", OverviewView.as_view(), name="overview"),
    path("prakiraan/", ForecastView.as_view(), name="forecast"),
    path("pengaturan/", SettingsView.as_view(), name="settings"),
    path("tps/<int:pk>/tugas/", ComponentTaskView.as_view(), name="tps_task"),
]
