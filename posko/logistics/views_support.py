"""Support-request pages: the list (filters, summary per kind × status, CSV/XLSX export),
the detail with its status form and history, create/edit with optimistic locking, and the
status change.

Every request is fetched through ``support.visible_support(user)`` (outside it: 404);
editing needs ``support.can_edit_details`` and a status change
``support.can_change_status`` (visible but not allowed: 403). Writes go through
``posko.logistics.support``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.services import ConflictError
from posko.core.views import ObjectListView, ScopedMixin
from posko.elections.models import Election
from posko.logistics import support
from posko.logistics.forms_support import SupportFilter, SupportRequestForm, SupportStatusForm
from posko.logistics.models import SupportRequest

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
    now = now or timezone.now()
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
        return support.visible_support(self.request.user, self.get_base_queryset())


class SupportListView(SupportMixin, ObjectListView):
    filterset_class = SupportFilter
    template_name = "logistics/support_list.html"
    export_name = "dukungan-logistik"
    paginate_by = 50

    @cached_property
    def election(self) -> Election | None:
        return Election.active()

    def get_base_queryset(self):
        qs = super().get_base_queryset()
        return qs.filter(election=self.election) if self.election else qs.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filterset"]
        if filterset.is_bound:
            shown = filterset.qs if filterset.is_valid() else self.get_queryset().none()
        else:
            shown = filterset.queryset
        flag_requests(context["object_list"])
        context.update(election=self.election, summary=support.summary(shown),
                       status_choices=SupportRequest.Status.choices,
                       can_create=support.can_request(self.request.user) and self.election)
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


def render_detail(request, pk, *, status=200, status_form=None, conflict=None):
    """The detail page, freshly read (a failed write may have changed the object in memory)."""
    try:
        req = support.visible_support(request.user, SupportRequest.objects.select_related(
            "agency", "kecamatan", "kelurahan", "tps__kelurahan", "requested_by",
            "election")).get(pk=pk)
    except (SupportRequest.DoesNotExist, ValueError):
        raise Http404 from None
    flag_requests([req])
    choices = support.status_choices(request.user, req)
    context = {
        "object": req, "req": req,
        "can_edit": support.can_edit_details(request.user, req),
        "can_change_status": bool(choices),
        "status_form": status_form or SupportStatusForm(req=req, user=request.user),
        "conflict": conflict, "history": _history(req),
    }
    return render(request, "logistics/support_detail.html", context, status=status)


class SupportDetailView(SupportMixin, View):
    def get(self, request, pk):
        return render_detail(request, pk)


class SupportStatusView(SupportMixin, View):
    """POST: approve, fulfil, reject (note required) or reopen."""

    def post(self, request, pk):
        req = self.get_object()  # 404 first
        if not support.can_change_status(request.user, req):
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


class SupportEditView(SupportMixin, TemplateView):
    """Create (``support_add``) or edit (``support_edit``) a request. An edit carries the
    version it was loaded with; if someone saved in between, nothing is saved (409)."""

    template_name = "logistics/support_edit.html"
    prefill = ("kind", "kecamatan", "kelurahan", "tps", "agency")

    def get_object_for_form(self):
        if "pk" in self.kwargs:
            req = self.get_object()
            if not support.can_edit_details(self.request.user, req):
                raise PermissionDenied
            return req
        if not support.can_request(self.request.user):
            raise PermissionDenied
        election = Election.active()
        if election is None:
            raise Http404(_("There is no active election yet."))
        return SupportRequest(election=election, created_at=timezone.now())

    def get_form(self, req, data=None):
        initial = {}
        if data is None:  # links (and the TPS refresh) may prefill the place or the kind
            initial = {k: self.request.GET[k] for k in self.prefill if self.request.GET.get(k)}
        form = SupportRequestForm(data=data, instance=req, user=self.request.user,
                                  initial=initial)
        if not form.fields["kelurahan"].disabled:
            form.fields["kelurahan"].widget.attrs.update({
                "hx-get": self.request.path, "hx-trigger": "change", "hx-target": "#field-tps",
                "hx-select": "#field-tps", "hx-swap": "outerHTML"})
        return form

    def render_form(self, req, form, *, status=200, conflict=None):
        return self.render_to_response(self.get_context_data(
            form=form, object=req, conflict=conflict), status=status)

    def get(self, request, *args, **kwargs):
        req = self.get_object_for_form()
        return self.render_form(req, self.get_form(req))

    def post(self, request, *args, **kwargs):
        req = self.get_object_for_form()
        is_new = req.pk is None
        before = None if is_new else audit.snapshot(req)
        form = self.get_form(req, data=request.POST)
        if form.is_valid():
            req = form.save(commit=False)
            try:
                if is_new:
                    support.create_request(req, actor=request.user)
                else:
                    support.update_request(req, actor=request.user, before=before,
                                           expected_version=form.cleaned_data["version"])
            except ConflictError as exc:
                return self.render_form(req, form, status=409, conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": req})
                return HttpResponseRedirect(req.get_absolute_url())
        return self.render_form(req, form, status=400)
