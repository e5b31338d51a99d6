"""REST API v1: the router, token login, the OpenAPI schema and its docs page.

Each module's API (a dotted path given to ``core.shell.register_api``) lists its viewsets in
``ROUTES`` (``(prefix, viewset, basename)``) and any other paths in ``EXTRA_URLS``; those of
its routes in ``HOT_ROUTES`` too (the busiest, e.g. voting day's field submissions) are
matched before every other module's."""

from importlib import import_module

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from posko.accounts.api import ObtainTokenView
from posko.core import shell
from posko.core.api import OfflineSwaggerView
from posko.core.resumable import UploadStartView, UploadView

app_name = "api"

router = DefaultRouter()
extra_urls = []
apis = [import_module(module) for module in ["posko.elections.api", *shell.api_modules()]]
# A module's HOT routes (election night's field submissions) are matched first: Django tries
# the patterns in order, ~1.5 µs each, and the router has some 140.
hot = [route for api in apis for route in getattr(api, "HOT_ROUTES", [])]
for prefix, viewset, basename in hot + [r for api in apis for r in api.ROUTES if r not in hot]:
    router.register(prefix, viewset, basename=basename)
for api in apis:
    extra_urls.extend(getattr(api, "EXTRA_URLS", []))

urlpatterns = [
    *extra_urls,
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("uploads/", UploadStartView.as_view(), name="uploads"),
    path("uploads/<uuid:pk>/", UploadView.as_view(), name="upload"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", OfflineSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
