"""Voting-day pages: the board (drill-down, refreshed with conditional GET) and one TPS's
day with its report form."""

from __future__ import annotations

import hashlib

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View

from posko.core.scope import get_visible_or_404
from posko.core.views import ElectionRequiredMixin
from posko.elections.drilldown import DrillDownView, resolve_level
from posko.elections.models import Tps
from posko.voting import board, services, tally
from posko.voting.access import may_report
from posko.voting.forms import ReportForm, ResultForm
from posko.voting.models import ORDER, State, StatusEvent, TpsDay


class BoardView(DrillDownView):
    """Per child region: TPS per state, late to open, silent, done. The page polls itself
    every 30 s; an unchanged board answers 304 after two cheap queries."""

    template_name = "voting/board.html"
    url_name = "voting:board"
    export_name = "hari-pemungutan"

    def get(self, request, *args, **kwargs):
        election = request.election
        etag = None
        if election is not None and "export" not in request.GET:
            level = resolve_level(request)
            days = level.narrow(TpsDay.objects.visible_to(request.user).filter(election=election))
            count, versions, last = board.version(days)
            minute = timezone.now().strftime("%Y%m%d%H%M")  # late and silent move with the clock
            raw = "|".join(str(part) for part in (
                request.user.pk, election.pk, request.get_full_path(), count, versions, last,
                minute, translation.get_language()))
            etag = f'"{hashlib.sha256(raw.encode()).hexdigest()[:32]}"'
            if request.headers.get("If-None-Match") == etag:
                response = HttpResponse(status=304)
                response["ETag"] = etag
                return response
        response = super().get(request, *args, **kwargs)
        if etag:
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
        return response

    def fill(self, context, election, level) -> None:
        user = self.request.user
        conf = services.settings_for(election)
        now = timezone.now()
        data = board.rollup(election, user, level, conf, now)
        base = reverse(self.url_name)
        rows = []
        if level.name == "kelurahan":
            days = {d.tps_id: d for d in level.narrow(
                TpsDay.objects.visible_to(user).filter(election=election))}
            silent = board.silent_since(conf, now)
            for tps in level.narrow(Tps.objects.visible_to(user).filter(election=election)) \
                    .order_by("number"):
                day = days.get(tps.pk)
                rows.append({"code": f"TPS {tps.number:03d}", "name": "", "tps": tps, "day": day,
                             "url": reverse("voting:tps", args=[tps.pk]),
                             "late": bool(day and day.opened_at and day.opened_at > data["deadline"]),
                             "silent": data["live"] and now > data["deadline"] and (
                                 day is None or (day.state != State.SELESAI
                                                 and day.last_report_at < silent))})
        else:
            for code, name, link in level.children(user):
                rows.append({"code": code, "name": name, "entry": data["groups"].get(code) or _empty(),
                             "url": f"{base}?{link}"})
        states = [(state, State(state).label) for state in ORDER]
        context.update(rows=rows, total=data["total"], states=states, conf=conf,
                       deadline=data["deadline"], live=data["live"], now=now)
        if level.name == "kelurahan":
            header = ["TPS", _("State"), _("Opened at"), _("KPPS present"), _("Linmas present"),
                      _("Problems"), _("Late"), _("Silent")]
            export = [[r["code"], r["day"].get_state_display() if r["day"] else _("Not reported"),
                       timezone.localtime(r["day"].opened_at).strftime("%H.%M")
                       if r["day"] and r["day"].opened_at else "",
                       r["day"].kpps_present if r["day"] else None,
                       r["day"].linmas_present if r["day"] else None,
                       r["day"].open_problems if r["day"] else 0,
                       _("yes") if r["late"] else "", _("yes") if r["silent"] else ""] for r in rows]
        else:
            header = [_("Code"), _("Name"), "TPS", *[label for _state, label in states],
                      _("Not reported"), _("Late"), _("Silent"), _("Done (%)")]
            export = [[r["code"], r["name"], r["entry"]["tps"], *r["entry"]["cells"],
                       r["entry"]["not_reported"], r["entry"]["late"], r["entry"]["silent"],
                       r["entry"]["done_percent"]] for r in rows]
        context.update(export_header=header, export_rows=export)


def _empty() -> dict:
    return {"tps": 0, "cells": [0] * len(ORDER), "not_reported": 0, "late": 0, "silent": 0,
            "not_open": 0, "done": 0, "done_percent": None}


class TpsDayView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """One TPS's voting day: where it stands, its reports, and the form to add one."""

    def tps(self) -> Tps:
        return get_visible_or_404(Tps.objects.select_related("kelurahan", "kecamatan").filter(
            election=self.election), self.request.user, pk=self.kwargs["pk"])

    def render_page(self, tps, form, status=200, result_form=None):
        """``result_form``: (contest pk, a bound ResultForm with errors) to show again."""
        day = services.day_of(tps)
        events = StatusEvent.objects.filter(day=day).select_related("recorded_by")[:50] \
            if day.pk else []
        results = services.current_results(tps)
        contests = []
        for contest in services.contests_at(self.election, tps):
            failed = result_form[1] if result_form and result_form[0] == contest.pk else None
            contests.append({
                "contest": contest,
                "results": [r for r in results if r.contest_id == contest.pk],
                "form": failed or ResultForm(pairs=services.ballot_numbers(contest),
                                             prefix=f"c{contest.pk}")})
        return render(self.request, "voting/tps.html", {
            "tps": tps, "day": day, "events": events, "form": form, "contests": contests,
            "may_report": may_report(self.request.user, tps), "election": self.election,
            "states": [(state, State(state).label) for state in ORDER]}, status=status)

    def get(self, request, pk):
        tps = self.tps()
        return self.render_page(tps, ReportForm(day=services.day_of(tps)))

    def post(self, request, pk):
        tps = self.tps()
        if not may_report(request.user, tps):
            raise PermissionDenied
        form = ReportForm(request.POST, day=services.day_of(tps))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_report(
                    tps, actor=request.user, election=self.election, state=data["state"],
                    problem=data["problem"], note=data["note"],
                    kpps_present=data["kpps_present"], linmas_present=data["linmas_present"],
                    happened_at=data["happened_at"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(reverse("voting:tps", args=[tps.pk]))
        return self.render_page(tps, form, status=400)


class ResultEntryView(TpsDayView):
    """POST of one contest's C.Hasil from the TPS page."""

    http_method_names = ["post"]

    def post(self, request, pk, contest_pk):
        tps = self.tps()
        if not may_report(request.user, tps):
            raise PermissionDenied
        contest = next((c for c in services.contests_at(self.election, tps)
                        if c.pk == contest_pk), None)
        if contest is None:
            raise Http404
        form = ResultForm(request.POST, pairs=services.ballot_numbers(contest),
                          prefix=f"c{contest.pk}")
        if form.is_valid():
            try:
                services.submit_result(tps, contest, actor=request.user, election=self.election,
                                       values=form.values(), votes=form.votes(),
                                       source=form.cleaned_data["source"],
                                       reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(
                    reverse("voting:tps", args=[tps.pk]) + f"#contest-{contest.pk}")
        return self.render_page(tps, ReportForm(day=services.day_of(tps)), status=400,
                                result_form=(contest.pk, form))


class TallyView(DrillDownView):
    """The internal count per region for one contest (``?contest=``): TPS in, to verify,
    turnout, votes and shares per pair."""

    template_name = "voting/tally.html"
    url_name = "voting:tally"
    export_name = "rekap-hasil"

    def fill(self, context, election, level) -> None:
        contests = services.contests_of(election)
        chosen = self.request.GET.get("contest", "")
        contest = next((c for c in contests if str(c.pk) == chosen), contests[0] if contests
                       else None)
        if chosen and (contest is None or str(contest.pk) != chosen):
            raise Http404
        context.update(contests=contests, contest=contest)
        if contest is None:
            context.update(rows=[], export_header=[], export_rows=[])
            return
        pairs = services.ballot_numbers(contest)
        numbers = sorted(pairs)
        user = self.request.user
        data = tally.tally(election, contest, user, level, numbers)
        base = reverse(self.url_name)
        if level.name == "kelurahan":
            tps = {t.pk: t for t in level.narrow(Tps.objects.visible_to(user).filter(
                election=election))}
            rows = [{"code": f"TPS {t.number:03d}", "name": "", "entry": data["groups"].get(pk),
                     "url": reverse("voting:tps", args=[pk])}
                    for pk, t in sorted(tps.items(), key=lambda item: item[1].number)]
        else:
            rows = [{"code": code, "name": name, "entry": data["groups"].get(code),
                     "url": f"{base}?{link}&contest={contest.pk}"}
                    for code, name, link in level.children(user)]
        for row in rows:
            row["entry"] = row["entry"] or tally.empty_entry(numbers)
            row["cells"] = [(row["entry"]["votes"][n], row["entry"]["shares"][n]) for n in numbers]
        total = data["total"]
        context.update(
            rows=rows, total=total, pairs=[(n, pairs[n]) for n in numbers],
            total_cells=[(total["votes"][n], total["shares"][n]) for n in numbers],
            export_header=[_("Code"), _("Name"), "TPS", _("TPS in"), _("To verify"), "DPT",
                           _("Voters"), _("Turnout (%)"), _("Valid votes"), _("Invalid votes"),
                           *[pairs[n] for n in numbers]],
            export_rows=[[r["code"], r["name"], r["entry"]["tps"], r["entry"]["reported"],
                          r["entry"]["to_verify"], r["entry"]["dpt"], r["entry"]["voters"],
                          r["entry"]["turnout"], r["entry"]["valid"], r["entry"]["invalid"],
                          *[r["entry"]["votes"][n] for n in numbers]] for r in rows])
