"""Requirements: what one TPS needs and got, and the requirement sums per region with
drill-down (Pemda → kecamatan → kelurahan → TPS).

Every region page resolves its level from ``?kecamatan=`` / ``?kelurahan=`` (a region
outside the user's scope is a 404; without either, a camat starts at their kecamatan and
a lurah at their kelurahan) and runs one grouped query per level, so the number of
queries does not grow with the TPS."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.scope import get_visible_or_404
from posko.elections.models import Tps
from posko.logistics.models import (
    Item,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import catalogue
from posko.logistics.views.common import DrillDownView, safe_url


class TpsLogisticsView(LoginRequiredMixin, TemplateView):
    """What one TPS needs, what arrived whole, what was damaged, what is on the way, and
    its open shortfall cases."""

    template_name = "logistics/requirement_tps.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        tps = get_visible_or_404(Tps.objects.select_related("kelurahan", "kecamatan", "election"),
                                 user, pk=kwargs["tps_pk"])
        required = dict(Requirement.objects.filter(tps=tps).values_list("item_id", "quantity"))
        received = Q(shipment__status=Shipment.Status.RECEIVED)
        lines = {row["item_id"]: row for row in ShipmentLine.objects.filter(
            shipment__tps=tps, shipment__to_level=Shipment.Level.TPS, shipment__is_return=False,
        ).values("item_id").annotate(
            received=Sum("received", filter=received), damaged=Sum("damaged", filter=received),
            in_transit=Sum("dispatched", filter=Q(shipment__status=Shipment.Status.DISPATCHED)))}
        rows = []
        for item in Item.objects.filter(election_id=tps.election_id):
            if item.pk not in required and item.pk not in lines:
                continue
            line = lines.get(item.pk, {})
            need = required.get(item.pk, 0)
            good = max(0, (line.get("received") or 0) - (line.get("damaged") or 0))
            rows.append({"item": item, "required": need, "good": good,
                         "damaged": line.get("damaged") or 0,
                         "in_transit": line.get("in_transit") or 0,
                         "missing": max(0, need - good),
                         "norm": catalogue.norm_label(item, tps.election.ballot_reserve_percent)})
        shortfalls = list(Shortfall.objects.open().filter(tps=tps).select_related("item", "owner"))
        for case in shortfalls:
            case.url = safe_url("logistics:shortfall_detail", case.pk)
        shipments = list(Shipment.objects.filter(tps=tps).order_by("-dispatched_at", "-pk")[:20])
        for shipment in shipments:
            shipment.url = safe_url("logistics:shipment_detail", shipment.pk)
        context.update(
            tps=tps, rows=rows, shortfalls=shortfalls, shipments=shipments,
            readiness=TpsReadiness.objects.filter(tps=tps).first(),
            totals={"required": sum(r["required"] for r in rows),
                    "good": sum(min(r["good"], r["required"]) for r in rows)},
            readiness_url=f"{reverse('logistics:readiness')}?kelurahan={tps.kelurahan_id}")
        return context


class RequirementSummaryView(DrillDownView):
    """Requirement sums per item for the area and per child region (or TPS)."""

    template_name = "logistics/requirement_summary.html"
    url_name = "logistics:requirement_summary"
    export_name = "kebutuhan-logistik"

    def fill(self, context, election, level) -> None:
        user = self.request.user
        items = list(Item.objects.filter(election=election, is_active=True))
        index = {item.pk: i for i, item in enumerate(items)}
        key = level.key
        # One grouped query over the requirements, one over the TPS (counts and DPT).
        sums: dict = {}
        for group, item_id, total in self.scoped(Requirement.objects.filter(
                item_id__in=list(index)), level).values_list(key, "item_id").annotate(
                total=Sum("quantity")).values_list(key, "item_id", "total"):
            sums.setdefault(group, [0] * len(items))[index[item_id]] = total or 0
        tps = self.scoped(Tps.objects.filter(election=election), level)
        rows = []
        if level.name == "kelurahan":
            for pk, number, dpt in tps.order_by("number").values_list("pk", "number", "dpt_total"):
                rows.append({"code": f"TPS {number:03d}", "name": "", "tps_id": pk,
                             "url": reverse("logistics:tps_logistics", args=[pk]),
                             "tps": 1, "dpt": dpt, "quantities": sums.get(pk, [0] * len(items))})
        else:
            counts = {row[key]: row for row in tps.values(key).annotate(
                n=Count("pk"), dpt=Sum("dpt_total"))}
            base = reverse(self.url_name)
            for code, name, link in level.children(self.request.user):
                count = counts.get(code, {})
                rows.append({"code": code, "name": name, "url": f"{base}?{link}",
                             "tps": count.get("n", 0), "dpt": count.get("dpt") or 0,
                             "quantities": sums.get(code, [0] * len(items))})
        totals = [sum(row["quantities"][i] for row in rows) for i in range(len(items))]
        names = [item.name for item in items]
        for row in rows:
            row["cells"] = list(zip(names, row["quantities"], strict=True))
        reserve = election.ballot_reserve_percent
        context.update(
            items=items, rows=rows,
            item_totals=[{"item": item, "total": totals[i],
                          "norm": catalogue.norm_label(item, reserve)}
                         for i, item in enumerate(items)],
            total_tps=sum(row["tps"] for row in rows), total_dpt=sum(row["dpt"] for row in rows),
            child_label={"pemda": _("Kecamatan"), "kecamatan": _("Kelurahan/desa")}.get(
                level.name, "TPS"),
            export_header=[_("Code"), _("Name"), "TPS", "DPT", *[i.name for i in items]],
            export_rows=[[row["code"], row["name"], row["tps"], row["dpt"], *row["quantities"]]
                         for row in rows],
            can_edit_catalogue=user.is_desk_admin)
