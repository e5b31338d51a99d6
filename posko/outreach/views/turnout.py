"""Turnout per TPS: roll-ups, entry, imports and their templates."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import turnout as results_turnout
from posko.core.export_jobs import Table, TableExportMixin
from posko.core.views import (
    ElectionRequiredMixin,
    ImportTemplateView,
    ObjectEditView,
    ObjectImportView,
)
from posko.elections.models import Tps
from posko.outreach import charts, coverage, participation, services
from posko.outreach.forms import (
    TurnoutForm,
)
from posko.outreach.imports import (
    HISTORY_COLUMNS,
    TURNOUT_COLUMNS,
    HistoryImporter,
    TurnoutImporter,
)
from posko.outreach.models import (
    TpsTurnout,
)
from posko.outreach.views.common import bar, get_visible, kecamatan_in_scope
from posko.regions.models import Kecamatan, Kelurahan

# --- turnout ------------------------------------------------------------------------------

class TurnoutView(ElectionRequiredMixin, LoginRequiredMixin, TableExportMixin, TemplateView):
    """Turnout per kelurahan with kecamatan and Pemda roll-ups; the per-kelurahan rows as
    CSV/XLSX (a background job from POSKO_EXPORT_BACKGROUND_ROWS rows)."""

    template_name = "outreach/turnout.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in ("xlsx", "csv"):
            return self.export_response(request.GET["export"])  # large: a background job
        election = self.election
        kecamatan = kecamatan_in_scope(request)
        contest = participation.chosen_contest(election, request.GET.get("contest"))
        rows = participation.turnout_by_kelurahan(election, request.user, kecamatan_code=kecamatan,
                                                  contest=contest)
        per_kec = participation.turnout_rollup(rows, election, "kecamatan")
        total = participation.turnout_rollup(rows, election, "total")
        for row in rows:
            row.bar = bar(row.turnout, 100)
            row.target_left = bar(row.target, 100)
        return self.render_to_response(self.get_context_data(
            election=election, rows=rows, per_kec=per_kec, total=total[0] if total else None,
            chart=charts.scatter(rows), label=participation.chosen_history_label(election),
            kecamatan=kecamatan, contest=contest,
            contest_choices=participation.turnout_contests(election),
            kecamatan_choices=Kecamatan.objects.visible_to(request.user).order_by("name"),
            can_import=request.user.can_edit_registry))

    def export_table(self, kind: str) -> Table:
        """partisipasi.csv/xlsx: the per-kelurahan rows of the page (same scope and
        ``?kecamatan=``)."""
        contest = participation.chosen_contest(self.election, self.request.GET.get("contest"))
        rows = participation.turnout_by_kelurahan(self.election, self.request.user,
                                                  kecamatan_code=kecamatan_in_scope(self.request),
                                                  contest=contest)
        header = [_("Kecamatan"), _("Kelurahan"), _("Code"), _("TPS"), _("TPS reported"), "DPT",
                  _("Registered (DPT+DPTb+DPK)"), _("Voters from the DPT"),
                  _("Voters from the DPTb"), _("Voters from the DPK"), _("Turnout (%)"),
                  _("Target (%)"), _("Historical turnout (%)"), _("Reach per 1,000 voters"),
                  _("Contest"), _("TPS from the C.Hasil"), _("TPS from outreach entries")]
        data = [[r.kecamatan_name, r.name, r.code, r.tps, r.tps_reported, r.dpt, r.registered,
                 r.voted_dpt, r.voted_dptb, r.voted_dpk, r.turnout, r.target, r.history,
                 r.reach_per_1000, str(contest) if contest else "", r.tps_results,
                 r.tps_own] for r in rows]
        return Table("partisipasi", header, data, len(data), filter=self.export_filter(),
                     sheet="Partisipasi")


class TurnoutKelurahanView(ElectionRequiredMixin, LoginRequiredMixin, TemplateView):
    """The TPS of one kelurahan with their turnout and an entry link each."""

    template_name = "outreach/turnout_kelurahan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.election
        user = self.request.user
        kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), user,
                                code=self.kwargs["code"])
        tps = list(Tps.objects.visible_to(user).filter(election=election, kelurahan=kelurahan)
                   .order_by("number"))
        found = {t.tps_id: t for t in TpsTurnout.objects.filter(tps__in=tps)}
        contest = participation.chosen_contest(election, self.request.GET.get("contest"))
        results = results_turnout.by_tps(election, contest, [t.pk for t in tps]) if tps else {}
        rows = []
        for t in tps:
            turnout, result = found.get(t.pk), results.get(t.pk)
            if result is not None:  # the C.Hasil wins
                percent = coverage.percent(result.voted, result.registered)
            elif turnout is not None:
                percent = coverage.percent(turnout.voted, t.dpt_total + turnout.registered_dptb
                                           + turnout.registered_dpk)
            else:
                percent = None
            rows.append({"tps": t, "turnout": turnout, "result": result, "percent": percent})
        context.update(election=election, kelurahan=kelurahan, rows=rows, contest=contest,
                       contest_choices=participation.turnout_contests(election),
                       can_enter=bool(tps) and services.may_enter_turnout(user, tps[0]))
        return context


class TurnoutTpsView(ObjectEditView):
    """Enter or correct the turnout of one TPS (the URL names the TPS). A stale save is the
    core 409 page; the service checks who may enter it and the numbers."""

    model = TpsTurnout
    form_class = TurnoutForm
    template_name = "outreach/turnout_tps.html"

    def get_editable_object(self):
        tps = get_visible(Tps.objects.select_related("kelurahan", "election"),
                          self.request.user, pk=self.kwargs["pk"])
        if not services.may_enter_turnout(self.request.user, tps):
            raise PermissionDenied
        self.tps = tps
        return (TpsTurnout.objects.filter(tps=tps).first()
                or TpsTurnout(election_id=tps.election_id, tps=tps))

    def _save(self, obj, *, actor):
        return services.save_turnout(self.tps, self.form.values(), actor=actor,
                                     expected_version=self.expected_version())

    def create(self, obj, *, actor):
        return self._save(obj, actor=actor)

    def update(self, obj, *, actor, before):
        return self._save(obj, actor=actor)

    def success_url(self, obj) -> str:
        return reverse("outreach:turnout_kelurahan", args=[self.tps.kelurahan_id])

    def success_message(self, obj) -> str:
        return _("Turnout saved: %(tps)s.") % {"tps": self.tps}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = context.get("object")
        results = []  # the C.Hasil that wins over this entry, per contest
        for contest in participation.turnout_contests(self.tps.election):
            found = results_turnout.by_tps(self.tps.election, contest, [self.tps.pk])
            if self.tps.pk in found:
                result = found[self.tps.pk]
                results.append({"contest": contest, "voted": result.voted,
                                "registered": result.registered,
                                "percent": coverage.percent(result.voted, result.registered)})
        context.update(tps=self.tps, turnout=obj if obj is not None and obj.pk else None,
                       results=results)
        return context


class TurnoutImportView(ElectionRequiredMixin, ObjectImportView):
    importer_class = TurnoutImporter
    template_name = "outreach/import.html"
    success_url_name = "outreach:turnout"
    template_url_name = "outreach:turnout_template"

    def get_importer(self):
        return TurnoutImporter(actor=self.request.user, election=self.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import turnout per TPS")
        return context


class HistoryImportView(ObjectImportView):
    importer_class = HistoryImporter
    template_name = "outreach/import.html"
    success_url_name = "outreach:turnout"
    template_url_name = "outreach:history_template"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import historical turnout")
        return context


class TurnoutTemplateView(ImportTemplateView):
    columns = TURNOUT_COLUMNS
    filename = "template-partisipasi-tps"
    sheet_title = "partisipasi-tps"


class HistoryTemplateView(ImportTemplateView):
    columns = HISTORY_COLUMNS
    filename = "template-riwayat-partisipasi"
    sheet_title = "riwayat-partisipasi"
