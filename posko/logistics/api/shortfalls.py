"""Shortfall cases (read, status change)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.response import Response

from posko.accounts.models import Agency
from posko.core.api import EditableInScope, ScopedModelSerializer, ScopedSerializer
from posko.core.filters import IntegerFilter
from posko.logistics.api.common import (
    ElectionDefaultFilter,
    LogisticsScopedMixin,
    WholeBodySchema,
    choice,
    code_filter,
)
from posko.logistics.models import Shortfall
from posko.logistics.services.shortfalls import update_shortfall


class ShortfallSerializer(ScopedModelSerializer):
    kind = choice(Shortfall.Kind.choices, read_only=True)
    status = choice(Shortfall.Status.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True, allow_null=True)
    item_name = serializers.CharField(source="item.name", read_only=True, allow_null=True)
    contest = serializers.IntegerField(
        source="item.contest_id", read_only=True, allow_null=True,
        help_text=_("The contest whose item is short (ballots, result forms); null for a "
                    "shared item or a case without an item."))
    contest_name = serializers.CharField(source="item.contest.name", read_only=True,
                                         allow_null=True)

    class Meta:
        model = Shortfall
        fields = ["id", "election", "kind", "kind_label", "kecamatan", "kelurahan", "tps", "item",
                  "item_name", "contest", "contest_name", "quantity", "shipment", "description", "owner", "status", "status_label",
                  "resolution", "created_at", "closed_at", "closed_by", "version"]


class ShortfallUpdateSerializer(ScopedSerializer):
    status = choice(Shortfall.Status.choices)
    resolution = serializers.CharField(required=False, allow_blank=True, default="",
                                       help_text=_("Required when the status is resolved."))
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False, allow_null=True,
        help_text=_("Owning agency (Desk Pilkada admin only); unchanged when left out."))
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version the change was made from (as last read); "
                                 "a case saved by someone else since then gives 409."))


class ShortfallFilter(ElectionDefaultFilter):
    status = django_filters.ChoiceFilter(choices=Shortfall.Status.choices, label=_("status"))
    kind = django_filters.ChoiceFilter(choices=Shortfall.Kind.choices, label=_("kind"))
    tps = IntegerFilter(field_name="tps_id", label=_("TPS"))
    kecamatan = code_filter("kecamatan", _("kecamatan"))
    kelurahan = code_filter("kelurahan", _("kelurahan"))
    contest = IntegerFilter(field_name="item__contest_id", label=_("contest"))

    class Meta:
        model = Shortfall
        fields = ["election", "status", "kind", "tps", "kecamatan", "kelurahan", "contest"]


class ShortfallSchema(WholeBodySchema):
    whole_patch_serializers = (ShortfallUpdateSerializer,)


class ShortfallViewSet(LogisticsScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """Shortfall cases (short, damaged, surplus, late, below requirement), open ones first.
    ``PATCH`` changes the status (and the resolution, required to resolve) with the
    ``version`` last read: a stale version is a 409."""

    queryset = Shortfall.objects.select_related("item__contest")
    serializer_class = ShortfallSerializer
    filterset_class = ShortfallFilter
    permission_classes = [permissions.IsAuthenticated, EditableInScope]
    http_method_names = ["get", "patch", "head", "options"]
    schema = ShortfallSchema()

    @extend_schema(request=ShortfallUpdateSerializer, responses={
        200: ShortfallSerializer, 400: OpenApiResponse(description=_("Invalid status change.")),
        403: OpenApiResponse(description=_("The caller may not change this case.")),
        409: OpenApiResponse(description=_("Saved by someone else since `version`."))})
    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        change = ShortfallUpdateSerializer(data=request.data,
                                           context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        data = change.validated_data
        extra = {"owner": data["owner"]} if "owner" in data else {}
        update_shortfall(case, actor=request.user, status=data["status"],
                         resolution=data["resolution"], expected_version=data["version"], **extra)
        return Response(ShortfallSerializer(
            Shortfall.objects.select_related("item__contest").get(pk=case.pk)).data)
