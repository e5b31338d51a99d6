"""Elections and TPS API, and the wilayah rows with their TPS totals."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from posko.core.api import ScopedReadOnlyViewSet, ScopedServiceViewSet, ServiceSerializer
from posko.elections import services
from posko.elections.filters import TpsFilter
from posko.elections.models import CandidatePair, Contest, Election, Tps
from posko.regions import api as regions_api

# --- elections -----------------------------------------------------------------


class CandidatePairSerializer(serializers.ModelSerializer):
    parties = serializers.ListField(child=serializers.CharField(), source="party_list",
                                    read_only=True)

    class Meta:
        model = CandidatePair
        fields = ["id", "ballot_number", "head_name", "deputy_name", "parties"]


class ContestSerializer(serializers.ModelSerializer):
    pairs = CandidatePairSerializer(many=True, read_only=True)

    class Meta:
        model = Contest
        fields = ["id", "name", "level", "provinsi", "kabkota", "ballot_colour", "pairs"]


class ElectionSerializer(serializers.ModelSerializer):
    contests = ContestSerializer(many=True, read_only=True)

    class Meta:
        model = Election
        fields = ["id", "name", "voting_date", "is_active", "max_voters_per_tps",
                  "ballot_reserve_percent", "contests"]


class ElectionViewSet(ScopedReadOnlyViewSet):
    """Elections with their contests and candidate pairs."""

    queryset = Election.objects.prefetch_related("contests__pairs")
    serializer_class = ElectionSerializer


# --- TPS -------------------------------------------------------------------------


class TpsSerializer(ServiceSerializer):
    election = serializers.PrimaryKeyRelatedField(
        queryset=Election.objects.all(), required=False,
        help_text=_("Election id; the active election when left out on create."))
    kecamatan = serializers.CharField(source="kecamatan_id", read_only=True)
    label = serializers.CharField(read_only=True)
    # No minimum here: the shared rule reports negative numbers with its own message.
    dpt_men = serializers.IntegerField(required=False)
    dpt_women = serializers.IntegerField(required=False)

    class Meta:
        model = Tps
        fields = ["id", "election", "kelurahan", "kecamatan", "number", "label", "address", "rt",
                  "rw", "latitude", "longitude", "dpt_men", "dpt_women", "dpt_total",
                  "special_location", "special_location_note", "accessible", "notes",
                  "updated_at"]
        read_only_fields = ["dpt_total", "updated_at"]
        validators = []  # uniqueness is a rule checked by the service, with its own message

    def validate(self, attrs):
        if self.instance is None and attrs.get("election") is None:
            attrs["election"] = self.context["request"].election
            if attrs["election"] is None:
                raise serializers.ValidationError(
                    {"election": _("There is no active election: choose one.")})
        return attrs


class TpsViewSet(ScopedServiceViewSet):
    """TPS of the active election (``?election=`` for another) inside the caller's scope.
    Writes need the right to edit the TPS's kelurahan."""

    queryset = Tps.objects.all()
    serializer_class = TpsSerializer
    filterset_class = TpsFilter

    def create_object(self, data):
        return services.create_tps(Tps(**data), actor=self.request.user)

    def update_object(self, obj, before):
        services.update_tps(obj, actor=self.request.user, before=before)

    def delete_object(self, obj):
        services.delete_tps(obj, actor=self.request.user)


# --- wilayah with TPS totals -------------------------------------------------------


def with_tps_totals(queryset, user, place: str):
    """Annotate kecamatan or kelurahan rows (``place``) with ``tps_count`` and ``dpt_total``
    of the active election's TPS that ``user`` may see: two subqueries, no per-row query."""
    tps = (Tps.objects.visible_to(user)
           .filter(election__is_active=True, **{place: OuterRef("code")})
           .order_by().values(place))
    count = tps.annotate(n=Count("pk")).values("n")
    dpt = tps.annotate(s=Sum("dpt_total")).values("s")
    return queryset.annotate(
        tps_count=Coalesce(Subquery(count), 0, output_field=IntegerField()),
        dpt_total=Coalesce(Subquery(dpt), 0, output_field=IntegerField()),
    )


class TpsTotalsMixin(serializers.Serializer):
    tps_count = serializers.IntegerField(read_only=True,
                                         help_text=_("TPS in the active election."))
    dpt_total = serializers.IntegerField(read_only=True,
                                         help_text=_("Voters (DPT) in the active election."))


@extend_schema_serializer(component_name="Kecamatan")
class KecamatanTotalsSerializer(TpsTotalsMixin, regions_api.KecamatanSerializer):
    class Meta(regions_api.KecamatanSerializer.Meta):
        fields = [*regions_api.KecamatanSerializer.Meta.fields, "tps_count", "dpt_total"]


@extend_schema_serializer(component_name="Kelurahan")
class KelurahanTotalsSerializer(TpsTotalsMixin, regions_api.KelurahanSerializer):
    class Meta(regions_api.KelurahanSerializer.Meta):
        fields = [*regions_api.KelurahanSerializer.Meta.fields, "tps_count", "dpt_total"]


class KecamatanViewSet(regions_api.KecamatanViewSet):
    """Kecamatan inside the caller's scope, with TPS totals for the active election."""

    serializer_class = KecamatanTotalsSerializer

    def get_queryset(self):
        return with_tps_totals(super().get_queryset(), self.request.user, "kecamatan")


class KelurahanViewSet(regions_api.KelurahanViewSet):
    """Kelurahan/desa inside the caller's scope, with TPS totals for the active election;
    filter with ``?kecamatan=<code>``."""

    serializer_class = KelurahanTotalsSerializer

    def get_queryset(self):
        return with_tps_totals(super().get_queryset(), self.request.user, "kelurahan")


ROUTES = [
    ("wilayah/kecamatan", KecamatanViewSet, "kecamatan"),
    ("wilayah/kelurahan", KelurahanViewSet, "kelurahan"),
    ("elections", ElectionViewSet, "election"),
    ("tps", TpsViewSet, "tps"),
]
