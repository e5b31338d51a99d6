"""Logistics API: requirements (read), readiness per TPS and per region, shortfall cases
(read, status change) and shipments (read, create, confirm the receipt).

Same rules as the pages: reads through ``visible_to(user)`` and the Pemda boundary
(outside them: 404), writes only for roles that may edit (a read-only role: 403), and
every write through ``posko.logistics.custody``. A service's ValidationError is a 400
with the same field errors, a ConflictError (stale ``version``, a receipt confirmed
already) a 409 with its message, a PermissionDenied a 403; nothing is saved on any.
Lists are paginated (``count``, ``next``, ``previous``, ``results``) and default to the
active election (``?election=`` for another).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from posko.accounts.models import Agency
from posko.core.api import (
    EditableInScope,
    ScopedMixin,
    ScopedModelSerializer,
    ScopedSerializer,
    as_drf_error,
)
from posko.core.filters import IntegerFilter
from posko.core.scope import region_filter
from posko.core.services import ConflictError
from posko.elections.models import Election, Tps
from posko.logistics.models import Requirement, Shipment, ShipmentLine, Shortfall, TpsReadiness
from posko.logistics.readiness import rollup
from posko.logistics.report import PEMDA_BOUNDARY, percent_ready
from posko.regions.models import Kecamatan, Kelurahan


class LogisticsConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone else saved this in the meantime.")
    default_code = "conflict"


@contextmanager
def service_errors():
    """ConflictError → 409 (with its message), other ValidationError → 400.
    (A Django PermissionDenied is a 403 through DRF's own handler.)"""
    try:
        yield
    except ConflictError as exc:
        raise LogisticsConflict(detail=" ".join(exc.messages)) from exc
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc


def _custody():
    # Imported when a write happens (the custody services are another area's module).
    from posko.logistics import custody

    return custody


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
    """``?election=<id>``; without it, the active election's rows only."""

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
        return queryset.filter(**{f"{self.election_field}__is_active": True})


def _code_filter(field: str, label):
    return django_filters.CharFilter(field_name=f"{field}_id", label=label,
                                     help_text=_("Region code, e.g. 35.73.02."))


# --- requirements --------------------------------------------------------------------------------

class RequirementSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)
    tps_label = serializers.CharField(source="tps.label", read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True)

    class Meta:
        model = Requirement
        fields = ["id", "tps", "tps_label", "kecamatan", "kelurahan", "item", "item_code",
                  "item_name", "unit", "quantity"]


class RequirementFilter(ElectionDefaultFilter):
    election_field = "item__election"
    tps = IntegerFilter(field_name="tps_id", label=_("TPS"))
    item = IntegerFilter(field_name="item_id", label=_("item"))
    kecamatan = _code_filter("kecamatan", _("kecamatan"))
    kelurahan = _code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = Requirement
        fields = ["election", "tps", "item", "kecamatan", "kelurahan"]


class RequirementViewSet(LogisticsScopedMixin, viewsets.ReadOnlyModelViewSet):
    """What every TPS needs per item, computed from the item's norm and the TPS's DPT
    (never typed). Filter with ``?tps=``, ``?item=``, ``?kecamatan=``, ``?kelurahan=``."""

    queryset = Requirement.objects.select_related("item", "tps").order_by("tps_id", "item_id")
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter


# --- readiness ---------------------------------------------------------------------------------

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
    kecamatan = _code_filter("kecamatan", _("kecamatan"))
    kelurahan = _code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = TpsReadiness
        fields = ["election", "state", "kecamatan", "kelurahan"]


class SummaryFilter(ElectionDefaultFilter):
    kecamatan = _code_filter("kecamatan", _("kecamatan"))

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


# --- shortfall cases ----------------------------------------------------------------------------

class ShortfallSerializer(ScopedModelSerializer):
    kind = choice(Shortfall.Kind.choices, read_only=True)
    status = choice(Shortfall.Status.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True, allow_null=True)

    class Meta:
        model = Shortfall
        fields = ["id", "election", "kind", "kind_label", "kecamatan", "kelurahan", "tps", "item",
                  "quantity", "shipment", "description", "owner", "status", "status_label",
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
    kecamatan = _code_filter("kecamatan", _("kecamatan"))
    kelurahan = _code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = Shortfall
        fields = ["election", "status", "kind", "tps", "kecamatan", "kelurahan"]


class ShortfallSchema(WholeBodySchema):
    whole_patch_serializers = (ShortfallUpdateSerializer,)


class ShortfallViewSet(LogisticsScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """Shortfall cases (short, damaged, surplus, late, below requirement), open ones first.
    ``PATCH`` changes the status (and the resolution, required to resolve) with the
    ``version`` last read: a stale version is a 409."""

    queryset = Shortfall.objects.all()
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
        with service_errors():
            _custody().update_shortfall(case, actor=request.user, status=data["status"],
                                        resolution=data["resolution"],
                                        expected_version=data["version"], **extra)
        return Response(ShortfallSerializer(Shortfall.objects.get(pk=case.pk)).data)


# --- shipments ------------------------------------------------------------------------------------

class ShipmentLineSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    condition = serializers.CharField(read_only=True, help_text=_(
        "baik / rusak / kurang once received; empty before."))

    class Meta:
        model = ShipmentLine
        fields = ["item", "item_code", "item_name", "dispatched", "received", "damaged",
                  "explanation", "condition"]


class ShipmentSerializer(ScopedModelSerializer):
    from_level = choice(Shipment.Level.choices, read_only=True)
    to_level = choice(Shipment.Level.choices, read_only=True)
    status = choice(Shipment.Status.choices, read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.CharField(source="kelurahan_id", read_only=True, allow_null=True)
    has_handover_photo = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = ["id", "election", "is_return", "from_level", "to_level", "kecamatan",
                  "kelurahan", "tps", "seal_numbers", "vehicle", "driver", "dispatched_at",
                  "dispatched_by", "status", "received_at", "received_by", "receiver_name",
                  "has_handover_photo", "note", "created_at", "version", "lines"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_handover_photo(self, shipment) -> bool:
        return bool(shipment.handover_photo)


class ShipmentNewLineSerializer(ScopedSerializer):
    item = serializers.IntegerField(help_text=_("Item id of the election's catalogue."))
    # No minimum here: the service names the item in its message for a negative count.
    dispatched = serializers.IntegerField()


class ShipmentCreateSerializer(ScopedSerializer):
    election = serializers.PrimaryKeyRelatedField(
        queryset=Election.objects.all(), required=False,
        help_text=_("Election id; the active election when left out."))
    from_level = choice(Shipment.Level.choices)
    to_level = choice(Shipment.Level.choices)
    is_return = serializers.BooleanField(required=False, default=False)
    kecamatan = serializers.CharField(required=False, allow_blank=True, help_text=_(
        "Kecamatan code of a PPK destination (for a return: origin)."))
    kelurahan = serializers.CharField(required=False, allow_blank=True, help_text=_(
        "Kelurahan code of a PPS destination (for a return: origin)."))
    tps = serializers.IntegerField(required=False, allow_null=True, help_text=_(
        "TPS id of a TPS destination (for a return: origin)."))
    seal_numbers = serializers.CharField(required=False, allow_blank=True, default="",
                                         max_length=300)
    vehicle = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    driver = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    dispatched_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ShipmentNewLineSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines):
        items = [line["item"] for line in lines]
        if len(items) != len(set(items)):
            raise serializers.ValidationError(_("Each item may appear only once."))
        return lines

    def validate(self, attrs):
        if attrs.get("election") is None:
            attrs["election"] = Election.active()
            if attrs["election"] is None:
                raise serializers.ValidationError(
                    {"election": _("There is no active election: choose one.")})
        return attrs


class ShipmentConfirmLineSerializer(ScopedSerializer):
    item = serializers.IntegerField()
    received = serializers.IntegerField(help_text=_("Units received."))
    damaged = serializers.IntegerField(required=False, default=0,
                                       help_text=_("Of which damaged."))
    explanation = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text=_("Required when more was received than "
                                                    "dispatched."))


class ShipmentConfirmSerializer(ScopedSerializer):
    version = serializers.IntegerField(min_value=1, help_text=_(
        "The shipment's version as last read; a receipt confirmed or a shipment changed "
        "since then gives 409."))
    receiver_name = serializers.CharField(allow_blank=True, max_length=300)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            help_text=_("Now when left out."))
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ShipmentConfirmLineSerializer(many=True, help_text=_(
        "One entry per item of the shipment. In multipart/form-data: a JSON string."))
    photo = serializers.FileField(required=False, allow_null=True, allow_empty_file=True,
                                  help_text=_("Photo of the signed hand-over record (JPEG, "
                                              "PNG, WEBP); multipart/form-data."))

    def validate_lines(self, lines):
        items = [line["item"] for line in lines]
        if len(items) != len(set(items)):
            raise serializers.ValidationError(_("Each item may appear only once."))
        return lines


class ShipmentFilter(ElectionDefaultFilter):
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices, label=_("status"))
    from_level = django_filters.ChoiceFilter(choices=Shipment.Level.choices, label=_("from"))
    to_level = django_filters.ChoiceFilter(choices=Shipment.Level.choices, label=_("to"))
    is_return = django_filters.BooleanFilter(label=_("return after counting"))
    tps = IntegerFilter(field_name="tps_id", label=_("TPS"))
    kecamatan = _code_filter("kecamatan", _("kecamatan"))
    kelurahan = _code_filter("kelurahan", _("kelurahan"))

    class Meta:
        model = Shipment
        fields = ["election", "status", "from_level", "to_level", "is_return", "tps", "kecamatan",
                  "kelurahan"]


PLACE_FIELDS = {Shipment.Level.PPK: ("kecamatan", Kecamatan), Shipment.Level.PPS: ("kelurahan", Kelurahan),
                Shipment.Level.TPS: ("tps", Tps)}


class ShipmentViewSet(LogisticsScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Shipments along the chain KPU warehouse → PPK → PPS → TPS (and returns), newest
    first. ``POST`` records a shipment as its sender (the destination must be inside the
    sender's region); ``POST {id}/confirm/`` confirms the receipt as the receiving side,
    with the counts per item and the ``version`` last read."""

    queryset = Shipment.objects.prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("item")))
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    permission_classes = [permissions.IsAuthenticated, EditableInScope]
    http_method_names = ["get", "post", "head", "options"]

    def _place(self, data):
        """The Kecamatan, Kelurahan or Tps the route records (None: the service says which is
        missing). Looked up in the whole table: the service tells a place outside the
        sender's region from a missing one without naming places the sender cannot see."""
        level = data["from_level"] if data["is_return"] else data["to_level"]
        field, model = PLACE_FIELDS.get(level, (None, None))
        if field is None:
            return None
        value = data.get(field)
        if value in (None, ""):
            return None
        place = model.objects.filter(pk=value).first()
        if place is None:
            raise serializers.ValidationError({field: [_("%(value)s does not exist.") % {
                "value": value}]})
        return place

    @extend_schema(request=ShipmentCreateSerializer, responses={
        201: ShipmentSerializer, 400: OpenApiResponse(description=_(
            "Invalid shipment (route, place outside the sender's region, counts).")),
        403: OpenApiResponse(description=_("The caller may not record shipments."))})
    def create(self, request, *args, **kwargs):
        payload = ShipmentCreateSerializer(data=request.data,
                                           context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        place = self._place(data)
        with service_errors():
            shipment = _custody().create_shipment(
                data["election"], data["from_level"], data["to_level"], place,
                {line["item"]: line["dispatched"] for line in data["lines"]},
                seal_numbers=data["seal_numbers"], vehicle=data["vehicle"],
                driver=data["driver"], dispatched_at=data["dispatched_at"], actor=request.user,
                is_return=data["is_return"], note=data["note"])
        return Response(ShipmentSerializer(self.get_queryset().get(pk=shipment.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        description=_("Confirm the receipt of a shipment as its receiving side: for every item "
                      "the units received and damaged (an explanation when more arrived than "
                      "was dispatched), the receiver's name, and the ``version`` last read. "
                      "Discrepancies become shortfall cases."),
        request={"application/json": ShipmentConfirmSerializer, "multipart/form-data": ShipmentConfirmSerializer},
        responses={200: ShipmentSerializer,
                   400: OpenApiResponse(description=_("Invalid counts, name, time or photo.")),
                   403: OpenApiResponse(description=_("Only the receiving side may confirm.")),
                   409: OpenApiResponse(description=_(
                       "Confirmed already (says by whom and when) or changed since `version`."))})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def confirm(self, request, pk=None):
        shipment = self.get_object()
        payload = ShipmentConfirmSerializer(data=self._confirm_data(request),
                                            context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        counts = {line["item"]: (line["received"], line["damaged"], line["explanation"])
                  for line in data["lines"]}
        with service_errors():
            _custody().confirm_receipt(
                shipment, counts, data["receiver_name"], data["received_at"],
                data.get("photo"), actor=request.user, expected_version=data["version"],
                note=data["note"])
        return Response(ShipmentSerializer(self.get_queryset().get(pk=shipment.pk)).data)

    @staticmethod
    def _confirm_data(request):
        """JSON as it is; multipart with ``lines`` as a JSON string and the photo as a file."""
        if not isinstance(request.data, QueryDict):
            return request.data
        data = {key: request.data.get(key) for key in request.data if key != "photo"}
        raw = data.get("lines")
        if isinstance(raw, str):
            try:
                data["lines"] = json.loads(raw)
            except ValueError:
                raise serializers.ValidationError(
                    {"lines": [_("Send the lines as a JSON list.")]}) from None
        photo = request.FILES.get("photo")
        if photo is not None:
            data["photo"] = photo
        return data


ROUTES = [
    ("logistics/requirements", RequirementViewSet, "logistics-requirement"),
    ("logistics/readiness", ReadinessViewSet, "logistics-readiness"),
    ("logistics/shortfalls", ShortfallViewSet, "logistics-shortfall"),
    ("logistics/shipments", ShipmentViewSet, "logistics-shipment"),
]
