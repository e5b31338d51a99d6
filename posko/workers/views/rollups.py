"""Roll-ups: staffing against the norms, BPJS coverage, screening follow-up."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.workers import rules, stats
from posko.workers.models import Worker, WorkerSettings
from posko.workers.views.common import UNCOVERED_LIMIT, UNCOVERED_LIST_MAX

# --- roll-ups (drill-down: posko.elections.drilldown) -------------------------------------------

class StaffingView(DrillDownView):
    """Registered active workers against the norms, per child region or per TPS."""

    template_name = "workers/staffing.html"
    url_name = "workers:staffing"
    export_name = "kebutuhan-petugas"

    def fill(self, context, election, level) -> None:
        user = self.request.user
        tps = level.narrow(Tps.objects.visible_to(user).filter(election=election))
        workers = level.narrow(stats.visible_workers(user, election))
        groups = stats.staffing(election, tps, workers, level.key)
        rows = []
        base = reverse(self.url_name)
        if level.name == "kelurahan":
            kinds = ["kpps", "ketua", "linmas", "ptps"]
            norms = WorkerSettings.for_election(election)
            empty = {"tps": 1, "kpps": (0, norms.kpps_per_tps), "ketua": (0, 1),
                     "linmas": (0, norms.linmas_per_tps), "ptps": (0, norms.ptps_per_tps)}
            outside = dict(workers.filter(status=Worker.Status.AKTIF, outside_domicile=True)
                           .order_by().values("tps_id").annotate(n=Count("pk")).values_list("tps_id", "n"))
            for pk, number in tps.order_by("number").values_list("pk", "number"):
                entry = groups.get(pk) or empty
                rows.append({"code": f"TPS {number:03d}", "name": "", "entry": entry,
                             "outside": outside.get(pk, 0),
                             "url": f"{reverse('workers:worker_list')}?tps={pk}"})
        else:
            kinds = ["kpps", "ketua", "linmas", "ptps", "pps"] + (["ppk"] if level.name == "pemda" else [])
            for code, name, link in level.children(user):
                entry = groups.get(code) or {"tps": 0, "gap": 0, **{k: (0, 0) for k in kinds}}
                rows.append({"code": code, "name": name, "entry": entry, "url": f"{base}?{link}"})
        labels = {"kpps": "KPPS", "ketua": _("KPPS chair"), "linmas": "Linmas", "ptps": "PTPS",
                  "pps": "PPS", "ppk": "PPK"}
        for row in rows:
            row["cells"] = [{"kind": k, "actual": row["entry"].get(k, (0, 0))[0],
                             "expected": row["entry"].get(k, (0, 0))[1]} for k in kinds]
            for cell in row["cells"]:
                cell["gap"] = max(0, cell["expected"] - cell["actual"])
        extra = {}
        if level.name == "kelurahan":
            pps = workers.filter(status=Worker.Status.AKTIF, role=Worker.Role.PPS).count()
            extra["pps"] = (pps, WorkerSettings.for_election(election).pps_per_kelurahan)
        elif level.name == "kecamatan":
            ppk = workers.filter(status=Worker.Status.AKTIF, role=Worker.Role.PPK).count()
            extra["ppk"] = (ppk, WorkerSettings.for_election(election).ppk_per_kecamatan)
        context.update(rows=rows, kinds=[(k, labels[k]) for k in kinds], extra=extra,
                       total_gap=sum(c["gap"] for r in rows for c in r["cells"] if c["kind"] != "ketua"),
                       export_header=[_("Code"), _("Name"), "TPS", *[
                           f"{labels[k]} {suffix}" for k in kinds for suffix in (
                               _("registered"), _("expected"))], _("Gap")],
                       export_rows=[[r["code"], r["name"], r["entry"].get("tps", 0), *[
                           v for c in r["cells"] for v in (c["actual"], c["expected"])],
                           sum(c["gap"] for c in r["cells"] if c["kind"] != "ketua")] for r in rows])



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
