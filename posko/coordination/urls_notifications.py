from django.urls import path

from posko.coordination.views import notifications as views

urlpatterns = [
    path("notifikasi/", views.NotificationListView.as_view(), name="notifications"),
    path("notifikasi/<int:pk>/baca/", views.NotificationReadView.as_view(), name="notification_read"),
    path("notifikasi/baca-semua/", views.NotificationsReadAllView.as_view(),
         name="notifications_read_all"),
]
