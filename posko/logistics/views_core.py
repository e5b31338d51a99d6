"""The catalogue (items and norms), requirements per TPS and per region, readiness roll-ups
with drill-down (Pemda → kecamatan → kelurahan → TPS), the logistics settings, and the
beranda card.

Every region page resolves its level from ``?kecamatan=`` / ``?kelurahan=`` (a region
outside the user's scope is a 404; without either, a camat starts at their kecamatan and
a lurah at their kelurahan) and runs one grouped query per level, so the number of
queries does not grow with the TPS."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.dashboard import Card
from posko.core.scope import get_visible_or_404
from posko.core.views import ObjectEditView
from posko.elections import drilldown
from posko.elections.drilldown import Level
from posko.elections.models import Election, Tps
from posko.logistics import catalogue, readiness
from posko.logistics.forms_core import ItemForm, LogisticsSettingsForm
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)


def safe_url(name: str, *args) -> str:
    """The URL, or "" while the page that owns ``name`` does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def percent(part, whole) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None


# --- catalogue -------------------------------------------------------------------------------------

class ItemListView(LoginRequiredMixin, TemplateView):
    """The active election's catalogue; everyone signed in reads it, admins change it."""

    template_name = "logistics/item_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = Election.active()
        items = list(Item.objects.visible_to(self.request.user).filter(election=election)
                     ) if election else []
        for item in items:
            item.norm_text = catalogue.norm_label(item, election.ballot_reserve_percent)
        context.update(election=election, items=items,
                       can_edit=bool(election) and self.request.user.is_desk_admin,
                       missing_defaults=len({d.code for d in catalogue.DEFAULT_ITEMS}
                                            - {i.code for i in items}))
        return context


class ItemEditView(ObjectEditView):
    template_name = "logistics/item_edit.html"
    form_class = ItemForm

    def dispatch(self, request, *args, **kwargs):
        self.election = Election.active()
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        if self.election is None:
            return Item.objects.none()
        return Item.objects.filter(election=self.election)

    def can_create(self) -> bool:
        if self.election is None:
            raise Http404
        return self.request.user.is_desk_admin

    def new_object(self):
        return Item(election=self.election)

    def create(self, obj, *, actor):
        catalogue.create_item(obj, actor=actor)

    def update(self, obj, *, actor, before):
        catalogue.update_item(obj, actor=actor, before=before)

    def success_url(self, obj) -> str:
        return reverse("logistics:item_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.election
        return context


class CatalogueInstallView(LoginRequiredMixin, View):
    """POST: add the default catalogue's missing items to the active election."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        election = Election.active()
        if election is None:
            raise Http404
        added = catalogue.install_defaults(election, actor=request.user)
        if added:
            messages.success(request, _("%(n)s items of the default catalogue added; requirements "
                                        "computed for every TPS.") % {"n": added})
        else:
            messages.info(request, _("The catalogue already has every default item."))
        return HttpResponseRedirect(reverse("logistics:item_list"))


# --- requirements and receipts of one TPS ---------------------------------------------------------

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


# --- drill-down over regions: posko.elections.drilldown -------------------------------------------

class DrillDownView(drilldown.DrillDownView):
    """Shared by the requirement and readiness pages."""

    def scoped(self, queryset, level: Level):
        """Rows of ``queryset`` inside ``level`` that the user may see."""
        return level.narrow(queryset.visible_to(self.request.user))


class RequirementSummaryView(DrillDownView):
    """Requirement sums per item for the area and per child region (or TPS)."""

    template_name = "logistics/requirement_summary.html"
    url_name = "logistics:requirement_summary"
    export_name = "kebutuhan-logistik"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        election, level = context["election"], context["level"]
        if election is None:
            return context
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
        return context


STATES = TpsReadiness.State


class ReadinessView(DrillDownView):
    """Readiness per child region (counts per state, % of units ready) or per TPS."""

    template_name = "logistics/readiness_summary.html"
    url_name = "logistics:readiness"
    export_name = "kesiapan-logistik"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        election, level = context["election"], context["level"]
        if election is None:
            return context
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
        return context


# --- settings ------------------------------------------------------------------------------------

class SettingsView(LoginRequiredMixin, TemplateView):
    """The active election's logistics settings (admins only)."""

    template_name = "logistics/settings_edit.html"

    def _object(self):
        if not self.request.user.is_desk_admin:
            raise PermissionDenied
        election = Election.active()
        if election is None:
            raise Http404
        obj = LogisticsSettings.objects.filter(election=election).first()
        return obj or LogisticsSettings(election=election)

    def get(self, request, *args, **kwargs):
        obj = self._object()
        return self.render_to_response(self.get_context_data(
            form=LogisticsSettingsForm(instance=obj, user=request.user), object=obj))

    def post(self, request, *args, **kwargs):
        obj = self._object()
        before = audit.snapshot(obj) if obj.pk else None
        form = LogisticsSettingsForm(data=request.POST, instance=obj, user=request.user)
        if form.is_valid():
            obj = form.save(commit=False)
            try:
                catalogue.save_settings(obj, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Logistics settings saved."))
                return HttpResponseRedirect(reverse("logistics:settings"))
        return self.render_to_response(self.get_context_data(form=form, object=obj), status=400)


# --- beranda -------------------------------------------------------------------------------------

def readiness_card(user, election):
    """"TPS complete: N of M" for the user's scope (None until the catalogue exists)."""
    if not user.is_authenticated:
        return None
    qs = TpsReadiness.objects.visible_to(user).filter(election__is_active=True)
    total = readiness.rollup(qs, None)
    if not total["tps"]:
        return None
    return Card(_("TPS with complete logistics"),
                _("%(n)s of %(m)s") % {"n": number_format(total["lengkap"], force_grouping=True),
                                       "m": number_format(total["tps"], force_grouping=True)},
                reverse("logistics:readiness"),
                note=(_("%(n)s with problems") % {"n": total["bermasalah"]}
                      if total["bermasalah"] else ""),
                alert=bool(total["bermasalah"]))
