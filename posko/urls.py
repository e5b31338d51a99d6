"""The project's URLconf. Domain modules add their pages through ``core.shell.register_urls``
in their AppConfig.ready(); nothing here names a domain module."""

from django.urls import include, path

from posko.accounts.views import LoginView, LogoutView
from posko.core import shell
from posko.core.job_views import JobDetailView, JobDownloadView, JobListView, JobRetryView
from posko.core.views import AuditEntryDetailView, AuditLogView
from posko.elections.browse import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # First: the field apps' writes resolve without walking every page's pattern.
    path("api/v1/", include("posko.api_urls")),
    path("masuk/", LoginView.as_view(), name="login"),
    path("keluar/", LogoutView.as_view(), name="logout"),
    path("akun/", include("posko.accounts.urls")),
    path("wilayah/", include("posko.elections.browse_urls")),
    path("", include("posko.elections.urls")),
    *[path(prefix, include(urlconf)) for prefix, urlconf in shell.url_includes()],
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("audit/<int:pk>/", AuditEntryDetailView.as_view(), name="audit_entry"),
    path("pekerjaan/", JobListView.as_view(), name="job_list"),
    path("pekerjaan/<int:pk>/", JobDetailView.as_view(), name="job_detail"),
    path("pekerjaan/<int:pk>/unduh/", JobDownloadView.as_view(), name="job_download"),
    path("pekerjaan/<int:pk>/ulang/", JobRetryView.as_view(), name="job_retry"),
    path("i18n/", include("django.conf.urls.i18n")),
]
