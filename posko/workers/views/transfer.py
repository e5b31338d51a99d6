"""Imports (workers, BPJS return) and their templates."""

from __future__ import annotations

from django.utils.translation import gettext as _

from posko.core.views import ImportTemplateView, ObjectImportView
from posko.workers import rules
from posko.workers.imports import BPJS_COLUMNS, WORKER_COLUMNS, BpjsReturnImporter, WorkerImporter
from posko.workers.views.common import election_or_404

# --- imports and templates -----------------------------------------------------------------------

class WorkerImportView(ObjectImportView):
    template_name = "workers/import.html"
    importer_class = WorkerImporter
    success_url_name = "workers:worker_list"
    template_url_name = "workers:worker_template"

    def get_importer(self):
        return WorkerImporter(actor=self.request.user, election=election_or_404(self.request))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import workers")
        context["intro"] = _("KPU's list of KPPS, PPS, PPK, Linmas and PTPS. Each NIK is checked "
                             "against the date of birth and sex; a NIK already posted elsewhere in "
                             "this election is refused.")
        return context


class WorkerTemplateView(ImportTemplateView):
    columns = WORKER_COLUMNS
    filename = "template-petugas"
    sheet_title = "petugas"


class BpjsTemplateView(ImportTemplateView):
    columns = BPJS_COLUMNS
    filename = "template-daftar-kembali-bpjs"
    sheet_title = "BPJS"


class BpjsImportView(ObjectImportView):
    template_name = "workers/import.html"
    importer_class = BpjsReturnImporter
    success_url_name = "workers:coverage"
    template_url_name = "workers:bpjs_template"

    def can_import(self):
        return rules.can_manage_bpjs(self.request.user)

    def get_importer(self):
        return BpjsReturnImporter(actor=self.request.user, election=election_or_404(self.request))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = BPJS_COLUMNS
        context["heading"] = _("Import the list returned by BPJS")
        context["intro"] = _("Rows are matched by NIK with the active workers of your region; an "
                             "unknown NIK stops the import. The enrolment list exported from Posko "
                             "can come back as it is, with the membership numbers filled in.")
        return context
