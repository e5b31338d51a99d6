"""The readiness pages: components first, the number second; roll-ups; least-ready list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import readiness as registry
from posko.core import tasks
from posko.core.views import ElectionRequiredMixin
from posko.elections.models import Tps
from posko.readiness.models import ReadinessSettings, TpsIndex
from posko.readiness.services import rollups
from posko.readiness.services.index import weights_for
from posko.readiness.services.tasks import create_component_task, may_create

LIMIT = 50


class ReadinessPageMixin(LoginRequiredMixin, ElectionRequiredMixin):
    def rows(self):
        return TpsIndex.objects.visible_to(self.request.user).filter(election=self.election)

    def common(self):
        settings = ReadinessSettings.for_election(self.election)
        weights = weights_for(settings)
        comps = [{"key": c.key, "label": c.label, "owner": c.owner, "weight": weights[c.key]}
                 for c in registry.components()]
        return settings, comps


class OverviewView(ReadinessPageMixin, TemplateView):
    template_name = "readiness/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settings, comps = self.common()
        threshold = float(settings.ready_threshold)
        qs = self.rows()
        kecamatan = self.request.GET.get("kecamatan", "")
        level = "kecamatan"
        if kecamatan:
            qs = qs.filter(kecamatan_id=kecamatan)
            level = "kelurahan"
        total = rollups.rollup(qs, threshold, None)[0]
        averages = rollups.component_averages(qs, [c["key"] for c in comps])
        for comp in comps:
            comp["average"] = averages.get(comp["key"])
        labels = {c["key"]: c["label"] for c in comps}
        least = rollups.least_ready(qs, LIMIT)
        for row in least:
            row.missing_label = labels.get(row.missing, "")
            row.parts = [{"label": labels.get(k, k), "value": v[0], "reason": v[1]}
                         for k, v in row.components.items()]
            row.can_task = bool(row.missing) and tasks.available() and may_create(
                self.request.user, row)
        context.update(settings=settings, components=comps, total=total, level=level,
                       kecamatan=kecamatan, groups=rollups.rollup(qs, threshold, level),
                       least=least, tasks_available=tasks.available())
        return context


class ComponentTaskView(ReadinessPageMixin, View):
    """POST: the one-click Desk task for a TPS's missing component."""

    def post(self, request, pk):
        tps = get_object_or_404(Tps.objects.visible_to(request.user).select_related(
            "election", "kelurahan", "kecamatan"), pk=pk, election=self.election)
        key = request.POST.get("component", "")
        row = TpsIndex.objects.filter(tps=tps).first()
        reason = ""
        if row and key in row.components:
            reason = row.components[key][1]
        try:
            ref = create_component_task(tps, key, actor=request.user, reason=reason)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("readiness:overview")
        messages.success(request, _("Task: %(title)s.") % {"title": ref.title})
        return redirect(ref.url or "readiness:overview")
