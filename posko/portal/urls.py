"""URLs of the public portal (/publik/): no account, except the admin's settings page."""

from django.urls import path

from posko.portal import admin_views, views

app_name = "portal"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("pengaturan/", admin_views.SettingsActiveView.as_view(), name="settings_active"),
    path("bahasa/<str:code>/", views.LanguageView.as_view(), name="language"),
    path("<int:election_id>/", views.ElectionView.as_view(), name="election"),
    path("<int:election_id>/kelurahan/<str:kelurahan>/", views.ElectionView.as_view(),
         name="kelurahan"),
    path("<int:election_id>/tps/", views.TpsFindView.as_view(), name="tps_find"),
    path("<int:election_id>/tps/<str:kelurahan>/<int:number>/", views.TpsView.as_view(),
         name="tps"),
    path("<int:election_id>/data/", views.DataView.as_view(), name="data"),
    path("<int:election_id>/data/<str:name>", views.DataFileView.as_view(), name="data_file"),
    path("<int:election_id>/pengaturan/", admin_views.SettingsEditView.as_view(),
         name="settings"),
]
