"""The logistics history behind the vulnerability indicators: which source an election
uses (the previous election in Posko, the imported history, or none), the imported rows
(filters, export), their import and its template."""

from __future__ import annotations

from posko.core.views import (
    ElectionRequiredMixin,
    ImportTemplateView,
    ObjectImportView,
    ObjectListView,
)
from posko.logistics import history
from posko.logistics.filters import HistoryFilter
from posko.logistics.models import ShortfallHistory
from posko.logistics.views.common import in_election


class HistoryListView(ObjectListView):
    model = ShortfallHistory
    filterset_class = HistoryFilter
    template_name = "logistics/history_list.html"
    export_name = "riwayat-logistik"

    def get_base_queryset(self):
        return in_election(ShortfallHistory.objects.select_related(
            "tps", "kelurahan", "kecamatan"), self.request.election).order_by(
            "kelurahan_id", "tps__number", "past_election")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        context.update(election=election,
                       source=history.source_of(election) if election else None,
                       can_import=getattr(self.request.user, "can_edit_registry", False))
        return context

    def export_header(self):
        return ["kode_kelurahan", "nomor_tps", "id_tps", "pemilu", "kurang", "rusak",
                "terlambat"]

    def export_rows(self, queryset):
        for h in queryset.iterator(chunk_size=2000):
            yield [h.kelurahan_id, h.tps.number, h.tps_id, h.past_election, h.shortfall,
                   h.damaged, h.late]


class HistoryImportView(ElectionRequiredMixin, ObjectImportView):
    importer_class = history.HistoryImporter
    template_name = "logistics/history_import.html"
    success_url_name = "logistics:history_list"
    template_url_name = "logistics:history_template"

    def get_importer(self):
        return history.HistoryImporter(actor=self.request.user, election=self.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.election
        return context


class HistoryTemplateView(ImportTemplateView):
    """An XLSX (or ?format=csv) with the history's columns and one example row, marked
    CONTOH (the importer refuses it)."""

    columns = history.HISTORY_COLUMNS
    filename = "template-riwayat-logistik"
    sheet_title = "Riwayat"
