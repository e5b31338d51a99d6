"""API of the incidents module (``ROUTES`` and ``EXTRA_URLS`` are read by posko/api_urls.py).

* ``/api/v1/laporan/``: list (filters as the HTML list), retrieve, create (a field app;
  JSON or multipart with ``files``), ``POST /api/v1/laporan/<id>/transition/``.
* ``/api/v1/laporan-publik/``: public submission (no login, rate-limited per client);
  ``/api/v1/laporan-publik/<code>/``: status by tracking code (no names, no notes; a wrong
  code is a plain 404).
* ``/api/v1/netralitas/pakta/`` and ``/api/v1/netralitas/kasus/``: pledges and cases (read;
  write for desk admins, an update with the ``version`` last read: stale is a 409; cases
  filter by ``?type=`` as on the page). ASN names are masked unless the caller may see personal data.
  A case carries its act of the joint decree (``prohibited_act`` id, ``act_code``,
  ``act_severity``: the sanction it carries at least) and the office's kecamatan/kelurahan.

Every queryset is scoped; writes go through ``posko.incidents.services``.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, UnsupportedMediaType
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from posko.accounts.models import Agency, Role, User
from posko.core import audit, personal
from posko.core.api import (
    ConstantSlugRelatedField,
    ScopedMixin,
    ScopedModelSerializer,
    ScopedSerializer,
    refuse_cross_site,
)
from posko.core.idempotency import idempotent_submission
from posko.core.middleware import client_ip
from posko.elections.models import Tps
from posko.incidents import privacy, services
from posko.incidents.filters import CaseFilter, ReportFilter
from posko.incidents.models import ActSeverity, Category, NeutralityCase, Pledge, Report, State
from posko.regions.models import Kelurahan


class TooManyReports(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"


class ReportSerializer(ScopedModelSerializer):
    category = ConstantSlugRelatedField(slug_field="code", lookup=services.category_in_use,
                                        queryset=Category.objects.filter(is_active=True))
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    kelurahan = serializers.PrimaryKeyRelatedField(queryset=Kelurahan.objects.all(), required=False,
                                                   allow_null=True)
    tps = serializers.PrimaryKeyRelatedField(queryset=Tps.objects.all(), required=False,
                                             allow_null=True)
    overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "code", "category", "stage", "occurred_at", "kecamatan", "kelurahan", "tps",
                  "latitude", "longitude", "location_note", "title", "description",
                  "involves_violence", "intimidation", "severity", "state", "source", "agency",
                  "assignee", "forwarded_to", "merged_into", "created_at", "response_due_at",
                  "resolve_due_at", "responded_at", "resolved_at", "overdue", "version", "url"]
        read_only_fields = ["id", "code", "state", "agency", "assignee", "forwarded_to",
                            "merged_into", "created_at", "response_due_at", "resolve_due_at",
                            "responded_at", "resolved_at", "version", "stage"]

    def get_overdue(self, obj) -> bool:
        return obj.overdue()

    def get_url(self, obj) -> str:
        return obj.get_absolute_url()


class TransitionSerializer(ScopedSerializer):
    state = serializers.ChoiceField(choices=State.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False,
                                                allow_null=True, default=None)
    forwarded_to = serializers.ChoiceField(choices=Report.Body.choices, required=False, default="")
    # As on the page: a person of an agency, or a Desk Pilkada admin.
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True).filter(
            Q(agency__isnull=False) | Q(role=Role.ADMIN)),
        required=False, allow_null=True, default=None)
    public_note = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                        default=None, max_length=300)
    version = serializers.IntegerField(required=False, min_value=1)


class ReportViewSet(ScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Report.objects.select_related("category", "tps").order_by("-created_at", "-pk")

    def get_queryset(self):
        qs = super().get_queryset()
        election = self.request.election
        return qs.filter(election=election) if election else qs.none()

    @idempotent_submission(required=False)
    def create(self, request, *args, **kwargs):
        if not services.can_report(request.user):
            raise PermissionDenied
        election = self.request.election
        if election is None:
            raise serializers.ValidationError({"election": [_("There is no active election yet.")]})
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid() and "category" in serializer.errors and \
                services.install_default_categories():
            # First use: the default categories are installed, then the code is checked again
            # (the hot path never asks whether categories exist).
            serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "kecamatan_id" in data:
            data.pop("kecamatan_id")
        report = Report(election=election, **data)
        services.create_report(report, actor=request.user,
                               files=request.FILES.getlist("files") if request.FILES else ())
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], serializer_class=TransitionSerializer)
    def transition(self, request, pk=None):
        report = self.get_object()
        if not (services.can_triage(request.user, report) or services.is_follower(request.user,
                                                                                  report)):
            raise PermissionDenied
        serializer = TransitionSerializer(data=request.data,
                                          context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.transition(report, data["state"], actor=request.user,
                            expected_version=data.get("version"), note=data["note"],
                            agency=data["agency"], forwarded_to=data["forwarded_to"],
                            assignee=data["assignee"], public_note=data["public_note"])
        report.refresh_from_db()
        return Response(ReportSerializer(report).data)


class PublicReportSerializer(ScopedSerializer):
    """Anonymous: its only related field is the Pemda-wide category catalogue, and the
    kelurahan code is checked against the Pemda by the view."""

    scoped_relations = False

    category = ConstantSlugRelatedField(slug_field="code", lookup=services.category_in_use,
                                        queryset=Category.objects.filter(is_active=True))
    kelurahan = serializers.CharField(max_length=13)
    tps_number = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          max_value=999)
    location_note = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                          default="")
    occurred_at = serializers.DateTimeField()
    title = serializers.CharField(max_length=150)
    description = serializers.CharField()
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=150,
                                          default="")
    reporter_contact = serializers.CharField(required=False, allow_blank=True, max_length=150,
                                             default="")


def public_payload(report: Report, code: str) -> dict:
    return {"code": code, "category": report.category.name, "kecamatan": report.kecamatan.name,
            "kelurahan": report.kelurahan.name if report.kelurahan_id else "",
            "received": report.created_at, "state": report.state,
            "state_label": str(report.get_state_display()),
            "forwarded_to": report.get_forwarded_to_display() if report.forwarded_to else "",
            "note": report.public_note, "closed": report.resolved_at}


def check_public_request(request) -> None:
    """No session, so no CSRF token: a page of another site must not make its visitors'
    browsers file reports. Refused (403) when the browser names another site (Origin,
    Sec-Fetch-Site); the body must be JSON, which a page of another site cannot send
    without the CORS permission Posko never grants (415 otherwise). Files go as
    multipart/form-data with an ``X-Requested-With`` header, which a plain HTML form
    cannot add either. The public HTML form has its own page with a CSRF token."""
    refuse_cross_site(request)
    media = (request.content_type or "").split(";")[0].strip().lower()
    if media == "application/json":
        return
    if media == "multipart/form-data" and request.headers.get("X-Requested-With"):
        return
    raise UnsupportedMediaType(media or "-", detail=_(
        "Send the report as JSON (Content-Type: application/json), or with files as "
        "multipart/form-data with the header X-Requested-With."))


class PublicReportView(APIView):
    """Submit a report without an account (rate-limited per client): JSON, or
    multipart/form-data with ``files`` and an ``X-Requested-With`` header. Requests a
    browser sends from a page of another site are refused (403)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, MultiPartParser]
    serializer_class = PublicReportSerializer

    def post(self, request):
        check_public_request(request)
        election = self.request.election
        if election is None:
            raise serializers.ValidationError({"election": [_("There is no active election yet.")]})
        serializer = PublicReportSerializer(data=request.data)
        if not serializer.is_valid() and "category" in serializer.errors and \
                services.install_default_categories():
            serializer = PublicReportSerializer(data=request.data)  # first use: see above
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kelurahan = services.kelurahan_choices().filter(code=data["kelurahan"]).first()
        if kelurahan is None:
            raise serializers.ValidationError({"kelurahan": [_(
                "This place is outside the Pemda: reports can only be made about places inside "
                "it.")]})
        tps = None
        if data.get("tps_number"):
            tps = services.find_tps(election, kelurahan.pk, data["tps_number"])
            if tps is None:
                raise serializers.ValidationError({"tps_number": [_(
                    "There is no TPS with this number in the chosen kelurahan.")]})
        report = Report(election=election, category=data["category"], kelurahan=kelurahan, tps=tps,
                        location_note=data["location_note"], occurred_at=data["occurred_at"],
                        title=data["title"], description=data["description"],
                        reporter_name=data["reporter_name"],
                        reporter_contact=data["reporter_contact"])
        try:
            services.submit_public(report, ip=client_ip(request),
                                   files=request.FILES.getlist("files") if request.FILES else ())
        except services.RateLimited as exc:  # a ValidationError, but its answer is 429
            raise TooManyReports(exc.messages[0]) from exc
        return Response(public_payload(report, report.code), status=status.HTTP_201_CREATED)


class PublicStatusSerializer(serializers.Serializer):
    """What the public may see of a report (documentation of the status endpoint)."""

    code = serializers.CharField()
    category = serializers.CharField()
    kecamatan = serializers.CharField()
    kelurahan = serializers.CharField()
    received = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=State.choices)
    state_label = serializers.CharField()
    forwarded_to = serializers.CharField()
    note = serializers.CharField()
    closed = serializers.DateTimeField(allow_null=True)


class PublicStatusView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = PublicStatusSerializer

    @extend_schema(responses={200: PublicStatusSerializer})
    def get(self, request, code):
        report = services.public_status(code)
        if report is None:
            return Response({"detail": _("No report can be shown for this code.")},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(public_payload(report, services.normalise_code(code)))


class AdminWritePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or request.user.is_desk_admin


class PledgeSerializer(ScopedModelSerializer):
    coverage_percent = serializers.FloatField(read_only=True)
    # Sent back on an update: a stale one is a 409 with ``current_version``.
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Pledge
        fields = ["id", "agency", "asn_total", "asn_covered", "signed_on", "signatory", "note",
                  "coverage_percent", "version"]


class PledgeViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    serializer_class = PledgeSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWritePermission]
    queryset = Pledge.objects.none()  # for the schema; get_queryset() scopes every request

    def get_queryset(self):
        election = self.request.election
        qs = Pledge.objects.visible_to(self.request.user).select_related("agency")
        return qs.filter(election=election) if election else qs.none()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        pledge = Pledge(election=self.request.election, **data)
        services.save_pledge(pledge, actor=self.request.user, before=None)
        serializer.instance = pledge

    def perform_update(self, serializer):
        pledge = serializer.instance
        before = audit.snapshot(pledge)
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        for field, value in data.items():
            setattr(pledge, field, value)
        services.save_pledge(pledge, actor=self.request.user, before=before,
                             expected_version=expected)
class CaseSerializer(ScopedModelSerializer):
    # Sent back on an update: a stale one is a 409 with ``current_version``.
    version = serializers.IntegerField(required=False, min_value=1)
    act_code = serializers.CharField(source="prohibited_act.code", read_only=True, default=None)
    act_severity = serializers.ChoiceField(source="prohibited_act.severity", read_only=True,
                                           default=None, choices=ActSeverity.choices)

    class Meta:
        model = NeutralityCase
        fields = ["id", "report", "agency", "asn_name", "asn_position", "kecamatan", "kelurahan",
                  "prohibited_act", "act_code", "act_severity", "act", "occurred_on",
                  "breach_type", "status", "bawaslu_finding", "bawaslu_recommendation",
                  "recommendation_date", "referred_bkn_on", "referred_ppk_on", "sanction",
                  "sanction_date", "lighter_sanction_reason", "version"]
        read_only_fields = ["status"]
        extra_kwargs = {"breach_type": {"required": False}}

    def to_representation(self, instance):
        # Masked for everyone; POST …/kasus/{id}/reveal/ with a reason gives it in clear.
        data = super().to_representation(instance)
        data["asn_name"] = privacy.case_name(instance)
        return data


class CasePersonalSerializer(serializers.Serializer):
    """A case's ASN identity in clear (the answer of an audited reveal)."""

    asn_name = serializers.CharField()


class CaseViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    permission_classes = [permissions.IsAuthenticated, AdminWritePermission]
    queryset = NeutralityCase.objects.none()  # for the schema; get_queryset() scopes requests

    def get_queryset(self):
        election = self.request.election
        qs = NeutralityCase.objects.visible_to(self.request.user).select_related(
            "agency", "prohibited_act")
        return qs.filter(election=election) if election else qs.none()

    def create(self, request, *args, **kwargs):
        services.acts_for(request.election)  # a new election's catalogue, before validation
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        case = NeutralityCase(election=self.request.election, **data)
        services.save_case(case, actor=self.request.user, before=None)
        serializer.instance = case

    def perform_update(self, serializer):
        case = serializer.instance
        before = audit.snapshot(case)
        data = dict(serializer.validated_data)
        expected = data.pop("version", None)
        for field, value in data.items():
            setattr(case, field, value)
        services.save_case(case, actor=self.request.user, before=before,
                             expected_version=expected)

    @extend_schema(request=personal.RevealSerializer, responses={200: CasePersonalSerializer},
                   description="The ASN's name in clear, for a user with the personal-data "
                               "permission (403 otherwise; 404 for a case the caller cannot "
                               "see). The reason (at least 10 characters) is written to the audit "
                               "log; a short one is a 400 and reveals nothing.")
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def reveal(self, request, pk=None):
        case = self.get_object()
        return personal.api_reveal(
            request, lambda reason: privacy.reveal_case(case, actor=request.user, reason=reason))
# (prefix, viewset, basename)
ROUTES: list = [
    ("laporan", ReportViewSet, "incident-report"),
    ("netralitas/pakta", PledgeViewSet, "incident-pledge"),
    ("netralitas/kasus", CaseViewSet, "incident-case"),
]

EXTRA_URLS = [
    path("laporan-publik/", PublicReportView.as_view(), name="incident-public-submit"),
    path("laporan-publik/<str:code>/", PublicStatusView.as_view(), name="incident-public-status"),
]
