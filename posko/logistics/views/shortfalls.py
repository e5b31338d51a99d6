"""Shortfall cases: the list (filters, export), the detail with its history, and the
status change (optimistic locking: a stale save is a 409 naming the other change)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit
from posko.core.services import ConflictError
from posko.core.views import ObjectDetailView, ObjectListView
from posko.logistics.access import may_edit_shortfall
from posko.logistics.filters import ShortfallFilter
from posko.logistics.forms.shortfalls import ShortfallUpdateForm
from posko.logistics.models import Shortfall
from posko.logistics.services.shortfalls import update_shortfall
from posko.logistics.views.common import get_visible, in_election, place_text


def shortfall_queryset():
    return Shortfall.objects.select_related("kecamatan", "kelurahan", "tps", "item", "owner",
                                            "shipment", "closed_by")


class ShortfallListView(ObjectListView):
    model = Shortfall
    filterset_class = ShortfallFilter
    template_name = "logistics/shortfall_list.html"
    export_name = "kekurangan-logistik"

    def get_base_queryset(self):
        return in_election(shortfall_queryset(), self.request.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for case in context["object_list"]:
            case.place = place_text(case)
        context["election"] = self.request.election
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


def shortfall_context(request, case, *, can_edit, form=None, conflict=None) -> dict:
    return {
        "object": case, "case": case, "place": place_text(case), "can_edit": can_edit,
        "form": form or (ShortfallUpdateForm(case=case, user=request.user) if can_edit else None),
        "history": list(audit.history(case)[:100]), "conflict": conflict,
    }


def render_shortfall(request, pk, *, form=None, status=200, conflict=None):
    """The detail page, freshly read (a failed write may have changed the case in memory)."""
    case = get_visible(shortfall_queryset().select_related("election"), request.user, pk)
    context = shortfall_context(request, case, can_edit=may_edit_shortfall(request.user, case),
                                form=form, conflict=conflict)
    return render(request, "logistics/shortfall_detail.html", context, status=status)


class ShortfallDetailView(ObjectDetailView):
    template_name = "logistics/shortfall_detail.html"

    def get_base_queryset(self):
        return shortfall_queryset().select_related("election")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(shortfall_context(self.request, context["object"],
                                         can_edit=context["can_edit"]))
        return context




class ShortfallUpdateView(LoginRequiredMixin, View):
    def case(self, request, pk):
        case = get_visible(Shortfall.objects.select_related("election"), request.user, pk)
        if not may_edit_shortfall(request.user, case):
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
                update_shortfall(case, actor=request.user, **form.service_kwargs())
            except ConflictError as exc:
                return render_shortfall(request, pk, form=form, status=409, conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Case #%(pk)s: %(status)s.") % {
                    "pk": case.pk, "status": case.get_status_display()})
                return HttpResponseRedirect(case.get_absolute_url())
        return render_shortfall(request, pk, form=form, status=400)
