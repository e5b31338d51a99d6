"""The quick count per contest: the design (Desk admin), draw, lock, the sample list with
its hash and the estimate.

Who sees what: the page is Pemda-wide — every signed-in user sees the design, the hash,
the arrivals per stratum and, once shown, the estimate (an aggregate over the whole
contest, labelled as an estimate; no TPS's numbers). Until the TPS close on voting day the
seed and the sampled TPS are the Desk admin's only (a known sample could be targeted);
afterwards others see the seed and the sampled TPS inside their own area. Only the Desk
admin designs, draws, locks and deletes (others: 403)."""

from __future__ import annotations

import copy

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from posko.core import clock, exports
from posko.core.services import ConflictError
from posko.core.views import ElectionRequiredMixin
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from posko.voting import services
from posko.voting.models import QuickCountDesign, QuickCountTps, Strata
from posko.voting.quickcount import design as qc_design
from posko.voting.quickcount import frame as qc_frame
from posko.voting.quickcount.forms import QuickCountDesignForm
from posko.voting.quickcount.rules import before_voting_day
from posko.voting.services import quickcount as qc_services

PAGE_SIZE = 200


class QuickCountIndexView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """The tab's target: the first contest's quick count."""

    def get(self, request):
        contests = services.contests_of(self.election)
        if not contests:
            return render(request, "voting/quick_count.html", {"contests": [], "contest": None})
        return HttpResponseRedirect(reverse("voting:quick_count", args=[contests[0].pk]))


class QuickCountMixin(LoginRequiredMixin, ElectionRequiredMixin):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.contest = self.design = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.election is not None:
            contests = services.contests_of(self.election)
            self.contests = contests
            self.contest = next((c for c in contests if c.pk == kwargs["contest_pk"]), None)
            if self.contest is None:
                raise Http404
            self.design = QuickCountDesign.objects.select_related("locked_by").filter(
                contest=self.contest).first()
        return super().dispatch(request, *args, **kwargs)

    def after_close(self) -> bool:
        conf = services.settings_for(self.election)
        return clock.now() >= qc_frame.closing_moment(self.election, conf)

    def may_see_sample(self) -> bool:
        return self.request.user.is_desk_admin or self.after_close()

    def admin_only(self) -> None:
        if not self.request.user.is_desk_admin:
            raise PermissionDenied

    def expected_version(self):
        try:
            return int(self.request.POST.get("version", ""))
        except ValueError:
            return None

    def page_url(self) -> str:
        return reverse("voting:quick_count", args=[self.contest.pk])

    def render_page(self, *, form=None, conflict=None, error=None, status=200):
        user, design, election = self.request.user, self.design, self.election
        now = clock.now()
        conf = services.settings_for(election)
        pairs = services.ballot_numbers(self.contest)
        may_change = user.is_desk_admin and before_voting_day(election, now) and not (
            design and design.locked_at)
        if form is None and may_change:
            form = QuickCountDesignForm(instance=design)
        context = {"contests": self.contests, "contest": self.contest, "design": design,
                   "form": form if may_change else None, "conflict": conflict, "error": error,
                   "may_change": may_change, "is_admin": user.is_desk_admin,
                   "voting_day": election.voting_date, "election": election}
        if design is not None:
            state = qc_frame.quick_count(design, self.contest, election, conf, sorted(pairs), now)
            sizes = {row["code"]: row["population"] for row in state.strata}
            planned = qc_services.plan(design, sizes) if not design.drawn_at else {}
            names = _stratum_names(design.strata, list(sizes))
            for row in state.strata:
                row["name"] = names.get(row["code"], "")
                if not design.drawn_at:
                    row["planned"] = planned.get(row["code"], 0)
            population = sum(sizes.values())
            rows = []
            if state.result is not None:
                rows = [{"number": n, "name": pairs[n], "ratio": state.result.pairs[n]}
                        for n in sorted(pairs)]
            context.update(
                state=state, strata=state.strata, population=population,
                asked=qc_services.asked_size(design, population),
                resulting=sum(planned.values()) if planned else state.planned,
                estimate_rows=rows,
                collapsed=[" + ".join(names.get(code, code) for code in codes)
                           for codes in (state.result.collapsed if state.result else [])],
                see_sample=self.may_see_sample(),
                strata_label=Strata(design.strata).label)
        return render(self.request, "voting/quick_count.html", context, status=status)


class QuickCountView(QuickCountMixin, View):
    """GET: the page. POST: save the design (Desk admin)."""

    def get(self, request, contest_pk):
        return self.render_page()

    def post(self, request, contest_pk):
        self.admin_only()
        # A copy: validating the form changes its instance, and the page shows the stored one.
        form = QuickCountDesignForm(request.POST, instance=copy.copy(self.design))
        if form.is_valid():
            try:
                qc_services.save_design(self.contest, form.values(), actor=request.user,
                                        election=self.election, design=self.design,
                                        expected_version=form.cleaned_data["version"])
            except ConflictError as error:
                return self.render_page(form=form, conflict=error.messages, status=409)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(self.page_url())
        return self.render_page(form=form, status=400)

def _stratum_names(strata: str, codes: list[str]) -> dict[str, str]:
    model = Kelurahan if strata == Strata.KELURAHAN else Kecamatan
    return dict(model.objects.filter(code__in=codes).values_list("code", "name"))


class QuickCountActionView(QuickCountMixin, View):
    """POST draw / lock / delete (Desk admin); GET the confirmation of a lock or delete."""

    action = ""
    http_method_names = ["get", "post"]

    def get(self, request, contest_pk):
        self.admin_only()
        if self.design is None or self.action == "draw":
            return HttpResponseRedirect(self.page_url())
        return render(request, "voting/quick_count_confirm.html", {
            "contest": self.contest, "design": self.design, "action": self.action})

    def post(self, request, contest_pk):
        self.admin_only()
        if self.design is None:
            raise Http404
        call = {"draw": qc_services.draw_sample, "lock": qc_services.lock_sample,
                "delete": qc_services.delete_design}[self.action]
        try:
            call(self.design, actor=request.user, election=self.election,
                 expected_version=self.expected_version())
        except ConflictError as error:
            return self.render_page(conflict=error.messages, status=409)
        except ValidationError as error:
            return self.render_page(error=" ".join(error.messages), status=400)
        return HttpResponseRedirect(self.page_url())


class QuickCountSampleView(QuickCountMixin, View):
    """The sampled TPS (paged) and their export: CSV/XLSX with the hash in the footer, and
    the canonical text (``?export=txt``) whose SHA-256 is the hash."""

    def get(self, request, contest_pk):
        design = self.design
        if design is None or not design.drawn_at:
            raise Http404
        if not self.may_see_sample():
            raise PermissionDenied
        sample = QuickCountTps.objects.filter(design=design).order_by("order")
        if not request.user.is_desk_admin:
            sample = sample.filter(tps__in=Tps.objects.visible_to(request.user).filter(
                election=self.election))
        kind = request.GET.get("export", "")
        if kind in ("csv", "xlsx", "txt"):
            return self.export(kind, sample)
        page = Paginator(sample.select_related("tps__kelurahan", "tps__kecamatan"),
                         PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "voting/quick_count_sample.html", {
            "contest": self.contest, "design": design, "page": page,
            "complete": request.user.is_desk_admin})

    def export(self, kind: str, sample):
        design = self.design
        rows = list(sample.values_list("stratum", "tps__kelurahan_id", "tps__number",
                                       "tps__kelurahan__name", "tps__kecamatan__name",
                                       "tps__dpt_total", "order"))
        name = f"sampel-hitung-cepat-{self.contest.pk}"
        if kind == "txt":
            text = qc_design.canonical_text(f"{s},{kel},{n}" for s, kel, n, *_rest in rows)
            response = HttpResponse(text.encode(), content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.txt"'
            return response
        header = [_("Stratum"), _("Kelurahan code"), _("TPS number"), _("Kelurahan"),
                  _("Kecamatan"), "DPT", _("Order")]
        footer = [[], ["SHA-256", design.sample_hash],
                  [_("Canonical form"), _("lines \"stratum,kelurahan code,TPS number\" sorted "
                                          "in byte order, joined with \\n, UTF-8")],
                  [_("Seed"), design.seed], [_("Locked at"), design.locked_at]]
        if len(rows) != QuickCountTps.objects.filter(design=design).count():
            footer.append([_("Only the sampled TPS in your area; the hash is of the whole "
                             "sample.")])
        body = [list(row) for row in rows] + footer
        if kind == "csv":
            return exports.csv_response(f"{name}.csv", header, body)
        return exports.xlsx_response(f"{name}.xlsx", _("Sample"), header, body)
