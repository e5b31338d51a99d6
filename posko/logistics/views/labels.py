"""Box labels: the page to print them per kelurahan or kecamatan (PDF, audited like any
export) and to look a scanned label up (it opens the receipt of the shipment carrying the
box, with the box code filled in).

Places and TPS are looked up through ``visible_to(user)``: outside the user's region, 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit
from posko.elections.models import Tps
from posko.logistics.access import allowed_routes, may_act_at, may_receive
from posko.logistics.forms.shipments import route_key
from posko.logistics.label_pdf import build_labels, render_labels
from posko.logistics.labels import parse_label
from posko.logistics.models import Item, Requirement, Shipment
from posko.regions.models import Kecamatan, Kelurahan

Level = Shipment.Level
LEVEL_ORDER = {Level.TPS: 0, Level.PPS: 1, Level.PPK: 2, Level.KPU: 3}


def max_labels() -> int:
    return getattr(settings, "POSKO_LABELS_MAX", 2000)  # ~8 ms a label: one request


def _page(request, status=200, **context):
    user = request.user
    context.setdefault("kelurahan_list", Kelurahan.objects.visible_to(user).select_related(
        "kecamatan").order_by("kecamatan__name", "name"))
    context.setdefault("kecamatan_list", Kecamatan.objects.visible_to(user).order_by("name"))
    context.setdefault("election", request.election)
    return render(request, "logistics/labels.html", context, status=status)


class LabelPageView(LoginRequiredMixin, View):
    """Choose a kelurahan or kecamatan to print; scan a label to receive its box."""

    def get(self, request):
        return _page(request)


class LabelPdfView(LoginRequiredMixin, View):
    """``?kelurahan=<code>`` or ``?kecamatan=<code>``: the labels of every TPS there."""

    def get(self, request):
        election = request.election
        if election is None:
            raise Http404(_("There is no active election yet."))
        user = request.user
        kelurahan_code, kecamatan_code = request.GET.get("kelurahan"), request.GET.get("kecamatan")
        requirements = Requirement.objects.filter(item__election=election, item__is_active=True,
                                                  tps__election=election, quantity__gt=0)
        if kelurahan_code:
            place = Kelurahan.objects.visible_to(user).filter(code=kelurahan_code).first()
            requirements = requirements.filter(kelurahan_id=kelurahan_code)
        elif kecamatan_code:
            place = Kecamatan.objects.visible_to(user).filter(code=kecamatan_code).first()
            requirements = requirements.filter(kecamatan_id=kecamatan_code)
        else:
            return _page(request, status=400,
                         error=_("Choose the kelurahan or the kecamatan to print labels for."))
        if place is None:
            raise Http404
        requirements = requirements.visible_to(user).select_related(
            "tps__kelurahan", "tps__kecamatan", "item__contest").order_by(
            "tps__kelurahan_id", "tps__number", "item__order", "item__name")
        labels = build_labels(election, requirements)
        if len(labels) > max_labels():
            return _page(request, status=400, error=_(
                "%(count)s labels are too many for one file: print them per kelurahan.") % {
                "count": len(labels)})
        name = f"label-kotak-{place.code}"
        audit.record("export", actor=user, object_repr="label-kotak",
                     after={"rows": len(labels), "format": "pdf", "filter": place.code},
                     message=_("Box labels (PDF): %(count)s labels for %(place)s") % {
                         "count": len(labels), "place": place.name})
        response = HttpResponse(render_labels(labels, name), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response


def carrying_shipment(user, election, tps, item):
    """The shipment on the way that carries ``item`` for ``tps`` and that ``user`` may
    receive: to the TPS itself first, then its kelurahan (PPS), then its kecamatan (PPK)."""
    candidates = Shipment.objects.visible_to(user).filter(
        election=election, is_return=False, status=Shipment.Status.DISPATCHED, lines__item=item,
    ).filter(Q(to_level=Level.TPS, tps=tps) | Q(to_level=Level.PPS, kelurahan_id=tps.kelurahan_id)
             | Q(to_level=Level.PPK, kecamatan_id=tps.kecamatan_id)).distinct()
    for shipment in sorted(candidates, key=lambda s: (LEVEL_ORDER.get(s.to_level, 9),
                                                      s.dispatched_at, s.pk)):
        if may_receive(user, shipment):
            return shipment
    return None


def new_shipment_link(user, tps, code: str) -> str:
    """A new shipment to ``tps`` with the box already listed, for a user who may send one
    (a gudang or PPS scanning the boxes it loads)."""
    if (Level.PPS, Level.TPS, False) not in allowed_routes(user) or not may_act_at(
            user, Level.TPS, tps.kecamatan_id, tps.kelurahan_id):
        return ""
    return reverse("logistics:shipment_add") + "?" + urlencode({
        "route": route_key(Level.PPS, Level.TPS, False), "kelurahan": tps.kelurahan_id,
        "tps": tps.pk, "box_codes": code})


class LabelLookupView(LoginRequiredMixin, View):
    """``?kode=<scanned label>``: open the receipt of the shipment carrying that box."""

    def get(self, request):
        election = request.election
        raw = (request.GET.get("kode") or "").strip()
        if not raw:
            return _page(request, status=400, lookup_error=_("Scan or type a box label."))
        try:
            label = parse_label(raw)
        except ValidationError as exc:
            return _page(request, status=400, lookup_error=exc.messages[0], code=raw)
        if election is None or label.election_id != election.pk:
            return _page(request, status=400, code=raw, lookup_error=_(
                "Box label %(code)s is for another election.") % {"code": label.code})
        tps = Tps.objects.visible_to(request.user).filter(
            election=election, kelurahan_id=label.kelurahan_code,
            number=label.tps_number).select_related("kelurahan").first()
        if tps is None:
            raise Http404
        item = Item.objects.filter(election=election, code=label.item_code).first()
        if item is None:
            return _page(request, status=400, code=raw, lookup_error=_(
                "Box label %(code)s names an item that is not in this election's catalogue.")
                % {"code": label.code})
        shipment = carrying_shipment(request.user, election, tps, item)
        if shipment is None:
            return _page(request, code=raw, new_shipment=new_shipment_link(request.user, tps,
                                                                          label.code),
                         lookup_error=_(
                "No shipment on its way that you may receive carries %(item)s for %(tps)s "
                "%(kelurahan)s.") % {"item": item.name, "tps": tps.label,
                                      "kelurahan": tps.kelurahan.name})
        url = reverse("logistics:shipment_confirm", args=[shipment.pk])
        return HttpResponseRedirect(f"{url}?{urlencode({'kotak': label.code})}")
