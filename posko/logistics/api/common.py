"""What the logistics viewsets share: the Pemda boundary, the election filter that defaults
to the request's election, inline choice enums, and the whole-body PATCH schema."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posko.core.api import ScopedMixin
from posko.core.election import chosen_pk
from posko.core.scope import region_filter
from posko.elections.models import Election
from posko.logistics.report import PEMDA_BOUNDARY


class WholeBodySchema(AutoSchema):
    """A PATCH whose body is the whole serializer (status and version required), not the
    all-optional "Patched" copy drf-spectacular makes of a PATCH body by default."""

    whole_patch_serializers: tuple = ()

    def _get_request_for_media_type(self, serializer, direction="request"):
        if self.method == "PATCH" and isinstance(force_instance(serializer),
                                                 self.whole_patch_serializers):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)


class LogisticsScopedMixin(ScopedMixin):
    """``visible_to(user)`` plus the Pemda boundary (the logistics tables carry no kab/kota)."""

    def get_queryset(self):
        return super().get_queryset().filter(region_filter(PEMDA_BOUNDARY, self.request.user))


@extend_schema_field(OpenApiTypes.INT)
class ElectionIdFilter(django_filters.ModelChoiceFilter):
    """An election id (documented as an integer, not guessed from a model field)."""


def choice(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose enum stays inline in the schema. The logistics models reuse
    field names (status, kind, from/to level) with other choice sets, and drf-spectacular
    would otherwise name one enum component per field name, with collision warnings (the
    alternative is an ENUM_NAME_OVERRIDES entry per choice set in the settings)."""
    values = [value for value, _label in choices]
    schema = {"allOf": [{"type": "string", "enum": values}],
              "description": "One of: " + ", ".join(values) + "."}
    field_class = extend_schema_field(schema)(type("InlineChoiceField", (serializers.ChoiceField,),
                                                   {}))
    return field_class(choices=choices, **kwargs)


class ElectionDefaultFilter(django_filters.FilterSet):
    """``?election=<id>``; without it, the rows of the request's election (the active one
    unless an admin looks at another; a join on the active one, not one more query)."""

    election_field = "election"
    election = ElectionIdFilter(
        queryset=Election.objects.all(), method="filter_election", label=_("election"),
        help_text=_("Election id; the active election when left out."))

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_election(self, queryset, name, value):
        return queryset  # applied in filter_queryset, with the default

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        chosen = self.form.cleaned_data.get("election")
        if chosen:
            return queryset.filter(**{self.election_field: chosen})
        if self.request is not None and chosen_pk(self.request) is not None:
            return queryset.filter(**{self.election_field: self.request.election})
        return queryset.filter(**{f"{self.election_field}__is_active": True})


def code_filter(field: str, label):
    return django_filters.CharFilter(field_name=f"{field}_id", label=label,
                                     help_text=_("Region code, e.g. 35.73.02."))
