"""KPU's distribution plan: the list (filters, export), the import and its template."""

from __future__ import annotations

from posko.core.views import (
    ElectionRequiredMixin,
    ImportTemplateView,
    ObjectImportView,
    ObjectListView,
)
from posko.logistics.filters import PlanFilter
from posko.logistics.imports import PLAN_COLUMNS, PlanImporter
from posko.logistics.models import PlannedDistribution
from posko.logistics.views.common import in_election


class PlanListView(ObjectListView):
    model = PlannedDistribution
    filterset_class = PlanFilter
    template_name = "logistics/plan_list.html"
    export_name = "rencana-distribusi"

    def get_base_queryset(self):
        return in_election(PlannedDistribution.objects.select_related(
            "tps", "kelurahan", "kecamatan", "item"), self.request.election).order_by(
            "planned_date", "kelurahan_id", "tps__number", "item__order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.request.election
        context["can_import"] = getattr(self.request.user, "can_edit_registry", False)
        return context

    def export_header(self):
        return ["kode_kelurahan", "nomor_tps", "id_tps", "barang", "jumlah", "tanggal_rencana"]

    def export_rows(self, queryset):
        for p in queryset.iterator(chunk_size=2000):
            yield [p.kelurahan_id, p.tps.number, p.tps_id, p.item.code, p.quantity,
                   p.planned_date]


class PlanImportView(ElectionRequiredMixin, ObjectImportView):
    importer_class = PlanImporter
    template_name = "logistics/plan_import.html"
    success_url_name = "logistics:plan_list"
    template_url_name = "logistics:plan_template"

    def get_importer(self):
        return PlanImporter(actor=self.request.user, election=self.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.election
        return context


class PlanTemplateView(ImportTemplateView):
    """An XLSX (or ?format=csv) with the plan's columns and one example row, marked CONTOH
    (the importer refuses it)."""

    columns = PLAN_COLUMNS
    filename = "template-rencana-distribusi"
    sheet_title = "Rencana"
