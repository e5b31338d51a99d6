"""API base pieces: scoped viewsets whose writes go through the app's services.

Reads: every queryset is ``Model.objects.visible_to(user)``, so an object
outside the caller's scope is a 404. Writes: ``editable_by(user)`` decides,
so a visible object the caller may not change is a 403. Viewsets never call
``serializer.save()``; they hand validated data to a service function, which
validates with the shared rules, saves and audits in one transaction.

Keys in a payload (a TPS id, a kelurahan code, ids in a bulk list): every write
serializer uses ``ScopedFieldsMixin``, so another region's key is answered exactly
like one that does not exist (400), on create, update and custom actions alike.
Anonymous endpoints that write call ``refuse_cross_site`` (they have no CSRF token).
"""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import ProtectedError, RestrictedError
from django.utils.encoding import smart_str
from django.utils.http import is_same_domain
from django.utils.translation import gettext_lazy as _
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.settings import api_settings
from rest_framework.utils.formatting import lazy_format

from posko.core import audit
from posko.core.filters import INT64_MAX, INT64_MIN, BoundedIntegerField


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


def int_param(params, name: str) -> int | None:
    """The query parameter ``name`` as a whole number inside 64 bits (None when absent or
    empty); anything else is a 400 naming the parameter, never a 500."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return BoundedIntegerField().clean(raw)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({name: exc.messages}) from None


@contextmanager
def service_errors_as_400():
    """Turn a service's Django ValidationError into a DRF 400."""
    try:
        yield
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc


def origin_allowed(request, origin: str) -> bool:
    """``origin`` is this site (scheme and host of the request) or one of
    CSRF_TRUSTED_ORIGINS (``https://*.example.go.id`` allows its subdomains)."""
    if origin == f"{'https' if request.is_secure() else 'http'}://{request.get_host()}":
        return True
    trusted = getattr(settings, "CSRF_TRUSTED_ORIGINS", [])
    if origin in trusted:
        return True
    parts = urlsplit(origin)
    for allowed in trusted:
        if "*" in allowed:
            pattern = urlsplit(allowed)
            if pattern.scheme == parts.scheme and is_same_domain(parts.netloc,
                                                                 pattern.netloc.lstrip("*")):
                return True
    return False


def is_cross_site(request) -> bool:
    """The browser says the request comes from a page of another site: an ``Origin`` that
    is not this site or a trusted origin (``null`` included), or, without ``Origin``,
    ``Sec-Fetch-Site: cross-site``. Apps and curl send neither and are not refused."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None:
        return not origin_allowed(request, origin)
    return request.META.get("HTTP_SEC_FETCH_SITE", "").strip().lower() == "cross-site"


CROSS_SITE_REFUSED = _("Requests sent from a page of another site are not accepted here.")


def refuse_cross_site(request) -> None:
    """For an endpoint without a session (so without CSRF protection) that writes: a
    page of another site must not make its visitors' browsers post to it (403)."""
    if request.method not in permissions.SAFE_METHODS and is_cross_site(request):
        raise PermissionDenied(CROSS_SITE_REFUSED)


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


class VisibleRelatedMixin:
    """A related field whose choices are the rows the requesting user may see
    (``visible_to(request.user)``, for models with a scoped manager): another region's id
    is answered exactly like an id that does not exist (400 "does not exist"). Without a
    request in the serializer context no scoped row is a valid choice."""

    def get_queryset(self):
        queryset = super().get_queryset()
        visible_to = getattr(queryset, "visible_to", None)
        if visible_to is None:
            return queryset  # not a scoped model (users, agencies): unchanged
        request = self.context.get("request")
        return visible_to(getattr(request, "user", None))


class NulSafePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A key with a NUL character (a text key: kelurahan codes) is one that does not exist
    (400), not a lookup that PostgreSQL refuses (500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", pk_value=smart_str(data))
        return super().to_internal_value(data)


class VisiblePrimaryKeyRelatedField(VisibleRelatedMixin, NulSafePrimaryKeyRelatedField):
    pass


class NulSafeSlugRelatedField(serializers.SlugRelatedField):
    """A slug with a NUL character is one that does not exist (400), not a lookup that
    PostgreSQL refuses (500)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return super().to_internal_value(data)


class VisibleSlugRelatedField(VisibleRelatedMixin, NulSafeSlugRelatedField):
    pass


class ConstantSlugRelatedField(serializers.SlugRelatedField):
    """A slug field over a Pemda-wide catalogue that the process caches
    (``core.constants``): ``lookup(slug)`` gives the valid row with that slug or None, so the
    write path asks the database nothing. The queryset is still given for the schema and the
    browsable API; an unknown slug is answered exactly like SlugRelatedField does."""

    def __init__(self, *, lookup, **kwargs):
        self.lookup = lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str | int) or isinstance(data, bool):
            self.fail("invalid")
        row = self.lookup(str(data))
        if row is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))
        return row


_VISIBLE_VARIANTS: dict[type, type] = {
    serializers.PrimaryKeyRelatedField: VisiblePrimaryKeyRelatedField,
    serializers.SlugRelatedField: VisibleSlugRelatedField,
}


_NUL_SAFE_VARIANTS: dict[type, type] = {
    serializers.PrimaryKeyRelatedField: NulSafePrimaryKeyRelatedField,
    serializers.SlugRelatedField: NulSafeSlugRelatedField,
}


def _visible_variant(cls: type) -> type:
    if cls not in _VISIBLE_VARIANTS:
        _VISIBLE_VARIANTS[cls] = type(f"Visible{cls.__name__}", (VisibleRelatedMixin, cls),
                                      {"__module__": __name__})
    return _VISIBLE_VARIANTS[cls]


def _bound_integer(field: serializers.IntegerField) -> None:
    """A whole number a database column can hold: 64 bits (SQLite answers larger ones
    with an OverflowError, a 500)."""
    if field.max_value is None or field.max_value > INT64_MAX:
        field.max_value = INT64_MAX
        field.validators.append(MaxValueValidator(INT64_MAX, message=lazy_format(
            field.error_messages["max_value"], max_value=INT64_MAX)))
    if field.min_value is None or field.min_value < INT64_MIN:
        field.min_value = INT64_MIN
        field.validators.append(MinValueValidator(INT64_MIN, message=lazy_format(
            field.error_messages["min_value"], min_value=INT64_MIN)))


def harden_field(field, *, scoped: bool = True) -> None:
    """Scope a writable related field to the caller (see VisibleRelatedMixin) and keep a
    writable integer inside 64 bits; list fields and many-relations are handled per item."""
    if field.read_only:
        return
    if isinstance(field, serializers.ManyRelatedField):
        harden_field(field.child_relation, scoped=scoped)
    elif isinstance(field, serializers.ListField):
        harden_field(field.child, scoped=scoped)
    elif isinstance(field, serializers.RelatedField):
        if scoped and not isinstance(field, VisibleRelatedMixin):
            field.__class__ = _visible_variant(type(field))
        elif type(field) in _NUL_SAFE_VARIANTS:
            field.__class__ = _NUL_SAFE_VARIANTS[type(field)]
    elif isinstance(field, serializers.IntegerField):
        _bound_integer(field)
    elif isinstance(field, serializers.DateTimeField):
        field.validators.append(_from_1900)


def _from_1900(value) -> None:
    """Before 1900 a zone's offset has seconds (Asia/Jakarta: +07:07:12), which no
    RFC 3339 date-time can carry: such a moment would be saved and answered in a form the
    API's own schema refuses. No Posko date is that old."""
    if value.year < 1900:
        raise serializers.ValidationError(_("Enter a date from 1900 on."))


class ScopedFieldsMixin:
    """For every serializer that accepts writes (create, update, custom actions, bulk
    lists): each writable related field only accepts rows the requesting user may see,
    and each integer stays inside 64 bits. Pass ``context={"request": request}`` to a
    serializer built by hand. ``scoped_relations = False`` only for an anonymous endpoint
    whose related fields are Pemda-wide catalogues (the public report form)."""

    scoped_relations = True
    serializer_related_field = VisiblePrimaryKeyRelatedField

    def get_fields(self):
        # A ModelSerializer rebuilds its fields from the model on every instantiation (a few
        # milliseconds per request, twice for a write: input and output). They depend on the
        # class only, so they are built once per class and copied; hardening is applied to
        # each copy (it sets per-instance validators).
        template = _FIELDS.get(type(self))
        if template is None:
            template = _FIELDS[type(self)] = super().get_fields()
        fields = {name: copy_field(field) for name, field in template.items()}
        for field in fields.values():
            harden_field(field, scoped=self.scoped_relations)
        return fields


_FIELDS: dict[type, dict] = {}
# Fields that hold other fields (bound to them in turn): copied deeply, like DRF does.
_NESTING = (serializers.BaseSerializer, serializers.ListField, serializers.DictField,
            serializers.ManyRelatedField)


def copy_field(field):
    """A fresh unbound copy of a template field. DRF's deepcopy re-instantiates the field
    from its arguments (~0.1 ms each, the largest cost of a small write); a plain field only
    needs its own attributes, so it is copied shallowly with its own validator list — the
    queryset, choices and messages it shares with the template are never changed in place."""
    if isinstance(field, _NESTING):
        return copy.deepcopy(field)
    clone = copy.copy(field)
    if "_validators" in clone.__dict__:
        clone._validators = list(clone._validators)
    return clone


class ScopedSerializer(ScopedFieldsMixin, serializers.Serializer):
    """A plain serializer of a write payload (see ScopedFieldsMixin)."""


class ScopedModelSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    """A ModelSerializer whose writable keys are scoped to the caller (see ScopedFieldsMixin)."""


class ServiceSerializer(ScopedModelSerializer):
    """A ModelSerializer that validates and renders but never writes:
    the viewset passes ``validated_data`` to a service instead. Its related fields only
    accept rows the caller may see, on create and update alike."""

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


class OfflineSwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI that never calls out: the assets come from the sidecar (settings) and
    the online validator badge, which would fetch validator.swagger.io, is switched off.
    The Content-Security-Policy allows no inline script or <style>: the start-up script is
    served from this same URL with ``?script`` (drf-spectacular's split view) and the page's
    few style rules come from a static file (core/swagger_ui.html)."""

    template_name = "core/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if "settings" in response.data:  # the start-up script
            ui_settings = {**spectacular_settings.SWAGGER_UI_SETTINGS, "validatorUrl": None}
            response.data["settings"] = json.dumps(ui_settings, indent=2)
        return response
