"""Health screening: a worker's screening (Dinas Kesehatan) and the follow-up roll-up."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core import clock
from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.workers import rules, services, stats
from posko.workers.forms import ScreeningForm
from posko.workers.models import Screening, Worker
from posko.workers.views.common import WorkerRecordAddView


class ScreeningAddView(WorkerRecordAddView):
    """A health screening (Dinas Kesehatan operators and admins)."""

    model = Screening
    form_class = ScreeningForm

    @property
    def title(self):
        return _("Health screening")

    def allowed(self, user, worker):
        return rules.can_screen(user)

    def new_record(self, worker):
        return Screening(worker=worker)

    def initial_values(self, worker) -> dict:
        return {"date": clock.today()}

    def create(self, obj, *, actor):
        return services.record_screening(obj, actor=actor)

    def success_message(self, obj) -> str:
        return _("Screening recorded.")


class ScreeningFollowupView(DrillDownView):
    """Unscreened and unfit workers per child region, and the list to follow up."""

    template_name = "workers/screening.html"
    url_name = "workers:screening_followup"
    export_name = "skrining-petugas"

    def fill(self, context, election, level) -> None:
        user = self.request.user
        role = self.request.GET.get("role", "kpps")
        qs = level.narrow(stats.visible_workers(user, election))
        if role == "kpps":
            qs = qs.filter(role__in=Worker.KPPS_ROLES)
        key = "kecamatan_id" if level.name == "pemda" else ("kelurahan_id" if level.name == "kecamatan" else "tps_id")
        total, _roles, groups = stats.coverage_by(qs, key)
        base = reverse(self.url_name)
        rows = []
        if level.name == "kelurahan":
            for pk, number in level.narrow(Tps.objects.filter(election=election)).order_by(
                    "number").values_list("pk", "number"):
                r = {**stats.EMPTY, **groups.get(pk, {})}
                rows.append({"code": f"TPS {number:03d}", "name": "", **r, "url": ""})
        else:
            for code, name, link in level.children(user):
                r = {**stats.EMPTY, **groups.get(code, {})}
                rows.append({"code": code, "name": name, **r,
                             "url": f"{base}?{link}&role={role}"})
        for row in rows:
            row["unscreened"] = row["required"] - row["screened"]
        follow = (qs.filter(status=Worker.Status.AKTIF)
                  .filter(Q(screening_result="") | Q(screening_result=Worker.Screening.TIDAK_LAYAK))
                  .select_related("tps", "kelurahan", "kecamatan")
                  .order_by("kecamatan_id", "-screening_result", "kelurahan_id", "tps_id", "full_name"))
        page = Paginator(follow, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(rows=rows, page=page, querystring=query.urlencode(), role=role, total=total,
                       unscreened=total["required"] - total["screened"],
                       can_screen=rules.can_screen(user),
                       export_header=[_("Code"), _("Name"), _("Workers"), _("Screened"),
                                      _("Not screened"), _("Unfit")],
                       export_rows=[[r["code"], r["name"], r["required"], r["screened"],
                                     r["unscreened"], r["unfit"]] for r in rows])
