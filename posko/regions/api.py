"""Read-only wilayah API: kecamatan and kelurahan/desa, looked up by Kemendagri code.

The routes in ``posko/api_urls.py`` use the subclasses in ``posko/elections/api.py``,
which add TPS totals (regions does not import elections)."""

from rest_framework import serializers

from posko.core.api import ScopedReadOnlyViewSet
from posko.regions.models import Kecamatan, Kelurahan

CODE_PATTERN = r"[0-9.]+"  # Kemendagri codes contain dots, which the router's default refuses


class KecamatanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kecamatan
        fields = ["code", "name", "kabkota"]


class KelurahanSerializer(serializers.ModelSerializer):
    is_desa = serializers.BooleanField(read_only=True)

    class Meta:
        model = Kelurahan
        fields = ["code", "name", "kecamatan", "is_desa"]


class KecamatanViewSet(ScopedReadOnlyViewSet):
    """Kecamatan inside the caller's scope."""

    queryset = Kecamatan.objects.all()
    serializer_class = KecamatanSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN


class KelurahanViewSet(ScopedReadOnlyViewSet):
    """Kelurahan/desa inside the caller's scope; filter with ``?kecamatan=<code>``."""

    queryset = Kelurahan.objects.all()
    serializer_class = KelurahanSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    filterset_fields = ["kecamatan"]
