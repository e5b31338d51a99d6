"""The H-3 forecast page and the comparison with what happened."""

from __future__ import annotations

from django.views.generic import TemplateView

from posko.core import clock
from posko.elections.models import Tps
from posko.readiness.services import rollups
from posko.readiness.views.overview import ReadinessPageMixin

LIMIT = 100


class ForecastView(ReadinessPageMixin, TemplateView):
    template_name = "readiness/forecast.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settings, comps = self.common()
        labels = {c["key"]: c["label"] for c in comps}
        qs = self.rows()
        today = min(clock.today(), rollups.target_day(self.election))
        view = rollups.forecasts(qs, self.election, today)
        late = [f for f in view.forecasts if not f.ready]
        shown = late[:LIMIT]
        compare = rollups.comparison(qs, self.election)
        wrong = compare.wrong[:LIMIT] if compare else []
        names = {t.pk: t for t in Tps.objects.filter(
            pk__in=[f.tps_id for f in shown] + [f.tps_id for f, _i in wrong]).select_related(
            "kelurahan")}
        for f in shown + [f for f, _i in wrong]:
            f.tps = names.get(f.tps_id)
            slow = f.slowest
            f.slowest_label = labels.get(slow.key, slow.key) if slow else ""
            f.slowest_part = slow
        context.update(settings=settings, view=view, late=shown, late_count=len(late),
                       compare=compare, wrong=wrong, labels=labels)
        return context
