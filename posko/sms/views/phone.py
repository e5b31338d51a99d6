"""My number: the operator sees whether the phone on their account is verified for SMS
reports and makes a one-time code to send back as ``DAFTAR <code>`` (shown once)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views import View

from posko.core.personal import mask_phone
from posko.sms.phones import canonical
from posko.sms.services import phones


class PhoneView(LoginRequiredMixin, View):
    template_name = "sms/phone.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.can_edit_registry:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, **extra):
        user = request.user
        return render(request, self.template_name, {
            "phone": mask_phone(canonical(user.phone)), "has_phone": bool(user.phone.strip()),
            "verified": phones.is_verified(user, user.phone),
            "required": settings.POSKO_SMS_VERIFIED_PHONES,
            "minutes": phones.CODE_MINUTES, **extra})

    def get(self, request):
        return self._render(request)

    def post(self, request):
        try:
            code = phones.new_code(request.user)
        except ValidationError as error:
            return self._render(request, error=" ".join(error.messages))
        return self._render(request, code=code)
