"""REST API v1: the router, token login, the OpenAPI schema and its docs page.

Each module's API (a dotted path given to ``core.shell.register_api``) lists its viewsets in
``ROUTES`` (``(prefix, viewset, basename)``) and any other paths in ``EXTRA_URLS``."""

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
for module in ["posko.elections.api", *shell.api_modules()]:
    api = import_module(module)
    for prefix, viewset, basename in api.ROUTES:
        router.register(prefix, viewset, basename=basename)
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
