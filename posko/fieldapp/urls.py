from django.urls import path

from posko.fieldapp import views

app_name = "fieldapp"

urlpatterns = [
    path("", views.AppView.as_view(), name="app"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("token/", views.token, name="token"),
]
