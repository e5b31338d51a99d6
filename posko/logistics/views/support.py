"""Support-request pages: the list (filters, summary per kind × status, CSV/XLSX export),
the detail with its status form and history, create/edit with optimistic locking, and the
status change.

Every request is fetched through ``access.visible_support(user)`` (outside it: 404);
editing needs ``access.can_edit_details`` and a status change
``access.can_change_status`` (visible but not allowed: 403). Writes go through
``posko.logistics.services.support``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit, clock
from posko.core.services import ConflictError
from posko.core.views import ObjectDetailView, ObjectEditView, ObjectListView, ScopedMixin
from posko.logistics.access import (
    can_change_status,
    can_edit_details,
    can_request,
    status_choices,
    visible_support,
)
from posko.logistics.filters import SupportFilter
from posko.logistics.forms.support import SupportRequestForm, SupportStatusForm
from posko.logistics.models import SupportRequest
from posko.logistics.services import support
from posko.logistics.views.common import in_election

STATUS_LABELS = dict(SupportRequest.Status.choices)
# The colours of the shared stylesheet's task statuses, reused for requests.
STATUS_CLASSES = {
    SupportRequest.Status.REQUESTED: "",
    SupportRequest.Status.APPROVED: "status-berjalan",
    SupportRequest.Status.FULFILLED: "status-selesai",
    SupportRequest.Status.REJECTED: "status-terhambat",
}


def flag_requests(requests, now=None):
    """Mark each open request as overdue or needed within 48 h (one clock per page)."""
    now = now or clock.now()
    soon = now + datetime.timedelta(hours=48)
    for req in requests:
        is_open = req.status in support.OPEN_STATUSES
        req.flag_overdue = is_open and req.needed_by < now
        req.flag_due_soon = is_open and not req.flag_overdue and req.needed_by <= soon
        req.status_class = STATUS_CLASSES.get(req.status, "")
    return requests


class SupportMixin(ScopedMixin):
    model = SupportRequest

    def get_base_queryset(self):
        return SupportRequest.objects.select_related(
            "agency", "kecamatan", "kelurahan", "tps__kelurahan", "requested_by")

    def get_queryset(self):
        return visible_support(self.request.user, self.get_base_queryset())


class SupportListView(SupportMixin, ObjectListView):
    filterset_class = SupportFilter
    template_name = "logistics/support_list.html"
    export_name = "dukungan-logistik"
    paginate_by = 50

    def get_base_queryset(self):
        return in_election(super().get_base_queryset(), self.request.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filterset"]
        if filterset.is_bound:
            shown = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        else:
            shown = filterset.queryset
        flag_requests(context["object_list"])
        election = self.request.election
        context.update(election=election, summary=support.summary(shown),
                       status_choices=SupportRequest.Status.choices,
                       can_create=can_request(self.request.user) and election)
        return context

    def export_header(self):
        return [_("id"), _("kind"), _("description"), _("quantity"), _("kecamatan"),
                _("kelurahan"), _("TPS"), _("fulfilled by"), _("needed by"), _("status"),
                _("note"), _("requested by"), _("created")]

    def export_rows(self, queryset):
        for req in queryset.iterator(chunk_size=2000):
            yield [req.pk, req.get_kind_display(), req.description, req.quantity,
                   req.kecamatan.name, req.kelurahan.name if req.kelurahan_id else "",
                   req.tps.label if req.tps_id else "", req.agency.name, req.needed_by,
                   req.get_status_display(), req.note,
                   req.requested_by.get_username() if req.requested_by_id else "",
                   req.created_at]


def _history(req) -> list[dict]:
    """The request's audit entries, newest first, with status moves spelled out."""
    entries = []
    for entry in audit.history(req)[:50]:
        before, after = entry.before or {}, entry.after or {}
        moved = (entry.action == "update" and before.get("status") != after.get("status"))
        entries.append({
            "entry": entry,
            "status_from": STATUS_LABELS.get(before.get("status"), "") if moved else "",
            "status_to": STATUS_LABELS.get(after.get("status"), "") if moved else "",
            "note": after.get("note", "") if moved else "",
        })
    return entries


def detail_context(request, req, *, status_form=None, conflict=None) -> dict:
    flag_requests([req])
    return {
        "object": req, "req": req,
        "can_edit": can_edit_details(request.user, req),
        "can_change_status": bool(status_choices(request.user, req)),
        "status_form": status_form or SupportStatusForm(req=req, user=request.user),
        "conflict": conflict, "history": _history(req),
    }


def detail_queryset():
    return SupportRequest.objects.select_related(
        "agency", "kecamatan", "kelurahan", "tps__kelurahan", "requested_by", "election")


def render_detail(request, pk, *, status=200, status_form=None, conflict=None):
    """The detail page, freshly read (a failed write may have changed the object in memory)."""
    try:
        req = visible_support(request.user, detail_queryset()).get(pk=pk)
    except (SupportRequest.DoesNotExist, ValueError):
        raise Http404 from None
    context = detail_context(request, req, status_form=status_form, conflict=conflict)
    return render(request, "logistics/support_detail.html", context, status=status)


class SupportDetailView(SupportMixin, ObjectDetailView):
    template_name = "logistics/support_detail.html"

    def get_base_queryset(self):
        return detail_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(detail_context(self.request, context["object"]))
        return context


class SupportStatusView(SupportMixin, View):
    """POST: approve, fulfil, reject (note required) or reopen."""

    def post(self, request, pk):
        req = self.get_object()  # 404 first
        if not can_change_status(request.user, req):
            raise PermissionDenied
        form = SupportStatusForm(data=request.POST, req=req, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                support.change_status(req, data["status"], actor=request.user,
                                      expected_version=data["version"], note=data["note"])
            except ConflictError as exc:
                return render_detail(request, pk, status=409, status_form=form,
                                     conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("%(request)s: status is now %(status)s.") % {
                    "request": req, "status": STATUS_LABELS[req.status]})
                return HttpResponseRedirect(req.get_absolute_url())
        return render_detail(request, pk, status=400, status_form=form)


class SupportEditView(SupportMixin, ObjectEditView):
    """Create (``support_add``) or edit (``support_edit``) a request. An edit carries the
    version it was loaded with; if someone saved in between, nothing is saved (409)."""

    template_name = "logistics/support_edit.html"
    form_class = SupportRequestForm
    prefill = ("kind", "kecamatan", "kelurahan", "tps", "agency")

    def get_editable_object(self):
        req = self.get_object()  # 404 first
        if not can_edit_details(self.request.user, req):
            raise PermissionDenied
        return req

    def can_create(self) -> bool:
        return can_request(self.request.user)

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return SupportRequest(election=self.request.election, created_at=clock.now())

    def create(self, obj, *, actor):
        support.create_request(obj, actor=actor)

    def update(self, obj, *, actor, before):
        support.update_request(obj, actor=actor, before=before,
                               expected_version=self.expected_version())
