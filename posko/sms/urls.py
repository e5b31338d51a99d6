from django.urls import path

from posko.sms.views.log import SmsListView
from posko.sms.views.phone import PhoneView

app_name = "sms"

urlpatterns = [
    path("", SmsListView.as_view(), name="message_list"),
    path("nomor/", PhoneView.as_view(), name="phone"),
]
