"""The SMS gateway's webhook: ``POST /api/v1/sms/inbound/`` (JSON, a form or multipart).

Fields: ``id`` (the gateway's message id, also ``message_id``), ``from`` (the sender's number,
also ``sender``/``msisdn``), ``text`` (also ``message``/``body``), ``received_at`` (ISO 8601,
optional). Authenticated by the shared secret ``POSKO_SMS_WEBHOOK_SECRET``: a header
``X-Posko-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` or ``Authorization: Bearer
<secret>`` (anything else, or no secret set: 403). Answer (200): ``{"reply", "status",
"message_id", "duplicate"}`` — the gateway sends ``reply`` back to the sender. The same
``id`` again answers the same reply (``duplicate: true``) and records nothing more."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.sms.models import Status
from posko.sms.services.intake import Inbound, receive
from posko.sms.signature import is_authentic

ALIASES = {"message_id": ("id", "message_id", "messageId"),
           "sender": ("from", "sender", "msisdn"),
           "text": ("text", "message", "body"),
           "received_at": ("received_at", "receivedAt", "timestamp")}

# "from" is a Python keyword: the request body's serializer is built with type().
InboundSerializer = type("SmsInboundSerializer", (serializers.Serializer,), {
    "id": serializers.CharField(max_length=200, help_text="The gateway's message id "
                                "(idempotency key; also accepted as message_id)."),
    "from": serializers.CharField(max_length=40, help_text="The sender's number (also sender "
                                  "or msisdn)."),
    "text": serializers.CharField(max_length=2000, allow_blank=True,
                                  help_text="The message (also message or body)."),
    "received_at": serializers.DateTimeField(required=False, help_text="When the gateway "
                                             "received it (default: now)."),
})


class SmsReplySerializer(serializers.Serializer):
    reply = serializers.CharField(help_text="The text to send back to the sender.")
    status = serializers.ChoiceField(choices=Status.choices)
    message_id = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="This id was received before: the stored "
                                         "reply, nothing recorded again.")


def _field(data, name) -> str:
    for alias in ALIASES[name]:
        value = data.get(alias)
        if value not in (None, ""):
            return str(value).replace("\x00", "")  # PostgreSQL text holds no NUL
    return ""


class SmsInboundView(APIView):
    authentication_classes: list = []  # the gateway signs the body instead
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        """Another method than POST: 403 unless signed (an unsigned caller learns nothing,
        not even which methods exist), then 405."""
        if not is_authentic(settings.POSKO_SMS_WEBHOOK_SECRET, request._request.body,
                            request.META):
            raise PermissionDenied(_("The SMS gateway's signature is missing or wrong."))
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=InboundSerializer, responses={200: SmsReplySerializer},
                   auth=[], operation_id="sms_inbound")
    def post(self, request):
        raw = request._request.body  # read before parsing: the signature covers these bytes
        if not is_authentic(settings.POSKO_SMS_WEBHOOK_SECRET, raw, request.META):
            raise PermissionDenied(_("The SMS gateway's signature is missing or wrong."))
        data = request.data if hasattr(request.data, "get") else {}
        message_id, sender = _field(data, "message_id")[:200], _field(data, "sender")
        if not message_id or not sender:
            raise ValidationError({"id": [_("Send the gateway's message id and the sender's "
                                            "number.")]})
        received = _field(data, "received_at")
        received_at = parse_datetime(received) if received else None
        if received and (received_at is None or received_at.tzinfo is None
                         or received_at.year < 2000):
            raise ValidationError({"received_at": [_(
                "Give received_at as an ISO 8601 date-time with its offset.")]})
        msg, duplicate = receive(Inbound(message_id=message_id, sender=sender,
                                         text=_field(data, "text")[:2000],
                                         received_at=received_at),
                                 election=request._request.election)
        return Response({"reply": msg.reply, "status": msg.status, "message_id": msg.message_id,
                         "duplicate": duplicate})


ROUTES: list = []
EXTRA_URLS = [path("sms/inbound/", SmsInboundView.as_view(), name="sms-inbound")]
