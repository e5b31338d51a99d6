"""The bare baseline of bench/sms.py (bench-only): a DRF view that checks the same HMAC
signature, parses the same JSON and inserts one SmsMessage row — no sender lookup, no parsing
of the text, no report, no reply."""

from __future__ import annotations

from django.conf import settings
from django.urls import include, path
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.core import clock
from posko.sms.models import SmsMessage
from posko.sms.signature import is_authentic


class BareInboundView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        if not is_authentic(settings.POSKO_SMS_WEBHOOK_SECRET, request._request.body,
                            request.META):
            raise PermissionDenied
        now = clock.now()
        msg = SmsMessage.objects.create(message_id=request.data["id"],
                                        sender=request.data["from"], text=request.data["text"],
                                        received_at=now, logged_at=now, reply="ok")
        return Response({"reply": msg.reply})


urlpatterns = [
    path("bare/sms/", BareInboundView.as_view()),
    path("", include("posko.urls")),
]
