"""Sends a signed-in user who needs the second login step (``two_factor.required``) to it
until their session is verified. Reads the session only: no query of its own."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from posko.accounts import two_factor

# Paths a user may open between the password and the second step.
_OPEN = ("/static/", "/i18n/", "/keluar/", "/api/v1/auth/token/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.POSKO_REQUIRE_2FA and self._blocked(request):
            step = reverse("accounts:two_factor")
            return HttpResponseRedirect(f"{step}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _blocked(request) -> bool:
        step = reverse("accounts:two_factor")
        if request.path == step or request.path.startswith(_OPEN):
            return False
        return two_factor.required(request.user) and not two_factor.is_verified(request)
