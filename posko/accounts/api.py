"""Token login for the API, with the same failed-login limit and audit as the web login.
A page of another site cannot make its visitors' browsers post to it (403). Each login
creates a new named, expiring token (``accounts.tokens``); a user who needs the second
login step sends the code from their app (or a recovery code) as ``otp``."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.accounts import services, tokens, two_factor
from posko.core import audit
from posko.core.api import ScopedFieldsMixin, refuse_cross_site
from posko.core.middleware import client_ip


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "posko.accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication with required prefix \"Token\""}


class TokenLoginSerializer(ScopedFieldsMixin, AuthTokenSerializer):
    name = serializers.CharField(required=False, max_length=100, write_only=True,
                                 help_text="What the token is for (shown in the token list).")
    otp = serializers.CharField(required=False, max_length=20, write_only=True,
                                help_text="The authenticator code (or a recovery code) of a "
                                          "user who needs two-step verification.")


class TokenAnswerSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class ObtainTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = TokenLoginSerializer

    @extend_schema(request=TokenLoginSerializer, responses=TokenAnswerSerializer)
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
        serializer = TokenLoginSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            services.record_login_failure(username)
            raise
        user = serializer.validated_data["user"]
        if two_factor.required(user):
            self._second_step(user, serializer.validated_data.get("otp", ""))
        token, key = tokens.create(user, name=serializer.validated_data.get("name") or "API login")
        audit.record("login", actor=user, object_repr=username, message="API token")
        return Response({"token": key, "expiry": token.expiry})

    @staticmethod
    def _second_step(user, code: str):
        if two_factor.device(user) is None:
            raise ValidationError({"otp": [_(
                "Your account needs two-step verification: sign in on the web once to set it "
                "up, then send the code from your app as otp.")]})
        if wait := two_factor.wait_seconds(user):
            raise ValidationError({"otp": [_(
                "Too many wrong codes. Wait %(seconds)s seconds and try again.") % {
                    "seconds": wait}]})
        if two_factor.check(user, code) is None:
            services.record_login_failure(user.username)
            raise ValidationError({"otp": [_("That code is not right (or was already used).")]})
