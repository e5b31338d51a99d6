"""Staffing: registered active workers against the election's norms (drill-down)."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.workers import stats
from posko.workers.models import Worker, WorkerSettings


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
            over = stats.kpps_over_norm(workers, level.key, WorkerSettings.for_election(election))
            for code, name, link in level.children(user):
                entry = groups.get(code) or {"tps": 0, "gap": 0, **{k: (0, 0) for k in kinds}}
                rows.append({"code": code, "name": name, "entry": entry, "url": f"{base}?{link}",
                             "over_tps": over.get(code, 0)})
        labels = {"kpps": "KPPS", "ketua": _("KPPS chair"), "linmas": "Linmas", "ptps": "PTPS",
                  "pps": "PPS", "ppk": "PPK"}
        for row in rows:
            row["cells"] = [{"kind": k, "actual": row["entry"].get(k, (0, 0))[0],
                             "expected": row["entry"].get(k, (0, 0))[1]} for k in kinds]
            for cell in row["cells"]:
                cell["gap"] = max(0, cell["expected"] - cell["actual"])
                # Rows from before the caps (or imported around them): shown, never hidden.
                cell["over"] = max(0, cell["actual"] - cell["expected"])
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
