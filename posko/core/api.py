"""API base pieces: scoped viewsets whose writes go through the app's services.

Reads: every queryset is ``Model.objects.visible_to(user)``, so an object
outside the caller's scope is a 404. Writes: ``editable_by(user)`` decides,
so a visible object the caller may not change is a 403. Viewsets never call
``serializer.save()``; they hand validated data to a service function, which
validates with the shared rules, saves and audits in one transaction.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from posko.core import audit


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This object is still used by other records and cannot be deleted.")
    default_code = "conflict"


def as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """A Django ValidationError as a DRF one: 400 with the same field errors."""
    detail = serializers.as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return serializers.ValidationError(detail)


@contextmanager
def service_errors_as_400():
    """Turn a service's Django ValidationError into a DRF 400."""
    try:
        yield
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc


class EditableInScope(permissions.BasePermission):
    """Reading needs only the scope (handled by the queryset). Writing needs
    ``editable_by(user)``: for create, that the user may edit this model at all;
    for update and delete, that the object is among the rows the user may edit."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        manager = view.get_queryset().model._default_manager  # lazy: no query
        # ``editable_by`` returns ``none()`` for a user who may edit nothing; no query needed.
        return not manager.editable_by(request.user).query.is_empty()

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        manager = type(obj)._default_manager
        return manager.editable_by(request.user).filter(pk=obj.pk).exists()


class ScopedMixin:
    """Narrows the queryset to the caller's scope; filters apply to lists only,
    so a detail lookup depends on the scope alone."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


class ScopedReadOnlyViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only viewset whose queryset is always narrowed to the caller's scope."""


class ServiceSerializer(serializers.ModelSerializer):
    """A ModelSerializer that validates and renders but never writes:
    the viewset passes ``validated_data`` to a service instead."""

    def create(self, validated_data):
        raise NotImplementedError("Writes go through the app's services, not serializer.save().")

    def update(self, instance, validated_data):
        raise NotImplementedError("Writes go through the app's services, not serializer.save().")


class ScopedServiceViewSet(ScopedMixin, viewsets.ModelViewSet):
    """Scoped read/write viewset. Subclasses name the service calls:
    ``create_object(data)``, ``update_object(obj, before)`` and ``delete_object(obj)``."""

    permission_classes = [permissions.IsAuthenticated, EditableInScope]

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, obj, before: dict):
        raise NotImplementedError

    def delete_object(self, obj):
        raise NotImplementedError

    def perform_create(self, serializer):
        with service_errors_as_400():
            obj = self.create_object(dict(serializer.validated_data))
        obj.refresh_from_db()  # generated and database-side values
        serializer.instance = obj

    def perform_update(self, serializer):
        obj = serializer.instance
        before = audit.snapshot(obj)
        for field, value in serializer.validated_data.items():
            setattr(obj, field, value)
        with service_errors_as_400():
            self.update_object(obj, before)
        obj.refresh_from_db()

    def perform_destroy(self, instance):
        try:
            self.delete_object(instance)
        except (ProtectedError, RestrictedError) as exc:
            raise Conflict() from exc


class OfflineSwaggerView(SpectacularSwaggerView):
    """Swagger UI that never calls out: the assets come from the sidecar (settings) and
    the online validator badge, which would fetch validator.swagger.io, is switched off."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        ui_settings = {**spectacular_settings.SWAGGER_UI_SETTINGS, "validatorUrl": None}
        response.data["settings"] = json.dumps(ui_settings, indent=2)
        return response
