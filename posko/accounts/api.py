"""Token login for the API, with the same failed-login limit and audit as the web login.
A page of another site cannot make its visitors' browsers post to it (403)."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from posko.accounts import services
from posko.accounts.models import User
from posko.core import audit
from posko.core.api import refuse_cross_site
from posko.core.middleware import client_ip


class ObtainTokenView(ObtainAuthToken):
    def post(self, request, *args, **kwargs):
        refuse_cross_site(request)
        username = str(request.data.get("username", ""))[:150]
        if services.login_blocked(username, client_ip(request)):
            return Response(
                {"non_field_errors": [_(
                    "Too many failed attempts. Wait %(minutes)s minutes and try again, "
                    "or ask the Desk Pilkada admin.") % {
                        "minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES}]},
                status=status.HTTP_429_TOO_MANY_REQUESTS)
        try:
            response = super().post(request, *args, **kwargs)
        except ValidationError:
            services.record_login_failure(username)
            raise
        audit.record("login", actor=self._user(username), object_repr=username, message="API token")
        return response

    @staticmethod
    def _user(username):
        return User.objects.filter(username=username).first()
