"""BPJS Ketenagakerjaan: a worker's coverage, the coverage roll-up, the import of the list
BPJS returns (the enrolment list leaves through ``views/privacy.py``: it holds full NIKs)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core.views import (
    ElectionRequiredMixin,
    ImportTemplateView,
    ObjectEditView,
    ObjectImportView,
)
from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.workers import rules, services, stats
from posko.workers.forms import CoverageForm
from posko.workers.imports import BPJS_COLUMNS, BpjsReturnImporter
from posko.workers.models import Worker, WorkerSettings

UNCOVERED_LIMIT = 200
UNCOVERED_LIST_MAX = 5000


class CoverageEditView(ObjectEditView):
    """A worker's BPJS coverage (the BPJS managers who may edit the worker); the version the
    page was loaded with guards against a stale save (the core 409 page)."""

    model = Worker
    form_class = CoverageForm
    template_name = "workers/form.html"

    def get_base_queryset(self):
        return Worker.objects.select_related("tps", "kelurahan", "kecamatan", "election")

    def get_editable_object(self):
        worker = super().get_editable_object()  # 404 outside the scope, 403 not editable
        if not rules.can_manage_bpjs(self.request.user):
            raise PermissionDenied
        return worker

    def update(self, obj, *, actor, before):
        return services.set_coverage(obj, actor=actor,
                                     before=services.snapshot(Worker.objects.get(pk=obj.pk)),
                                     expected_version=self.expected_version())

    def success_message(self, obj) -> str:
        return _("Coverage saved.")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = f"{_('BPJS Ketenagakerjaan')}: {context['object'].full_name}"
        return context


class CoverageView(DrillDownView):
    """BPJS coverage: per role, per child region, the workers without active coverage, and
    the contribution cost."""

    template_name = "workers/coverage.html"
    url_name = "workers:coverage"
    export_name = "cakupan-bpjs"

    def fill(self, context, election, level) -> None:
        user = self.request.user
        settings = WorkerSettings.for_election(election)
        qs = level.narrow(stats.visible_workers(user, election))
        total, per_role, groups = stats.coverage_by(qs, level.key)
        total["percent"] = stats.percent(total["covered"], total["required"])
        total["cost"] = int(total["months"] * settings.monthly_contribution)
        roles = []
        for value, label in Worker.Role.choices:
            if value in per_role:
                r = per_role[value]
                roles.append({"label": label, **r, "percent": stats.percent(r["covered"], r["required"])})
        rows = []
        if level.name == "kelurahan":
            for pk, number in level.narrow(Tps.objects.filter(election=election)).order_by(
                    "number").values_list("pk", "number"):
                r = {**stats.EMPTY, **groups.get(pk, {})}
                rows.append({"code": f"TPS {number:03d}", "name": "", **r,
                             "url": f"{reverse('workers:worker_list')}?tps={pk}"})
            r = groups.get(None)
            if r:
                rows.append({"code": "PPS", "name": level.kelurahan.name, **r, "url": ""})
        else:
            base = reverse(self.url_name)
            for code, name, link in level.children(user):
                r = {**stats.EMPTY, **groups.get(code, {})}
                rows.append({"code": code, "name": name, **r, "url": f"{base}?{link}"})
            if level.name == "kecamatan" and groups.get(None):
                rows.append({"code": "PPK", "name": level.kecamatan.name, **groups[None], "url": ""})
        for row in rows:
            row["percent"] = stats.percent(row["covered"], row["required"])
            row["missing"] = row["required"] - row["covered"]
        uncovered = (qs.filter(status=Worker.Status.AKTIF).exclude(bpjs_status=Worker.Bpjs.AKTIF)
                     .select_related("tps", "kelurahan", "kecamatan")
                     .order_by("kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name"))
        list_query = level.query()
        context.update(
            total=total, roles=roles, rows=rows, settings=settings,
            # Past a few thousand (a province's Pemda level) the names are not read on one page,
            # and sorting them costs seconds: the count links to the filtered worker list.
            uncovered=(list(uncovered[:UNCOVERED_LIMIT])
                       if total["required"] - total["covered"] <= UNCOVERED_LIST_MAX else []),
            uncovered_count=total["required"] - total["covered"],
            uncovered_limit=UNCOVERED_LIMIT,
            uncovered_url=f"{reverse('workers:worker_list')}?status=aktif&covered=false"
                          + (f"&{list_query}" if list_query else ""),
            can_bpjs=rules.can_manage_bpjs(user),
            export_header=[_("Code"), _("Name"), _("Required"), _("Covered"), _("Submitted"),
                           _("Not covered"), _("Covered (%)")],
            export_rows=[[r["code"], r["name"], r["required"], r["covered"], r["submitted"],
                          r["missing"], r["percent"]] for r in rows])


class BpjsTemplateView(ImportTemplateView):
    columns = BPJS_COLUMNS
    filename = "template-daftar-kembali-bpjs"
    sheet_title = "BPJS"


class BpjsImportView(ElectionRequiredMixin, ObjectImportView):
    template_name = "workers/import.html"
    importer_class = BpjsReturnImporter
    success_url_name = "workers:coverage"
    template_url_name = "workers:bpjs_template"

    def can_import(self):
        return rules.can_manage_bpjs(self.request.user)

    def get_importer(self):
        return BpjsReturnImporter(actor=self.request.user, election=self.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = BPJS_COLUMNS
        context["heading"] = _("Import the list returned by BPJS")
        context["intro"] = _("Rows are matched by NIK with the active workers of your region; an "
                             "unknown NIK stops the import. The enrolment list exported from Posko "
                             "can come back as it is, with the membership numbers filled in.")
        return context
