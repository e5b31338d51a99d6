"""REST API v1: the router, token login, the OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from posko.accounts.api import ObtainTokenView
from posko.coordination import api as coordination_api
from posko.core.api import OfflineSwaggerView
from posko.elections import api as elections_api
from posko.incidents import api as incidents_api
from posko.logistics import api as logistics_api
from posko.outreach import api as outreach_api
from posko.vulnerability import api as vulnerability_api
from posko.workers import api as workers_api

app_name = "api"

router = DefaultRouter()
router.register("wilayah/kecamatan", elections_api.KecamatanViewSet, basename="kecamatan")
router.register("wilayah/kelurahan", elections_api.KelurahanViewSet, basename="kelurahan")
router.register("elections", elections_api.ElectionViewSet, basename="election")
router.register("tps", elections_api.TpsViewSet, basename="tps")
router.register("agencies", coordination_api.AgencyViewSet, basename="agency")
router.register("stages", coordination_api.StageViewSet, basename="stage")
router.register("tasks", coordination_api.TaskViewSet, basename="task")
router.register("meetings", coordination_api.MeetingViewSet, basename="meeting")
router.register("logistics/requirements", logistics_api.RequirementViewSet,
                basename="logistics-requirement")
router.register("logistics/readiness", logistics_api.ReadinessViewSet, basename="logistics-readiness")
router.register("logistics/shortfalls", logistics_api.ShortfallViewSet, basename="logistics-shortfall")
router.register("logistics/shipments", logistics_api.ShipmentViewSet, basename="logistics-shipment")
for module in (vulnerability_api, workers_api, incidents_api, outreach_api):
    for prefix, viewset, basename in module.ROUTES:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    *[p for module in (vulnerability_api, workers_api, incidents_api, outreach_api)
      for p in getattr(module, "EXTRA_URLS", [])],
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", OfflineSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
