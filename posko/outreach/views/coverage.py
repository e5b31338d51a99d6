"""Coverage of the voters by outreach, per kecamatan and kelurahan; the early warning."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import tasks
from posko.core.export_jobs import Table, TableExportMixin
from posko.core.views import ElectionRequiredMixin
from posko.outreach import coverage, participation, services
from posko.outreach.forms import (
    TaskForm,
)
from posko.outreach.models import (
    Activity,
    OutreachSettings,
    TargetGroup,
)
from posko.outreach.views.common import activities_in_scope, bar, get_visible, kecamatan_in_scope
from posko.regions.models import Kecamatan, Kelurahan


class CoverageView(ElectionRequiredMixin, LoginRequiredMixin, TableExportMixin, TemplateView):
    """Per kelurahan (least covered first), kecamatan and Pemda roll-ups, media apart; the
    per-kelurahan rows as CSV/XLSX (a background job from POSKO_EXPORT_BACKGROUND_ROWS rows)."""

    template_name = "outreach/coverage.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in ("xlsx", "csv"):
            return self.export_response(request.GET["export"])  # large: a background job
        election = self.election
        kecamatan = kecamatan_in_scope(request)
        rows = coverage.kelurahan_coverage(election, request.user, kecamatan_code=kecamatan)
        per_kec = coverage.rollup(rows, "kecamatan")
        total = coverage.rollup(rows, "total")
        settings = OutreachSettings.for_election(election)
        top = max([r.reach_per_1000 or 0 for r in rows] + [settings.low_reach_per_1000, 1])
        for row in rows:
            row.bar = bar(row.reach_per_1000, top)
            row.low = row.dpt and (row.reach_per_1000 or 0) < settings.low_reach_per_1000
        threshold_left = bar(settings.low_reach_per_1000, top)
        return self.render_to_response(self.get_context_data(
            election=election, rows=rows, per_kec=per_kec, total=total[0] if total else None,
            media=coverage.media_summary(election, request.user), settings=settings,
            threshold_left=threshold_left, kecamatan_choices=Kecamatan.objects.visible_to(
                request.user).order_by("name"), kecamatan=kecamatan,
            groups=TargetGroup.objects.filter(is_active=True)))

    def export_table(self, kind: str) -> Table:
        """cakupan-sosialisasi.csv/xlsx: the per-kelurahan rows of the page (same scope and
        ``?kecamatan=``)."""
        rows = coverage.kelurahan_coverage(self.election, self.request.user,
                                           kecamatan_code=kecamatan_in_scope(self.request))
        header = [_("Kecamatan"), _("Kelurahan"), _("Code"), "DPT", _("Activities held"),
                  _("People reached"), _("Reach per 1,000 voters"), _("Days since last activity"),
                  _("Planned"), _("Groups reached"), _("Groups never reached")]
        data = [[r.kecamatan_name, r.name, r.code, r.dpt, r.activities, r.reached,
                 r.reach_per_1000, r.days_since, r.planned,
                 ", ".join(g.name for g in r.groups_reached),
                 ", ".join(g.name for g in r.groups_missing)] for r in rows]
        return Table("cakupan-sosialisasi", header, data, len(data), filter=self.export_filter(),
                     sheet="Cakupan")


class KelurahanCoverageView(ElectionRequiredMixin, LoginRequiredMixin, TemplateView):
    template_name = "outreach/coverage_kelurahan.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.election
        user = self.request.user
        kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), user,
                                code=self.kwargs["code"])
        rows = coverage.kelurahan_coverage(election, user, kelurahan_code=kelurahan.code)
        row = rows[0] if rows else coverage.Row(kelurahan.code, kelurahan.name)
        groups = TargetGroup.objects.filter(is_active=True)
        counted = coverage.counted_activities(election, Activity.objects.visible_to(user)).filter(
            kelurahan=kelurahan)
        per_group = {g: 0 for g in groups}
        people = {g: 0 for g in groups}
        last = {}
        for activity in counted.prefetch_related("target_groups"):
            for group in activity.target_groups.all():
                if group in per_group:
                    per_group[group] += 1
                    people[group] += activity.attendance or 0
                    if group not in last or activity.starts_at > last[group]:
                        last[group] = activity.starts_at
        context.update(
            election=election, kelurahan=kelurahan, row=row,
            group_rows=[{"group": g, "activities": per_group[g], "people": people[g],
                         "last": last.get(g)} for g in groups],
            activities=activities_in_scope(user).filter(election=election, kelurahan=kelurahan)
            .order_by("-starts_at")[:50],
            can_create=services.can_record(user))
        return context


# --- early warning ---------------------------------------------------------------------------

class EarlyWarningView(ElectionRequiredMixin, LoginRequiredMixin, TemplateView):
    template_name = "outreach/early_warning.html"

    def context(self, election, form=None, **extra):
        user = self.request.user
        warnings, info = participation.early_warning(election, user)
        found = tasks.tasks_for([services.task_source(election, w.row.code) for w in warnings])
        for w in warnings:
            w.tasks = found.get(services.task_source(election, w.row.code), [])
        can_task = tasks.available() and (user.is_desk_admin or user.effective_role == "kecamatan")
        return self.get_context_data(election=election, warnings=warnings, info=info,
                                     can_task=can_task, form=form or TaskForm(),
                                     tasks_available=tasks.available(), **extra)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(self.election))

    def post(self, request, *args, **kwargs):
        election = self.election
        form = TaskForm(data=request.POST)
        if form.is_valid():
            kelurahan = get_visible(Kelurahan.objects.select_related("kecamatan"), request.user,
                                    code=form.cleaned_data["kelurahan"])
            row = next(iter(coverage.kelurahan_coverage(election, request.user,
                                                        kelurahan_code=kelurahan.code,
                                                        with_groups=False)), None)
            label = participation.chosen_history_label(election)
            hist = participation.history_by_kelurahan(label, request.user, [kelurahan.code])
            voted, registered = hist.get(kelurahan.code, (0, 0))
            history = coverage.percent(voted, registered)
            try:
                ref = services.create_followup_task(
                    election, kelurahan, agency=form.cleaned_data["agency"], actor=request.user,
                    note=form.cleaned_data.get("note", ""),
                    reach=coverage.fmt(row.reach_per_1000) if row else "",
                    history=f"{label} {coverage.fmt(history)}%" if history is not None else "")
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Task created: %(title)s.") % {"title": ref.title})
                return HttpResponseRedirect(reverse("outreach:early_warning"))
        return self.render_to_response(self.context(election, form=form), status=400)
