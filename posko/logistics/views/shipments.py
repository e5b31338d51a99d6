"""Shipment pages: the list (filters, CSV/XLSX export), the detail with its history, a new
shipment, the confirmation of one receipt and the hand-over photo.

Every object is fetched through ``visible_to(user)`` (outside it: 404); writing needs
the right to act at the place (visible but not theirs: 403). Writes go through
``posko.logistics.services``."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit
from posko.core.services import ConflictError
from posko.core.uploads import PHOTO_KINDS
from posko.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from posko.logistics.access import allowed_routes, may_act_at, may_receive
from posko.logistics.filters import ShipmentFilter
from posko.logistics.forms.fields import PHOTO_ACCEPT
from posko.logistics.forms.receipts import ReceiptForm
from posko.logistics.forms.shipments import ShipmentForm
from posko.logistics.labels import box_comparison, seal_difference
from posko.logistics.models import Shipment
from posko.logistics.services.receipts import already_confirmed_message, confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.logistics.views.common import get_visible, in_election, place_text

Level = Shipment.Level


def shipment_queryset():
    return Shipment.objects.select_related("kecamatan", "kelurahan", "tps", "election")


class ShipmentListView(ObjectListView):
    model = Shipment
    filterset_class = ShipmentFilter
    template_name = "logistics/shipment_list.html"
    export_name = "pengiriman"

    def get_base_queryset(self):
        return in_election(shipment_queryset(), self.request.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for shipment in context["object_list"]:
            shipment.place = place_text(shipment)
        context.update(election=self.request.election, can_create=bool(allowed_routes(user)),
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
    if code and may_act_at(user, Level.PPS, code.rsplit(".", 1)[0], code):
        return reverse("logistics:receipt_fast", args=[code])
    if getattr(user, "can_edit_registry", False):
        return reverse("logistics:receipt_fast_choose")
    return ""


class ShipmentDetailView(ObjectDetailView):
    template_name = "logistics/shipment_detail.html"

    def get_base_queryset(self):
        return shipment_queryset().select_related("dispatched_by", "received_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shipment = context["object"]
        context.update(
            shipment=shipment, lines=list(shipment.lines.select_related("item")),
            cases=list(shipment.shortfalls.select_related("item").order_by("status", "pk")),
            place=place_text(shipment), boxes=box_comparison(shipment),
            seals=seal_difference(shipment),
            can_confirm=(shipment.status == Shipment.Status.DISPATCHED
                         and may_receive(self.request.user, shipment)),
            history=list(audit.history(shipment)[:50]))
        return context


class ShipmentCreateView(ObjectEditView):
    """A new shipment, recorded by its sender (``create_shipment``)."""

    template_name = "logistics/shipment_add.html"
    form_class = ShipmentForm
    prefill = ("route", "kecamatan", "kelurahan", "tps", "box_codes")

    def can_create(self) -> bool:
        return bool(allowed_routes(self.request.user))

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return Shipment(election=self.request.election)

    def form_kwargs(self) -> dict:
        return {"election": self.request.election}

    def create(self, obj, *, actor):
        return create_shipment(**self.form.service_kwargs(), actor=actor)

    def success_message(self, obj) -> str:
        return _("Shipment #%(pk)s recorded: %(shipment)s.") % {"pk": obj.pk, "shipment": obj}


class ShipmentConfirmView(LoginRequiredMixin, View):
    """Confirm one shipment's receipt (its version travels with the form)."""

    def shipment(self, request, pk):
        shipment = get_visible(shipment_queryset().select_related("received_by"),
                               request.user, pk)
        if not may_receive(request.user, shipment):
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
            messages.info(request, already_confirmed_message(shipment))
            return HttpResponseRedirect(shipment.get_absolute_url())
        lines = list(shipment.lines.select_related("item"))
        initial = {}
        if request.GET.get("kotak"):  # from the box-label lookup: the box just scanned
            initial["box_codes"] = request.GET["kotak"][:200]
        return self.render_form(request, shipment, lines,
                                ReceiptForm(shipment=shipment, lines=lines, initial=initial))

    def post(self, request, pk):
        shipment = self.shipment(request, pk)
        lines = list(shipment.lines.select_related("item"))
        form = ReceiptForm(data=request.POST, files=request.FILES, shipment=shipment, lines=lines)
        if shipment.status == Shipment.Status.RECEIVED:
            return self.render_form(request, shipment, lines, form, status=409,
                                    conflict=[already_confirmed_message(shipment)])
        if form.is_valid():
            data = form.cleaned_data
            try:
                confirm_receipt(shipment, form.counts(), data["receiver_name"],
                                data["received_at"], photo=data.get("photo"), actor=request.user,
                                expected_version=data["version"], note=data["note"],
                                box_codes=data["box_codes"], seal_numbers=data["seal_numbers"])
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
