"""Requirements (read) and readiness per TPS and per region (read, summary)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from posko.core.filters import IntegerFilter
from posko.logistics.api.common import (
    ElectionDefaultFilter,
    LogisticsScopedMixin,
    choice,
    code_filter,
)
from posko.logistics.models import Requirement, TpsReadiness
from posko.logistics.report import percent_ready
from posko.logistics.services.readiness import rollup
from posko.regions.models import Kecamatan, Kelurahan


class RequirementSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    contest = serializers.IntegerField(
        source="item.contest_id", read_only=True, allow_null=True,
        help_text=_("The contest of a per-contest line (ballots, result forms); null for an "
                    "item shared by every contest."))
    contest_name = serializers.CharField(source="item.contest.name", read_only=True,
                                         allow_null=True)
    unit = serializers.CharField(source="item.unit", read_only=True)
    tps_label = serializers.CharField(source="tps.label", read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "tps", "tps_label", "kecamatan", "kelurahan", "item", "item_code",
                  "item_name", "contest", "contest_name", "unit", "quantity"]


class RequirementFilter(ElectionDefaultFilter):
    election_field = "item__election"
    tps = IntegerFilter(field_name="tps_id", label=_("TPS"))
    item = IntegerFilter(field_name="item_id", label=_("item"))
    contest = IntegerFilter(field_name="item__contest_id", label=_("contest"))
    kecamatan = code_filter("kecamatan", _("kecamatan"))
    kelurahan = code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = Requirement
        fields = ["election", "tps", "item", "contest", "kecamatan", "kelurahan"]


class RequirementViewSet(LogisticsScopedMixin, viewsets.ReadOnlyModelViewSet):
    """What every TPS needs per item, computed from the item's norm and the TPS's DPT
    (never typed). Filter with ``?tps=``, ``?item=``, ``?kecamatan=``, ``?kelurahan=``."""

    queryset = Requirement.objects.select_related("item__contest", "tps").order_by("tps_id", "item_id")
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter


class ReadinessSerializer(serializers.ModelSerializer):
    tps_label = serializers.CharField(source="tps.label", read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True)
    state = choice(TpsReadiness.State.choices, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    percent = serializers.FloatField(read_only=True, help_text=_(
        "Required units confirmed at the TPS in good condition (%)."))

    class Meta:
        model = TpsReadiness
        fields = ["tps", "tps_label", "election", "kecamatan", "kelurahan", "state", "state_label",
                  "percent", "required_units", "good_units", "open_shortfalls",
                  "last_received_at", "updated_at"]


class ReadinessFilter(ElectionDefaultFilter):
    state = django_filters.ChoiceFilter(choices=TpsReadiness.State.choices, label=_("state"))
    kecamatan = code_filter("kecamatan", _("kecamatan"))
    kelurahan = code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = TpsReadiness
        fields = ["election", "state", "kecamatan", "kelurahan"]


class SummaryFilter(ElectionDefaultFilter):
    kecamatan = code_filter("kecamatan", _("kecamatan"))

    class Meta:
        model = TpsReadiness
        fields = ["election", "kecamatan"]


class ReadinessSummarySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Kecamatan or kelurahan code."))
    name = serializers.CharField()
    tps = serializers.IntegerField()
    lengkap = serializers.IntegerField()
    kurang = serializers.IntegerField()
    belum = serializers.IntegerField()
    bermasalah = serializers.IntegerField()
    required_units = serializers.IntegerField()
    good_units = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text=_(
        "Good units out of required units (%); null without requirements."))


SUMMARY_LEVELS = {"kecamatan": ("kecamatan_id", Kecamatan), "kelurahan": ("kelurahan_id", Kelurahan)}


class ReadinessViewSet(LogisticsScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Each TPS's readiness (``{tps}`` is the TPS id): state (lengkap / kurang / belum /
    bermasalah) and percentage. Filter with ``?state=``, ``?kecamatan=``, ``?kelurahan=``.
    ``summary/?level=kecamatan|kelurahan`` rolls the rows up per region."""

    queryset = TpsReadiness.objects.select_related("tps").order_by("kelurahan_id", "tps_id")
    serializer_class = ReadinessSerializer
    filterset_class = ReadinessFilter

    @extend_schema(
        description=_("Readiness rolled up per kecamatan (default) or kelurahan: TPS per state "
                      "and units required and received in good condition. Filter with "
                      "``?kecamatan=`` (e.g. the kelurahan of one kecamatan)."),
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=list(SUMMARY_LEVELS),
                             description=str(_("Group per kecamatan (default) or kelurahan."))),
        ],
        responses={200: ReadinessSummarySerializer(many=True),
                   400: OpenApiResponse(description=_("Unknown level or filter value."))})
    @action(detail=False, methods=["get"], filterset_class=SummaryFilter)
    def summary(self, request):
        level = request.query_params.get("level") or "kecamatan"
        if level not in SUMMARY_LEVELS:
            raise serializers.ValidationError({"level": [_("Choose kecamatan or kelurahan.")]})
        group, model = SUMMARY_LEVELS[level]
        filterset = SummaryFilter(request.query_params, queryset=self.get_queryset(),
                                  request=request)
        if not filterset.is_valid():
            raise serializers.ValidationError(filterset.errors)
        rows = list(rollup(filterset.qs.select_related(None).order_by(), group))
        page = self.paginate_queryset(rows)
        names = dict(model.objects.filter(code__in=[r[group] for r in page])
                     .values_list("code", "name"))
        data = [{"code": r[group], "name": names.get(r[group], ""), "tps": r["tps"],
                 "lengkap": r["lengkap"], "kurang": r["kurang"], "belum": r["belum"],
                 "bermasalah": r["bermasalah"], "required_units": r["required_units"] or 0,
                 "good_units": r["good_units"] or 0,
                 "percent": percent_ready(r["good_units"], r["required_units"])} for r in page]
        return self.get_paginated_response(ReadinessSummarySerializer(data, many=True).data)
