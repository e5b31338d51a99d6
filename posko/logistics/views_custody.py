"""Chain-of-custody pages: shipments (list, detail, new, confirm a receipt, the hand-over
photo), the fast receipt entry of a kelurahan, shortfall cases (list, detail, update)
and the KPU distribution plan (list, import, template).

Every object is fetched through ``visible_to(user)`` (outside it: 404); writing needs
the right to act at the place (visible but not theirs: 403). Writes go through
``posko.logistics.custody``."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.services import ConflictError
from posko.core.templates_example import template_response
from posko.core.uploads import PHOTO_KINDS
from posko.core.views import ObjectImportView, ObjectListView
from posko.elections.models import Election
from posko.logistics import custody
from posko.logistics.forms_custody import (
    PHOTO_ACCEPT,
    FastReceiptForm,
    PlanFilter,
    ReceiptForm,
    ShipmentFilter,
    ShipmentForm,
    ShortfallFilter,
    ShortfallUpdateForm,
)
from posko.logistics.models import PlannedDistribution, Shipment, Shortfall
from posko.logistics.plan_import import PLAN_COLUMNS, PlanImporter
from posko.regions.models import Kelurahan

Level = Shipment.Level


def active_election_or_404() -> Election:
    election = Election.active()
    if election is None:
        raise Http404(_("There is no active election yet."))
    return election


def get_visible(queryset, user, pk):
    try:
        return queryset.visible_to(user).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def place_text(obj) -> str:
    """"Kec. Klojen › Kauman › TPS 001" for a shipment or a case."""
    parts = [f"Kec. {obj.kecamatan.name}"] if obj.kecamatan_id else []
    if obj.kelurahan_id:
        parts.append(obj.kelurahan.name)
    if obj.tps_id:
        parts.append(obj.tps.label)
    return " › ".join(parts)


class ActiveElectionMixin:
    @cached_property
    def election(self) -> Election | None:
        return Election.active()

    def in_active_election(self, qs):
        return qs.filter(election=self.election) if self.election else qs.none()


# --- shipments -----------------------------------------------------------------------------------

def shipment_queryset():
    return Shipment.objects.select_related("kecamatan", "kelurahan", "tps", "election")


class ShipmentListView(ActiveElectionMixin, ObjectListView):
    model = Shipment
    filterset_class = ShipmentFilter
    template_name = "logistics/shipment_list.html"
    export_name = "pengiriman"

    def get_base_queryset(self):
        return self.in_active_election(shipment_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for shipment in context["object_list"]:
            shipment.place = place_text(shipment)
        context.update(election=self.election, can_create=bool(custody.allowed_routes(user)),
                       fast_entry=fast_entry_link(user, kwargs["filterset"]))
        return context

    def export_header(self):
        return ["id", _("from"), _("to"), _("return"), _("kecamatan"), _("kelurahan"), "TPS",
                _("status"), _("dispatched at"), _("seal numbers"), _("vehicle"), _("driver"),
                _("received at"), _("received by (name)")]

    def export_rows(self, queryset):
        for s in queryset.iterator(chunk_size=2000):
            yield [s.pk, s.get_from_level_display(), s.get_to_level_display(), s.is_return,
                   s.kecamatan.name, s.kelurahan.name if s.kelurahan_id else "",
                   s.tps.label if s.tps_id else "", s.get_status_display(), s.dispatched_at,
                   s.seal_numbers, s.vehicle, s.driver, s.received_at, s.receiver_name]


def fast_entry_link(user, filterset) -> str:
    """The fast receipt entry for the user's kelurahan, or for the one filtered on."""
    code = getattr(user, "scope_kelurahan_id", None)
    if not code and filterset.is_bound and filterset.is_valid():
        kelurahan = filterset.form.cleaned_data.get("kelurahan")
        code = kelurahan.code if kelurahan else None
    if code and custody.may_act_at(user, Level.PPS, code.rsplit(".", 1)[0], code):
        return reverse("logistics:receipt_fast", args=[code])
    if getattr(user, "can_edit_registry", False):
        return reverse("logistics:receipt_fast_choose")
    return ""


class ShipmentDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        shipment = get_visible(shipment_queryset().select_related(
            "dispatched_by", "received_by"), request.user, pk)
        lines = list(shipment.lines.select_related("item"))
        cases = list(shipment.shortfalls.select_related("item").order_by("status", "pk"))
        return render(request, "logistics/shipment_detail.html", {
            "object": shipment, "shipment": shipment, "lines": lines, "cases": cases,
            "place": place_text(shipment),
            "can_confirm": (shipment.status == Shipment.Status.DISPATCHED
                            and custody.may_receive(request.user, shipment)),
            "history": list(audit.history(shipment)[:50]),
        })


class ShipmentCreateView(LoginRequiredMixin, TemplateView):
    template_name = "logistics/shipment_add.html"

    def form(self, data=None):
        if not custody.allowed_routes(self.request.user):
            raise PermissionDenied
        election = active_election_or_404()
        initial = {k: self.request.GET[k] for k in ("route", "kecamatan", "kelurahan", "tps")
                   if self.request.GET.get(k)}
        form = ShipmentForm(data=data, user=self.request.user, election=election, initial=initial)
        form.fields["kelurahan"].widget.attrs.update({
            "hx-get": self.request.path, "hx-trigger": "change", "hx-target": "#field-tps",
            "hx-select": "#field-tps", "hx-swap": "outerHTML", "hx-include": "closest form"})
        return form

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(data=request.POST)
        if form.is_valid():
            try:
                shipment = custody.create_shipment(**form.service_kwargs(), actor=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Shipment #%(pk)s recorded: %(shipment)s.") % {
                    "pk": shipment.pk, "shipment": shipment})
                return HttpResponseRedirect(shipment.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ShipmentConfirmView(LoginRequiredMixin, View):
    """Confirm one shipment's receipt (its version travels with the form)."""

    def shipment(self, request, pk):
        shipment = get_visible(shipment_queryset().select_related("received_by"),
                               request.user, pk)
        if not custody.may_receive(request.user, shipment):
            raise PermissionDenied
        return shipment

    def render_form(self, request, shipment, lines, form, *, status=200, conflict=None):
        return render(request, "logistics/receipt_confirm.html", {
            "object": shipment, "shipment": shipment, "form": form, "rows": form.rows(),
            "place": place_text(shipment), "conflict": conflict, "photo_accept": PHOTO_ACCEPT,
        }, status=status)

    def get(self, request, pk):
        shipment = self.shipment(request, pk)
        if shipment.status == Shipment.Status.RECEIVED:
            messages.info(request, custody.already_confirmed_message(shipment))
            return HttpResponseRedirect(shipment.get_absolute_url())
        lines = list(shipment.lines.select_related("item"))
        return self.render_form(request, shipment, lines,
                                ReceiptForm(shipment=shipment, lines=lines))

    def post(self, request, pk):
        shipment = self.shipment(request, pk)
        lines = list(shipment.lines.select_related("item"))
        form = ReceiptForm(data=request.POST, files=request.FILES, shipment=shipment, lines=lines)
        if shipment.status == Shipment.Status.RECEIVED:
            return self.render_form(request, shipment, lines, form, status=409,
                                    conflict=[custody.already_confirmed_message(shipment)])
        if form.is_valid():
            data = form.cleaned_data
            try:
                custody.confirm_receipt(
                    shipment, form.counts(), data["receiver_name"], data["received_at"],
                    photo=data.get("photo"), actor=request.user,
                    expected_version=data["version"], note=data["note"])
            except ConflictError as exc:
                return self.render_form(request, shipment, lines, form, status=409,
                                        conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Receipt of shipment #%(pk)s confirmed.") % {
                    "pk": shipment.pk})
                return HttpResponseRedirect(shipment.get_absolute_url())
        return self.render_form(request, shipment, lines, form, status=400)


class ShipmentPhotoView(LoginRequiredMixin, View):
    """The photo of the signed hand-over record, for those who may see the shipment."""

    def get(self, request, pk):
        shipment = get_visible(Shipment.objects.all(), request.user, pk)
        if not shipment.handover_photo:
            raise Http404
        name = shipment.handover_photo.name
        extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        types = {kind.extension: kind.content_type for kind in PHOTO_KINDS}
        content_type = types.get(extension) or mimetypes.guess_type(name)[0] or \
            "application/octet-stream"
        try:
            handle = shipment.handover_photo.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=content_type,
                            filename=f"berita-acara-{shipment.pk}{extension}")


# --- fast receipt entry --------------------------------------------------------------------------

def _posted_ids(data) -> list[int]:
    ids = []
    for key in data:
        if key.startswith("s") and key.endswith("-version") and key[1:-8].isdigit():
            ids.append(int(key[1:-8]))
    return ids


class FastReceiptView(LoginRequiredMixin, TemplateView):
    """A PPS/lurah confirms every pending TPS shipment of the kelurahan on one page."""

    template_name = "logistics/receipt_fast.html"

    def kelurahan(self):
        try:
            kelurahan = Kelurahan.objects.visible_to(self.request.user).select_related(
                "kecamatan").get(code=self.kwargs["kelurahan_code"])
        except Kelurahan.DoesNotExist:
            raise Http404 from None
        if not (custody.may_act_at(self.request.user, Level.PPS, kelurahan.kecamatan_id,
                                   kelurahan.code)
                and Kelurahan.objects.editable_by(self.request.user).filter(
                    code=kelurahan.code).exists()):
            raise PermissionDenied
        return kelurahan

    def render_page(self, kelurahan, form, status=200):
        return self.render_to_response(self.get_context_data(
            kelurahan=kelurahan, form=form, cards=form.cards(), election=Election.active()),
            status=status)

    def get(self, request, *args, **kwargs):
        kelurahan = self.kelurahan()
        election = active_election_or_404()
        form = FastReceiptForm(shipments=custody.pending_tps_shipments(election, kelurahan.code))
        return self.render_page(kelurahan, form)

    def post(self, request, *args, **kwargs):
        kelurahan = self.kelurahan()
        election = active_election_or_404()
        shipments = custody.pending_tps_shipments(election, kelurahan.code,
                                                  _posted_ids(request.POST))
        form = FastReceiptForm(data=request.POST, shipments=shipments)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = custody.confirm_receipts(form.entries(), data["receiver_name"],
                                                data["received_at"], actor=request.user)
            except custody.BatchError as exc:
                form.add_batch_errors(exc)
                status = 409 if exc.has_conflict else 400
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _(
                    "%(count)s shipments confirmed for %(kelurahan)s.") % {
                    "count": len(done), "kelurahan": kelurahan.name})
                return HttpResponseRedirect(request.path)
        return self.render_page(kelurahan, form, status=status)


class FastReceiptChooseView(LoginRequiredMixin, TemplateView):
    """Which kelurahan have TPS shipments waiting; a lurah goes straight to theirs."""

    template_name = "logistics/receipt_choose.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        if not getattr(user, "can_edit_registry", False):
            raise PermissionDenied
        if user.scope_kelurahan_id:
            return HttpResponseRedirect(reverse("logistics:receipt_fast",
                                                args=[user.scope_kelurahan_id]))
        election = Election.active()
        pending = {}
        if election:
            pending = dict(Shipment.objects.visible_to(user).filter(
                election=election, to_level=Level.TPS, is_return=False,
                status=Shipment.Status.DISPATCHED).values_list("kelurahan_id").annotate(
                n=Count("pk")).values_list("kelurahan_id", "n"))
        kelurahan = list(Kelurahan.objects.editable_by(user).filter(code__in=list(pending))
                         .select_related("kecamatan").order_by("kecamatan__name", "name"))
        for k in kelurahan:
            k.pending = pending.get(k.code, 0)
        return self.render_to_response(self.get_context_data(kelurahan_list=kelurahan,
                                                             election=election))


# --- shortfall cases ----------------------------------------------------------------------------

def shortfall_queryset():
    return Shortfall.objects.select_related("kecamatan", "kelurahan", "tps", "item", "owner",
                                            "shipment", "closed_by")


class ShortfallListView(ActiveElectionMixin, ObjectListView):
    model = Shortfall
    filterset_class = ShortfallFilter
    template_name = "logistics/shortfall_list.html"
    export_name = "kekurangan-logistik"

    def get_base_queryset(self):
        return self.in_active_election(shortfall_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for case in context["object_list"]:
            case.place = place_text(case)
        context["election"] = self.election
        return context

    def export_header(self):
        return ["id", _("kind"), _("status"), _("kecamatan"), _("kelurahan"), "TPS", _("item"),
                _("quantity"), _("shipment"), _("owner"), _("description"), _("flagged"),
                _("closed"), _("resolution")]

    def export_rows(self, queryset):
        for c in queryset.iterator(chunk_size=2000):
            yield [c.pk, c.get_kind_display(), c.get_status_display(), c.kecamatan.name,
                   c.kelurahan.name if c.kelurahan_id else "", c.tps.label if c.tps_id else "",
                   c.item.name if c.item_id else "", c.quantity, c.shipment_id or "",
                   str(c.owner) if c.owner_id else "", c.description, c.created_at, c.closed_at,
                   c.resolution]


def render_shortfall(request, pk, *, form=None, status=200, conflict=None):
    case = get_visible(shortfall_queryset().select_related("election"), request.user, pk)
    can_edit = custody.may_edit_shortfall(request.user, case)
    return render(request, "logistics/shortfall_detail.html", {
        "object": case, "case": case, "place": place_text(case), "can_edit": can_edit,
        "form": form or (ShortfallUpdateForm(case=case, user=request.user) if can_edit else None),
        "history": list(audit.history(case)[:100]), "conflict": conflict,
    }, status=status)


class ShortfallDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_shortfall(request, pk)


class ShortfallUpdateView(LoginRequiredMixin, View):
    def case(self, request, pk):
        case = get_visible(Shortfall.objects.select_related("election"), request.user, pk)
        if not custody.may_edit_shortfall(request.user, case):
            raise PermissionDenied
        return case

    def get(self, request, pk):
        case = self.case(request, pk)
        return HttpResponseRedirect(case.get_absolute_url())

    def post(self, request, pk):
        case = self.case(request, pk)
        form = ShortfallUpdateForm(data=request.POST, case=case, user=request.user)
        if form.is_valid():
            try:
                custody.update_shortfall(case, actor=request.user, **form.service_kwargs())
            except ConflictError as exc:
                return render_shortfall(request, pk, form=form, status=409, conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Case #%(pk)s: %(status)s.") % {
                    "pk": case.pk, "status": case.get_status_display()})
                return HttpResponseRedirect(case.get_absolute_url())
        return render_shortfall(request, pk, form=form, status=400)


# --- distribution plan ----------------------------------------------------------------------------

class PlanListView(ActiveElectionMixin, ObjectListView):
    model = PlannedDistribution
    filterset_class = PlanFilter
    template_name = "logistics/plan_list.html"
    export_name = "rencana-distribusi"

    def get_base_queryset(self):
        return self.in_active_election(PlannedDistribution.objects.select_related(
            "tps", "kelurahan", "kecamatan", "item")).order_by(
            "planned_date", "kelurahan_id", "tps__number", "item__order")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.election
        context["can_import"] = getattr(self.request.user, "can_edit_registry", False)
        return context

    def export_header(self):
        return ["kode_kelurahan", "nomor_tps", "id_tps", "barang", "jumlah", "tanggal_rencana"]

    def export_rows(self, queryset):
        for p in queryset.iterator(chunk_size=2000):
            yield [p.kelurahan_id, p.tps.number, p.tps_id, p.item.code, p.quantity,
                   p.planned_date]


class PlanImportView(ObjectImportView):
    importer_class = PlanImporter
    template_name = "logistics/plan_import.html"
    success_url_name = "logistics:plan_list"
    template_url_name = "logistics:plan_template"

    def get_importer(self):
        return PlanImporter(actor=self.request.user, election=active_election_or_404())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = Election.active()
        return context


class PlanTemplateView(LoginRequiredMixin, View):
    """An XLSX (or ?format=csv) with the plan's columns and one example row, marked CONTOH
    (the importer refuses it)."""

    def get(self, request):
        return template_response(request, "template-rencana-distribusi", "Rencana", PLAN_COLUMNS)
