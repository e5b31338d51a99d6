"""The SMS log: every message received, its reply and what became of it, scoped to the
user's region (a Desk admin also sees unknown senders); the sender's number masked."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from posko.core.personal import mask_phone
from posko.core.views import ObjectListView
from posko.sms.filters import SmsFilter
from posko.sms.models import SmsMessage


class SmsListView(ObjectListView):
    model = SmsMessage
    filterset_class = SmsFilter
    template_name = "sms/message_list.html"
    export_name = "sms"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.can_edit_registry:
            raise PermissionDenied  # the operators who report, and the Desk admin
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return SmsMessage.objects.select_related("user", "tps", "kelurahan", "kecamatan") \
            .order_by("-received_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for msg in context["object_list"]:
            msg.sender_masked = mask_phone(msg.sender)
        return context

    def export_header(self):
        return ["id_pesan", "diterima", "pengirim", "pengguna", "kode_kelurahan", "nomor_tps",
                "jenis", "status", "teks", "balasan"]

    def export_rows(self, queryset):
        for msg in queryset.iterator(chunk_size=2000):
            yield [msg.message_id, msg.received_at.isoformat(), mask_phone(msg.sender),
                   msg.user.username if msg.user else "", msg.kelurahan_id or "",
                   msg.tps.number if msg.tps else "", msg.kind, msg.status, msg.text, msg.reply]
