"""API of the workers module: ``ROUTES`` and ``EXTRA_URLS`` are read by posko/api_urls.py.

NIK and phone are write-only: responses carry the masked values only (``nik_masked``,
``phone_masked``); the name and the address are answered masked too. ``POST
workers/{id}/reveal/`` with a reason gives them in clear to a user with the personal-data
permission (one audit row, core.personal). A posting outside the caller's region is a 404,
like on the pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.core import personal
from posko.core.api import (
    ScopedMixin,
    ScopedServiceViewSet,
    ServiceSerializer,
)
from posko.core.scope import get_visible_or_404
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import privacy, rules, services, stats
from posko.workers.filters import IncidentFilter, WorkerFilter
from posko.workers.models import Claim, Incident, Screening, Worker, WorkerSettings


class WorkerSerializer(ServiceSerializer):
    nik = serializers.CharField(write_only=True, max_length=20)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    nik_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    tps = serializers.PrimaryKeyRelatedField(queryset=Tps.objects.all(), required=False, allow_null=True)
    registered_tps = serializers.PrimaryKeyRelatedField(
        queryset=Tps.objects.all(), required=False, allow_null=True,
        help_text="The TPS where the worker is on the DPT (optional).")
    votes_elsewhere = serializers.BooleanField(
        read_only=True, help_text="Registered to vote at another TPS than the posting's "
                                  "(Bawaslu's 'KPPS bertugas/memilih di luar domisili').")
    kelurahan = serializers.CharField(source="kelurahan_id", required=False, allow_null=True,
                                      allow_blank=True)
    kecamatan = serializers.CharField(source="kecamatan_id", required=False, allow_null=True,
                                      allow_blank=True)
    sex = serializers.ChoiceField(choices=Worker.Sex.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    domicile_code = serializers.CharField(required=False, allow_blank=True, max_length=13)
    flags = serializers.ListField(source="flag_list", read_only=True, child=serializers.CharField())
    posting = serializers.CharField(source="posting_label", read_only=True)
    # An update that sends the version it read is refused when someone saved in between (409).
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Worker
        fields = ["id", "election", "role", "tps", "kelurahan", "kecamatan", "posting", "nik",
                  "nik_masked", "full_name", "sex", "birth_date", "phone", "phone_masked", "address",
                  "domicile_code", "registered_tps", "votes_elsewhere", "decree_number", "decree_date", "term_start", "term_end", "status",
                  "replaces", "flags", "outside_domicile", "screening_result", "screening_date",
                  "bpjs_status", "bpjs_jkk", "bpjs_jkm", "bpjs_number", "bpjs_start", "bpjs_end",
                  "bpjs_funding", "version", "updated_at"]
        read_only_fields = ["election", "replaces", "outside_domicile", "screening_result",
                            "screening_date", "bpjs_status", "bpjs_jkk", "bpjs_jkm", "bpjs_number",
                            "bpjs_start", "bpjs_end", "bpjs_funding", "updated_at"]
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["full_name"] = personal.mask_name(instance.full_name)
        data["address"] = personal.mask_address(instance.address)
        return data


class WorkerPersonalSerializer(serializers.Serializer):
    """A worker's personal data in clear (the answer of an audited reveal)."""

    nik = serializers.CharField()
    phone = serializers.CharField()
    full_name = serializers.CharField()
    address = serializers.CharField()


class WorkerViewSet(ScopedServiceViewSet):
    """Workers of the active election (``?election=`` for another) in the caller's scope.
    Filters as on the list page: role, status, kecamatan, kelurahan, tps, bpjs_status,
    screening, flagged, outside_domicile, q (name)."""

    queryset = Worker.objects.select_related("tps", "kelurahan", "kecamatan")
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter

    def _posting_in_scope(self, data):
        user = self.request.user
        for key in ("tps", "registered_tps"):
            if data.get(key) is not None:
                get_visible_or_404(Tps.objects.all(), user, pk=data[key].pk)
        for key, model in (("kelurahan_id", Kelurahan), ("kecamatan_id", Kecamatan)):
            if data.get(key) and not model.objects.visible_to(user).filter(code=data[key]).exists():
                raise Http404

    def _fill(self, worker, data):
        for key, value in data.items():
            setattr(worker, key, "" if value is None and key in ("sex", "domicile_code") else value)
        if not worker.domicile_code:
            worker.domicile_code = (worker.tps.kelurahan_id if worker.tps_id else worker.kelurahan_id) or ""

    def create_object(self, data):
        election = self.request.election
        if election is None:
            raise DjangoValidationError({"election": [_("There is no active election.")]})
        self._posting_in_scope(data)
        data.pop("version", None)
        worker = Worker(election=election)
        self._fill(worker, data)
        return services.create_worker(worker, actor=self.request.user)

    def perform_update(self, serializer):
        obj = serializer.instance
        before = services.snapshot(obj)
        data = dict(serializer.validated_data)
        self._posting_in_scope(data)
        expected = data.pop("version", None)  # sent: a stale save is a 409
        self._fill(obj, data)
        services.update_worker(obj, actor=self.request.user, before=before,
                               expected_version=obj.version if expected is None else expected)
        obj.refresh_from_db()

    def delete_object(self, obj):
        raise DjangoValidationError(_(
            "Workers are not deleted: set the status (replaced, resigned, deceased) instead."))

    @extend_schema(request=personal.RevealSerializer, responses={200: WorkerPersonalSerializer},
                   description="The worker's NIK, phone, name and address in clear, for a user "
                               "with the personal-data permission (403 otherwise; 404 outside "
                               "the caller's region). The reason (at least 10 characters) is "
                               "written to the audit log with the caller; a short one is a 400 "
                               "and reveals nothing.")
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def reveal(self, request, pk=None):
        worker = self.get_object()
        return personal.api_reveal(
            request, lambda reason: services.reveal(worker, actor=request.user, reason=reason))


class ScreeningSerializer(ServiceSerializer):
    """The measurements and the note are health data: written by Dinkes, read back only
    when the view reveals them (``show_health`` in the context)."""

    optional_output_fields = Screening.MEASUREMENTS  # not required in the schema (core.openapi)

    class Meta:
        model = Screening
        fields = ["id", "worker", "date", "facility_kind", "facility_name", "systolic", "diastolic",
                  "blood_sugar", "cholesterol", "result", "note", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_health"):
            for name in Screening.MEASUREMENTS:
                data.pop(name, None)
        return data


class CanScreen(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or rules.can_screen(request.user)


class ScreeningViewSet(ScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Health screenings (Dinkes operators and admins record them). Responses carry the
    result only: the measurements (systolic, diastolic, blood_sugar, cholesterol) and the
    note are health data (UU PDP). A Dinkes operator, or an admin given the personal-data
    permission, gets them by adding ``?reason=`` (at least 10 characters): each such
    response is written to the audit log with the reason."""

    queryset = Screening.objects.select_related("worker")
    serializer_class = ScreeningSerializer
    permission_classes = [permissions.IsAuthenticated, CanScreen]
    filterset_fields = ["worker", "result"]
    health_reason = None

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_health": bool(self.health_reason)}

    def _reveal(self, request):
        reason = request.query_params.get("reason", "")
        if not reason:
            return None
        if not rules.can_see_health(request.user):
            raise PermissionDenied(_("Only Dinas Kesehatan operators and admins with the "
                                     "personal-data permission may see health measurements."))
        return privacy.check_reason(reason)

    @extend_schema(parameters=[OpenApiParameter(
        "reason", str, description="Why the health measurements are needed (audited).")])
    def list(self, request, *args, **kwargs):
        self.health_reason = self._reveal(request)
        response = super().list(request, *args, **kwargs)
        if self.health_reason:
            rows = response.data.get("results", response.data) \
                if isinstance(response.data, dict) else response.data
            privacy.record_api_reveal(request.user, len(rows), self.health_reason)
        return response

    @extend_schema(parameters=[OpenApiParameter(
        "reason", str, description="Why the health measurements are needed (audited).")])
    def retrieve(self, request, *args, **kwargs):
        self.health_reason = self._reveal(request)
        response = super().retrieve(request, *args, **kwargs)
        if self.health_reason:
            privacy.record_api_reveal(request.user, 1, self.health_reason,
                                      worker=self.get_object().worker)
        return response

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        get_visible_or_404(Worker.objects.all(), self.request.user, pk=data["worker"].pk)
        obj = services.record_screening(Screening(**data), actor=self.request.user)
        serializer.instance = obj


class IncidentSerializer(ServiceSerializer):
    class Meta:
        model = Incident
        fields = ["id", "worker", "kind", "date", "place", "description", "on_duty", "followup",
                  "covered", "created_at"]
        read_only_fields = ["covered", "created_at"]


class CanRecordIncident(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or rules.can_record_incident(request.user)


class IncidentViewSet(ScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Worker incidents; ``covered`` says whether a BPJS claim is possible."""

    queryset = Incident.objects.select_related("worker")
    serializer_class = IncidentSerializer
    permission_classes = [permissions.IsAuthenticated, CanRecordIncident]
    filterset_class = IncidentFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        user = self.request.user
        worker = get_visible_or_404(Worker.objects.all(), user, pk=data["worker"].pk)
        if not (rules.can_screen(user) or Worker.objects.editable_by(user).filter(pk=worker.pk).exists()):
            raise PermissionDenied
        obj = services.record_incident(Incident(**data), actor=user)
        serializer.instance = obj


class ClaimSerializer(ServiceSerializer):
    """A JKM claim without ``amount`` takes the election's regulated benefit; another amount
    needs ``amount_reason``."""

    class Meta:
        model = Claim
        fields = ["id", "incident", "programme", "status", "amount", "amount_reason", "submitted_on",
                  "decided_on", "note"]


class ClaimViewSet(ScopedServiceViewSet):
    """BPJS claims of covered incidents (JKK, JKM)."""

    queryset = Claim.objects.select_related("incident")
    serializer_class = ClaimSerializer
    filterset_fields = ["incident", "status", "programme"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create_object(self, data):
        get_visible_or_404(Incident.objects.all(), self.request.user, pk=data["incident"].pk)
        return services.save_claim(Claim(**data), actor=self.request.user)

    def update_object(self, obj, before):
        services.save_claim(obj, actor=self.request.user, before=before)


class CoverageView(APIView):
    """BPJS coverage and screening for the caller's scope (``?kecamatan=`` / ``?kelurahan=``):
    totals, per role and per child region; the contribution cost in rupiah."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("kecamatan", str, description="Kecamatan code, e.g. 35.73.02"),
                    OpenApiParameter("kelurahan", str, description="Kelurahan code")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        election = request.election
        if election is None:
            return Response({"detail": _("There is no active election.")}, status=404)
        user = request.user
        qs = stats.visible_workers(user, election)
        key = "kecamatan_id"
        for name, model, child in (("kelurahan", Kelurahan, "tps_id"),
                                   ("kecamatan", Kecamatan, "kelurahan_id")):
            code = request.query_params.get(name)
            if code:
                if not model.objects.visible_to(user).filter(code=code).exists():
                    raise Http404
                qs = qs.filter(**{f"{name}_id": code})
                key = child
                break
        total, roles, groups = stats.coverage_by(qs, key)
        settings = WorkerSettings.for_election(election)
        return Response({
            "election": election.pk,
            "total": {**total, "cost": int(total["months"] * settings.monthly_contribution)},
            "roles": roles,
            "groups": {str(k): v for k, v in groups.items()},
            "group_by": key.removesuffix("_id"),
        })


ROUTES = [
    ("workers", WorkerViewSet, "worker"),
    ("worker-screenings", ScreeningViewSet, "worker-screening"),
    ("worker-incidents", IncidentViewSet, "worker-incident"),
    ("worker-claims", ClaimViewSet, "worker-claim"),
]
EXTRA_URLS = [path("worker-coverage/", CoverageView.as_view(), name="worker-coverage")]
