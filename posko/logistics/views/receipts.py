"""The fast receipt entry: a PPS/lurah confirms every pending TPS shipment of the
kelurahan on one page (all or nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.views import ElectionRequiredMixin
from posko.logistics.access import may_act_at
from posko.logistics.forms.receipts import FastReceiptForm
from posko.logistics.models import Shipment
from posko.logistics.services.receipts import BatchError, confirm_receipts
from posko.logistics.services.shipments import pending_tps_shipments
from posko.regions.models import Kelurahan

Level = Shipment.Level


def _posted_ids(data) -> list[int]:
    ids = []
    for key in data:
        if key.startswith("s") and key.endswith("-version") and key[1:-8].isdigit():
            ids.append(int(key[1:-8]))
    return ids


class FastReceiptView(ElectionRequiredMixin, LoginRequiredMixin, TemplateView):
    """A PPS/lurah confirms every pending TPS shipment of the kelurahan on one page."""

    template_name = "logistics/receipt_fast.html"

    def kelurahan(self):
        try:
            kelurahan = Kelurahan.objects.visible_to(self.request.user).select_related(
                "kecamatan").get(code=self.kwargs["kelurahan_code"])
        except Kelurahan.DoesNotExist:
            raise Http404 from None
        if not (may_act_at(self.request.user, Level.PPS, kelurahan.kecamatan_id, kelurahan.code)
                and Kelurahan.objects.editable_by(self.request.user).filter(
                    code=kelurahan.code).exists()):
            raise PermissionDenied
        return kelurahan

    def render_page(self, kelurahan, form, status=200):
        return self.render_to_response(self.get_context_data(
            kelurahan=kelurahan, form=form, cards=form.cards(), election=self.election),
            status=status)

    def get(self, request, *args, **kwargs):
        kelurahan = self.kelurahan()
        form = FastReceiptForm(shipments=pending_tps_shipments(self.election, kelurahan.code))
        return self.render_page(kelurahan, form)

    def post(self, request, *args, **kwargs):
        kelurahan = self.kelurahan()
        shipments = pending_tps_shipments(self.election, kelurahan.code, _posted_ids(request.POST))
        form = FastReceiptForm(data=request.POST, shipments=shipments)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = confirm_receipts(form.entries(), data["receiver_name"],
                                        data["received_at"], actor=request.user)
            except BatchError as exc:
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
        election = request.election
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
