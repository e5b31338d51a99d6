"""Readiness per region with drill-down (counts per state, % of units ready) or per TPS."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.logistics.models import TpsReadiness
from posko.logistics.services import readiness
from posko.logistics.views.common import DrillDownView, percent, safe_url

STATES = TpsReadiness.State


class ReadinessView(DrillDownView):
    """Readiness per child region (counts per state, % of units ready) or per TPS."""

    template_name = "logistics/readiness_summary.html"
    url_name = "logistics:readiness"
    export_name = "kesiapan-logistik"

    def fill(self, context, election, level) -> None:
        qs = self.scoped(TpsReadiness.objects.filter(election=election), level)
        total = readiness.rollup(qs, None)
        total["percent_units"] = percent(total["good_units"], total["required_units"])
        total["percent_tps"] = percent(total["lengkap"], total["tps"])
        rows = []
        if level.name == "kelurahan":
            state_filter = self.request.GET.get("state", "")
            tps_rows = qs.order_by("tps__number")
            if state_filter in STATES.values:
                tps_rows = tps_rows.filter(state=state_filter)
            for row in tps_rows.values("tps_id", "tps__number", "state", "percent",
                                       "required_units", "good_units", "open_shortfalls",
                                       "last_received_at"):
                row["label"] = f"TPS {row['tps__number']:03d}"
                row["url"] = reverse("logistics:tps_logistics", args=[row["tps_id"]])
                row["state_label"] = STATES(row["state"]).label
                rows.append(row)
            context["state_filter"] = state_filter
            context["states"] = STATES.choices
        else:
            key = level.key
            groups = {row[key]: row for row in readiness.rollup(qs, key)}
            base = reverse(self.url_name)
            empty = dict.fromkeys(("tps", "lengkap", "kurang", "belum", "bermasalah",
                                   "required_units", "good_units"), 0)
            for code, name, link in level.children(self.request.user):
                row = {**empty, **groups.get(code, {}), "code": code, "name": name,
                       "url": f"{base}?{link}"}
                row["percent_units"] = percent(row["good_units"], row["required_units"])
                row["percent_tps"] = percent(row["lengkap"], row["tps"])
                rows.append(row)
        if level.name == "kelurahan":
            header = ["TPS", _("State"), _("% units ready"), _("Required units"),
                      _("Units received in good condition"), _("Open shortfall cases"),
                      _("Last received")]
            export_rows = [[r["label"], r["state_label"], r["percent"], r["required_units"],
                            r["good_units"], r["open_shortfalls"], r["last_received_at"]]
                           for r in rows]
        else:
            header = [_("Code"), _("Name"), "TPS", STATES.LENGKAP.label, STATES.KURANG.label,
                      STATES.BELUM.label, STATES.BERMASALAH.label, _("% units ready"),
                      _("% TPS complete")]
            export_rows = [[r["code"], r["name"], r["tps"], r["lengkap"], r["kurang"], r["belum"],
                            r["bermasalah"], r["percent_units"], r["percent_tps"]] for r in rows]
        context.update(
            total=total, rows=rows, export_header=header, export_rows=export_rows,
            child_label={"pemda": _("Kecamatan"), "kecamatan": _("Kelurahan/desa")}.get(
                level.name, "TPS"),
            board_url=safe_url("logistics:board"), map_url=safe_url("logistics:map"),
            shipments_url=safe_url("logistics:shipment_list"),
            shortfalls_url=safe_url("logistics:shortfall_list"),
            receipts_url=safe_url("logistics:receipt_fast_choose"),
            can_edit_catalogue=self.request.user.is_desk_admin)
