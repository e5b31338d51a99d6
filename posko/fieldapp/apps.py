from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell


class FieldAppConfig(AppConfig):
    """The offline-first installable field app (issue 18): a web app under ``/lapangan/``
    with its manifest and service worker, showing the forms modules declare through
    ``core.field_forms``, queueing entries on the phone and sending them to each form's
    idempotent API endpoint."""

    name = "posko.fieldapp"
    label = "fieldapp"
    verbose_name = _("Field app")

    def ready(self):
        shell.register_urls("lapangan/", "posko.fieldapp.urls", order=90)
        shell.register_nav("fieldapp", _("Field app"), "fieldapp:app", order=95, more=True)
        # The app's cached page belongs to one session: dropped when nobody is logged in,
        # fetched again for whoever logs in next (static/posko/fieldapp/session.js; the
        # template says which of the two the page is).
        shell.register_head("fieldapp.session", "fieldapp/_session.html")
