from django.urls import path

from posko.sms.views.log import SmsListView

app_name = "sms"

urlpatterns = [
    path("", SmsListView.as_view(), name="message_list"),
]
