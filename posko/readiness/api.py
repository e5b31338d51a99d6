"""API of the readiness module (``ROUTES`` is read by posko/api_urls.py): the stored index
per TPS of the request's election, least ready first, in the caller's scope (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from posko.core.api import ScopedReadOnlyViewSet
from posko.readiness.models import TpsIndex


class TpsIndexSerializer(serializers.ModelSerializer):
    components = serializers.DictField(
        child=serializers.ListField(), help_text="{component key: [value 0..1, reason]}")

    class Meta:
        model = TpsIndex
        fields = ["tps", "kecamatan", "kelurahan", "index", "missing", "components", "computed_at"]


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("kecamatan", str), OpenApiParameter("kelurahan", str)]))
class TpsIndexViewSet(ScopedReadOnlyViewSet):
    """Each TPS's readiness components and index (computed by jobs), least ready first."""

    serializer_class = TpsIndexSerializer
    queryset = TpsIndex.objects.all()

    def get_queryset(self):
        election = getattr(self.request, "election", None)
        qs = super().get_queryset()
        if election is None:
            return qs.none()
        return qs.filter(election=election).order_by("index", "tps_id")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = self.request.query_params
        for param in ("kecamatan", "kelurahan"):
            if params.get(param):
                queryset = queryset.filter(**{f"{param}_id": params[param]})
        return queryset


ROUTES = [("readiness/tps", TpsIndexViewSet, "readiness-tps")]
