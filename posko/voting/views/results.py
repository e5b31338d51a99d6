"""One TPS's voting day: its reports, the report form and the C.Hasil entry per contest."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from posko.core.scope import get_visible_or_404
from posko.core.views import ElectionRequiredMixin
from posko.elections.models import Tps
from posko.voting import services
from posko.voting.access import may_report
from posko.voting.forms import PhotoForm, ReportForm, ResultForm
from posko.voting.models import ORDER, ResultSubmission, State, StatusEvent
from posko.voting.services import evidence


class TpsDayView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """One TPS's voting day: where it stands, its reports, and the form to add one."""

    def tps(self) -> Tps:
        return get_visible_or_404(Tps.objects.select_related("kelurahan", "kecamatan").filter(
            election=self.election), self.request.user, pk=self.kwargs["pk"])

    def render_page(self, tps, form, status=200, result_form=None, photo_form=None):
        """``result_form`` / ``photo_form``: (contest pk, a bound form with errors) to show
        again."""
        day = services.day_of(tps)
        events = StatusEvent.objects.filter(day=day).select_related("recorded_by")[:50] \
            if day.pk else []
        results = services.current_results(tps)
        photos = evidence.photos_of(tps)
        # The field API's C.Hasil not yet processed, or refused when they were (the inbox).
        inbox = [row for row in ResultSubmission.objects.filter(tps=tps, result__isnull=True)
                 .select_related("entered_by").order_by("-id")[:20]
                 if row.processed_at is None or row.refusals]
        contests = []
        for contest in services.contests_at(self.election, tps):
            failed = result_form[1] if result_form and result_form[0] == contest.pk else None
            contests.append({
                "contest": contest,
                "results": [r for r in results if r.contest_id == contest.pk],
                "inbox": [row for row in inbox if row.contest_id == contest.pk],
                "form": failed or ResultForm(pairs=services.ballot_numbers(contest),
                                             prefix=f"c{contest.pk}"),
                "photos": evidence.photo_groups([p for p in photos if p.contest_id == contest.pk]),
                "photo_form": photo_form[1] if photo_form and photo_form[0] == contest.pk
                else PhotoForm(prefix=f"f{contest.pk}")})
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
        form = ResultForm(request.POST, request.FILES, pairs=services.ballot_numbers(contest),
                          prefix=f"c{contest.pk}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                # The result and its photo: both or neither (files of a failed save removed).
                with evidence.files_kept_if_saved(), transaction.atomic():
                    services.submit_result(tps, contest, actor=request.user,
                                           election=self.election, values=form.values(),
                                           votes=form.votes(), source=data["source"],
                                           reason=data["reason"])
                    if data.get("photo"):
                        evidence.add_photo(
                            tps, contest, actor=request.user, election=self.election,
                            source=data["source"], page=data.get("photo_page") or 1,
                            upload=data["photo"], reason=data["reason"],
                            device=request.META.get("HTTP_USER_AGENT", ""))
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    renamed = {"image": "photo", "page": "photo_page"}
                    error = ValidationError({renamed.get(field, field): messages
                                             for field, messages in error.error_dict.items()})
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(
                    reverse("voting:tps", args=[tps.pk]) + f"#contest-{contest.pk}")
        return self.render_page(tps, ReportForm(day=services.day_of(tps)), status=400,
                                result_form=(contest.pk, form))
