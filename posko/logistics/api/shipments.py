"""Shipments (read, create, confirm the receipt)."""

from __future__ import annotations

import json

import django_filters
from django.db.models import Prefetch
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from posko.core.api import EditableInScope, ScopedModelSerializer, ScopedSerializer
from posko.core.filters import IntegerFilter
from posko.core.idempotency import header_parameter, idempotent
from posko.elections.models import Election, Tps
from posko.logistics.api.common import (
    ElectionDefaultFilter,
    LogisticsScopedMixin,
    choice,
    code_filter,
)
from posko.logistics.models import Shipment, ShipmentLine
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.regions.models import Kecamatan, Kelurahan


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
                  "kelurahan", "tps", "seal_numbers", "box_codes", "vehicle", "driver",
                  "dispatched_at", "dispatched_by", "status", "received_at", "received_by",
                  "receiver_name", "received_seal_numbers", "received_box_codes",
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
    box_codes = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "Box labels scanned at dispatch (POSKO:election:kelurahan-TPS:item:n), one per line; "
        "each must be of a TPS inside the destination."))
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
            attrs["election"] = self.context["request"].election
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
    seal_numbers = serializers.CharField(required=False, allow_blank=True, default="",
                                         max_length=300, help_text=_(
                                             "Seals read on arrival (compared with dispatch)."))
    box_codes = serializers.CharField(required=False, allow_blank=True, default="", help_text=_(
        "Box labels scanned on arrival, one per line; each must be one of the shipment's "
        "boxes."))
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
    kecamatan = code_filter("kecamatan", _("kecamatan"))
    kelurahan = code_filter("kelurahan", _("kelurahan"))

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
        shipment = create_shipment(
            data["election"], data["from_level"], data["to_level"], place,
            {line["item"]: line["dispatched"] for line in data["lines"]},
            seal_numbers=data["seal_numbers"], vehicle=data["vehicle"],
            driver=data["driver"], dispatched_at=data["dispatched_at"], actor=request.user,
            is_return=data["is_return"], note=data["note"], box_codes=data["box_codes"])
        return Response(ShipmentSerializer(self.get_queryset().get(pk=shipment.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        description=_("Confirm the receipt of a shipment as its receiving side: for every item "
                      "the units received and damaged (an explanation when more arrived than "
                      "was dispatched), the receiver's name, and the ``version`` last read. "
                      "Discrepancies become shortfall cases. With an ``Idempotency-Key`` "
                      "(the field app sends one) a retry of the same receipt answers as the "
                      "first time and confirms nothing twice."),
        parameters=[header_parameter(required=False)],
        request={"application/json": ShipmentConfirmSerializer, "multipart/form-data": ShipmentConfirmSerializer},
        responses={200: ShipmentSerializer,
                   400: OpenApiResponse(description=_("Invalid counts, name, time or photo.")),
                   403: OpenApiResponse(description=_("Only the receiving side may confirm.")),
                   409: OpenApiResponse(description=_(
                       "Confirmed already (says by whom and when) or changed since `version`.")),
                   422: OpenApiResponse(description=_(
                       "This Idempotency-Key was already used for another submission."))})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def confirm(self, request, pk=None):
        shipment = self.get_object()  # outside the caller's region: 404 before anything else
        return idempotent(request, lambda: self._confirm(request, shipment), required=False)

    def _confirm(self, request, shipment):
        payload = ShipmentConfirmSerializer(data=self._confirm_data(request),
                                            context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        counts = {line["item"]: (line["received"], line["damaged"], line["explanation"])
                  for line in data["lines"]}
        confirm_receipt(shipment, counts, data["receiver_name"], data["received_at"],
                        data.get("photo"), actor=request.user, expected_version=data["version"],
                        note=data["note"], box_codes=data["box_codes"],
                        seal_numbers=data["seal_numbers"])
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
