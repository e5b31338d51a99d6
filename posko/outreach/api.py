"""API of the outreach module (``ROUTES`` is read by posko/api_urls.py).

* ``outreach-activities``: list (filters as the page), retrieve, create (from a phone,
  multipart with ``photos`` allowed; an optional Idempotency-Key, which the field app
  sends), update (PATCH with ``version``);
* ``outreach-coverage``: coverage per kelurahan (``?kecamatan=``), read-only;
* ``outreach-targets``: the election's target and the kecamatan/kelurahan overrides;
* ``outreach-turnout``: turnout per TPS, list/retrieve, create or replace (POST with
  ``tps``), per-kelurahan roll-up at ``outreach-turnout/kelurahan/`` (``?contest=``: the
  C.Hasil of that contest where a TPS has one, ``tps_results`` of the ``tps_reported``;
  the own entries elsewhere).

Same scope as the pages: reads through ``visible_to(user)``; a kelurahan outside the
caller's scope is a 404; a service's ValidationError is a 400 with the same messages,
a stale ``version`` a 409; nothing is saved on any of these.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from posko.accounts.models import Agency
from posko.core.api import ScopedModelSerializer
from posko.core.idempotency import header_parameter, idempotent, idempotent_submission
from posko.elections.models import Tps
from posko.outreach import coverage, participation, services
from posko.outreach.filters import ActivityFilter
from posko.outreach.models import Activity, TargetGroup, TpsTurnout, TurnoutTarget
from posko.regions.models import Kecamatan, Kelurahan


def _election_or_404(request):
    election = request.election
    if election is None:
        raise Http404
    return election


class ActivitySerializer(ScopedModelSerializer):
    kecamatan = serializers.SlugRelatedField(slug_field="code", queryset=Kecamatan.objects.all(),
                                             required=False, allow_null=True)
    kelurahan = serializers.SlugRelatedField(slug_field="code", queryset=Kelurahan.objects.all(),
                                             required=False, allow_null=True)
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False,
                                                allow_null=True)
    target_groups = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                                 queryset=TargetGroup.objects.all())
    # Plain integers so the service's messages (negative, cap) are the ones returned.
    expected_attendance = serializers.IntegerField(required=False, allow_null=True)
    attendance = serializers.IntegerField(required=False, allow_null=True)
    attendance_men = serializers.IntegerField(required=False, allow_null=True)
    attendance_women = serializers.IntegerField(required=False, allow_null=True)
    confirm_large = serializers.BooleanField(required=False, default=False, write_only=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   write_only=True)
    organiser = serializers.CharField(source="organiser_label", read_only=True)
    counts_for_kelurahan = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Activity
        fields = ["id", "title", "kind", "status", "starts_at", "organiser_kind", "agency",
                  "partner_name", "organiser", "kecamatan", "kelurahan", "rw", "rt", "venue",
                  "latitude", "longitude", "target_groups", "expected_attendance", "attendance",
                  "attendance_men", "attendance_women", "materials", "notes", "cancel_reason",
                  "confirm_large", "photos", "counts_for_kelurahan", "version", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"organiser_kind": {"required": False}}

    def create(self, validated_data):  # pragma: no cover - writes go through services
        raise NotImplementedError

    def update(self, instance, validated_data):  # pragma: no cover
        raise NotImplementedError


class ActivityViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivitySerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = ActivityFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Activity.objects.none()
        election = self.request.election
        qs = (Activity.objects.visible_to(self.request.user)
              .select_related("kecamatan", "kelurahan", "agency").prefetch_related("target_groups")
              .order_by("-starts_at", "-pk"))
        return qs.filter(election=election) if election else qs.none()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _write(self, activity, data):
        user = self.request.user
        groups = data.pop("target_groups", None)
        confirm = data.pop("confirm_large", False)
        photos = data.pop("photos", [])
        version = data.pop("version", None)
        for field, value in data.items():
            setattr(activity, field, value)
        if user.effective_role == "kelurahan" and "kelurahan" not in data and activity.pk is None:
            activity.kelurahan_id = user.kelurahan_id
        if user.effective_role == "agency" and activity.pk is None:
            activity.organiser_kind = Activity.OrganiserKind.AGENCY
            activity.agency_id = user.agency_id
        if not activity.organiser_kind:
            activity.organiser_kind = {"kelurahan": "kelurahan", "kecamatan": "kecamatan"}.get(
                user.effective_role, "")
        return services.save_activity(activity, groups, actor=user, confirm_large=confirm,
                                      photos=photos, expected_version=version)

    @extend_schema(parameters=[header_parameter(required=False)])
    def create(self, request, *args, **kwargs):
        """An optional Idempotency-Key (the field app sends one): a retry gets the same
        answer and records nothing twice. A ``kelurahan`` outside the caller's scope is a 400
        on that field ("not found"), as for every place named in a body (the URL's object
        outside scope is the 404)."""
        if not services.can_record(request.user):
            raise exceptions.PermissionDenied  # a 403 with its JSON "detail", as documented
        return idempotent(request, lambda: self._create(request), required=False)

    def _create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = self._write(Activity(election=_election_or_404(request)),
                               dict(serializer.validated_data))
        return Response(self.get_serializer(activity).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        activity = self.get_object()
        if not services.may_edit(request.user, activity):
            raise exceptions.PermissionDenied  # a 403 with its JSON "detail", as documented
        serializer = self.get_serializer(activity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        activity = self._write(activity, dict(serializer.validated_data))
        return Response(self.get_serializer(activity).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class CoverageSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kecamatan_code = serializers.CharField()
    kecamatan_name = serializers.CharField()
    dpt = serializers.IntegerField()
    activities = serializers.IntegerField()
    reached = serializers.IntegerField()
    reach_per_1000 = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    days_since = serializers.IntegerField(allow_null=True)
    planned = serializers.IntegerField()
    groups_reached = serializers.SerializerMethodField()
    groups_missing = serializers.SerializerMethodField()

    def get_groups_reached(self, row) -> list[str]:
        return [g.code for g in row.groups_reached]

    def get_groups_missing(self, row) -> list[str]:
        return [g.code for g in row.groups_missing]


class CoverageTotalSerializer(serializers.Serializer):
    activities = serializers.IntegerField()
    reached = serializers.IntegerField()
    dpt = serializers.IntegerField()
    reach_per_1000 = serializers.CharField(allow_null=True)


class MediaSummarySerializer(serializers.Serializer):
    activities = serializers.IntegerField()
    reached = serializers.IntegerField()


class CoverageListSerializer(serializers.Serializer):
    """The coverage answer (documentation of the response)."""

    election = serializers.IntegerField()
    total = CoverageTotalSerializer(allow_null=True)
    media = MediaSummarySerializer()
    results = CoverageSerializer(many=True)


KECAMATAN = OpenApiParameter("kecamatan", str,
                             description=_("Kemendagri kecamatan code, e.g. 35.73.02."))
ELECTION = OpenApiParameter("election", int,
                            description=_("Election id; the active election when left out."))


class CoverageViewSet(viewsets.ViewSet):
    """Coverage per kelurahan, least covered first; ``?kecamatan=35.73.02``."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = CoverageSerializer
    list_is_one_object = True  # an envelope with totals (posko.core.openapi)

    @extend_schema(responses=CoverageListSerializer, parameters=[KECAMATAN, ELECTION])
    def list(self, request):
        election = _election_or_404(request)
        kecamatan = request.query_params.get("kecamatan") or None
        if kecamatan and not Kecamatan.objects.visible_to(request.user).filter(
                code=kecamatan).exists():
            raise Http404
        rows = coverage.kelurahan_coverage(election, request.user, kecamatan_code=kecamatan)
        total = coverage.rollup(rows, "total")
        media = coverage.media_summary(election, request.user)
        return Response({
            "election": election.pk,
            "total": {"activities": total[0].activities, "reached": total[0].reached,
                      "dpt": total[0].dpt,
                      "reach_per_1000": str(total[0].reach_per_1000)
                      if total and total[0].reach_per_1000 is not None else None} if total else None,
            "media": {"activities": media.activities, "reached": media.reached},
            "results": CoverageSerializer(rows, many=True).data,
        })


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = TurnoutTarget
        fields = ["id", "kecamatan", "kelurahan", "percent"]


class TargetListSerializer(serializers.Serializer):
    """The targets answer (documentation of the response)."""

    election = serializers.IntegerField()
    target_percent = serializers.CharField()
    results = TargetSerializer(many=True)


class TargetViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TargetSerializer
    list_is_one_object = True  # an envelope with the default target (posko.core.openapi)

    @extend_schema(responses=TargetListSerializer, parameters=[ELECTION])
    def list(self, request):
        election = _election_or_404(request)
        default, _kec, _kel = participation.targets(election)
        qs = TurnoutTarget.objects.visible_to(request.user).filter(election=election)
        return Response({"election": election.pk, "target_percent": str(default),
                         "results": TargetSerializer(qs, many=True).data})


class TurnoutSerializer(ScopedModelSerializer):
    tps = serializers.PrimaryKeyRelatedField(queryset=Tps.objects.all())
    registered_dptb = serializers.IntegerField(required=False, default=0)
    registered_dpk = serializers.IntegerField(required=False, default=0)
    voted_dpt = serializers.IntegerField()
    voted_dptb = serializers.IntegerField(required=False, default=0)
    voted_dpk = serializers.IntegerField(required=False, default=0)
    dpt = serializers.IntegerField(source="tps.dpt_total", read_only=True)
    voted = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = TpsTurnout
        fields = ["id", "tps", "kelurahan", "kecamatan", "dpt", "registered_dptb",
                  "registered_dpk", "voted_dpt", "voted_dptb", "voted_dpk", "voted", "version",
                  "updated_at"]
        read_only_fields = ["kelurahan", "kecamatan", "updated_at"]

    def create(self, validated_data):  # pragma: no cover
        raise NotImplementedError

    def update(self, instance, validated_data):  # pragma: no cover
        raise NotImplementedError


class TurnoutKelurahanSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kecamatan_code = serializers.CharField()
    tps = serializers.IntegerField()
    tps_reported = serializers.IntegerField()
    tps_results = serializers.IntegerField()
    registered = serializers.IntegerField()
    voted_dpt = serializers.IntegerField()
    voted_dptb = serializers.IntegerField()
    voted_dpk = serializers.IntegerField()
    turnout = serializers.CharField(allow_null=True)
    target = serializers.CharField(allow_null=True)
    history = serializers.CharField(allow_null=True)
    reach_per_1000 = serializers.CharField(allow_null=True)


class TurnoutKelurahanListSerializer(serializers.Serializer):
    """Turnout per kelurahan (documentation of the response)."""

    contest = serializers.IntegerField(allow_null=True)
    results = TurnoutKelurahanSerializer(many=True)


class TurnoutViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TurnoutSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TpsTurnout.objects.none()
        election = self.request.election
        qs = TpsTurnout.objects.visible_to(self.request.user).select_related("tps").order_by(
            "kelurahan_id", "tps__number")
        return qs.filter(election=election) if election else qs.none()

    @idempotent_submission(required=False)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        tps = data.pop("tps")  # the field only accepts TPS in the caller's scope
        election = request.election
        if election is None or tps.election_id != election.pk:  # an older election's TPS
            raise serializers.ValidationError({"tps": [serializer.fields["tps"].error_messages[
                "does_not_exist"].format(pk_value=tps.pk)]})
        tps.election = election  # the request's: no second query for it
        if not services.may_enter_turnout(request.user, tps):
            raise exceptions.PermissionDenied  # a 403 with its JSON "detail", as documented
        version = data.pop("version", None)
        turnout = services.save_turnout(tps, data, actor=request.user, expected_version=version)
        return Response(self.get_serializer(turnout).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=TurnoutKelurahanListSerializer, parameters=[
        KECAMATAN, ELECTION, OpenApiParameter("contest", int)])
    @action(detail=False, methods=["get"], url_path="kelurahan")
    def kelurahan(self, request):
        election = _election_or_404(request)
        contest = participation.chosen_contest(election, request.query_params.get("contest"))
        rows = participation.turnout_by_kelurahan(
            election, request.user, kecamatan_code=request.query_params.get("kecamatan"),
            contest=contest)
        return Response({"contest": contest.pk if contest else None, "results": [{
            "code": r.code, "name": r.name, "kecamatan_code": r.kecamatan_code,
            "tps": r.tps, "tps_reported": r.tps_reported, "tps_results": r.tps_results,
            "registered": r.registered,
            "voted_dpt": r.voted_dpt, "voted_dptb": r.voted_dptb, "voted_dpk": r.voted_dpk,
            "turnout": str(r.turnout) if r.turnout is not None else None,
            "target": str(r.target) if r.target is not None else None,
            "history": str(r.history) if r.history is not None else None,
            "reach_per_1000": str(r.reach_per_1000) if r.reach_per_1000 is not None else None,
        } for r in rows]})


# (prefix, viewset, basename)
ROUTES: list = [
    ("outreach/activities", ActivityViewSet, "outreach-activity"),
    ("outreach/coverage", CoverageViewSet, "outreach-coverage"),
    ("outreach/targets", TargetViewSet, "outreach-target"),
    ("outreach/turnout", TurnoutViewSet, "outreach-turnout"),
]
