"""Generic views. A module's views name their queryset, form, filterset,
columns and service functions; scope, 404s, audit and exports live here."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit, services
from posko.core.export_jobs import Table, TableExportMixin
from posko.core.import_jobs import enqueue_import, wants_background
from posko.core.importer import ImportFileError, read_upload
from posko.core.models import AuditEntry
from posko.core.services import ConflictError
from posko.core.templates_example import template_response


class ScopedMixin(LoginRequiredMixin):
    """Every queryset goes through ``visible_to(user)``; objects outside it are 404."""

    model = None
    queryset = None

    def get_base_queryset(self):
        qs = self.queryset if self.queryset is not None else self.model.objects.all()
        return qs.all()

    def get_queryset(self):
        return self.get_base_queryset().visible_to(self.request.user)

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (self.get_base_queryset().model.DoesNotExist, ValueError):
            raise Http404 from None

    def get_editable_object(self):
        obj = self.get_object()  # 404 first: never reveal what the user may not see
        if not self.get_base_queryset().editable_by(self.request.user).filter(pk=obj.pk).exists():
            raise PermissionDenied
        return obj


class AdminOnlyMixin(LoginRequiredMixin):
    """Pages for Desk Pilkada admins only (others: 403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_desk_admin:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PemdaWideAdminMixin:
    """Rows of the whole Pemda (elections, agencies, divisions, templates…): every signed-in
    user sees them, the Desk admin creates and changes them (others: 403)."""

    def get_queryset(self):
        return self.get_base_queryset()

    def get_editable_object(self):
        obj = self.get_object()
        if not self.request.user.is_desk_admin:
            raise PermissionDenied
        return obj

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin


class ElectionRequiredMixin:
    """Pages about the request's election (``request.election``): 404 when there is none.
    ``self.election`` is that election."""

    election = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.election = request.election  # also for a view rebuilt by a background job

    def dispatch(self, request, *args, **kwargs):
        if self.election is None and request.user.is_authenticated:
            raise Http404(_("There is no active election."))
        return super().dispatch(request, *args, **kwargs)


class ImportTemplateView(LoginRequiredMixin, View):
    """The import template: an XLSX (or ``?format=csv``) with the importer's columns and one
    example row marked CONTOH, which the importer refuses."""

    columns = None
    filename = "template"
    sheet_title = ""

    def get(self, request, *args, **kwargs):
        return template_response(request, self.filename, self.sheet_title or self.filename,
                                 self.columns)


class ObjectListView(TableExportMixin, ScopedMixin, TemplateView):
    """A filtered, searchable, paginated list with CSV/XLSX export of the same rows (in a
    background job from POSKO_EXPORT_BACKGROUND_ROWS rows on)."""

    filterset_class = None
    paginate_by = 50
    export_name = "export"
    template_name = "core/object_list.html"

    def get_filterset(self):
        return self.filterset_class(self.request.GET or None, queryset=self.get_queryset(),
                                    request=self.request)

    def filtered(self, filterset):
        if not filterset.is_bound:
            return filterset.queryset
        return filterset.qs if filterset.is_valid() else self.get_queryset().none()

    def export_header(self) -> list[str]:
        raise NotImplementedError

    def export_rows(self, queryset):
        raise NotImplementedError

    def export_table(self, kind: str) -> Table:
        queryset = self.filtered(self.get_filterset())
        query = self.request.GET.copy()
        query.pop("export", None)
        return Table(self.export_name, self.export_header(), self.export_rows(queryset),
                     queryset.count(), filter=query.urlencode())

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            return self.export_response(export)
        filterset = self.get_filterset()
        queryset = self.filtered(filterset)
        paginator = Paginator(queryset, self.paginate_by)
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = self.get_context_data(filterset=filterset, page=page, paginator=paginator,
                                        object_list=page.object_list, querystring=query.urlencode())
        return self.render_to_response(context)


class ObjectDetailView(ScopedMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        can_edit = self.get_base_queryset().editable_by(request.user).filter(pk=obj.pk).exists()
        return self.render_to_response(self.get_context_data(object=obj, can_edit=can_edit))


class ObjectEditView(ScopedMixin, TemplateView):
    """Create (no pk in the URL) or edit an object through a form and service functions.

    - Optimistic locking: a model with a ``version`` field carries it in the form
      (``VersionedFormMixin``); ``update`` passes ``self.expected_version()`` to the service,
      and a stale save is answered 409 with the other person's change named (``conflict`` in
      the context), nothing overwritten.
    - Place fields (``PlaceFieldsMixin`` forms): narrowed by scope and locked for camat/lurah by
      the form; here the kelurahan select refreshes the TPS select by HTMX.
    - ``prefill``: query parameters that preset fields of a new form (links from other pages).
    """

    form_class = None
    template_name = "core/object_edit.html"
    prefill: tuple[str, ...] = ()
    form = None

    def create(self, obj, *, actor):
        """Save and audit a new row (override to call the module's service)."""
        return services.create(obj, actor=actor)

    def update(self, obj, *, actor, before):
        """Save and audit a change (override to call the module's service)."""
        return services.update(obj, actor=actor, before=before)

    def can_create(self) -> bool:
        return getattr(self.request.user, "can_edit_registry", False)

    def new_object(self):
        return self.get_base_queryset().model()

    def form_kwargs(self) -> dict:
        """Extra keyword arguments of the form (e.g. ``election``)."""
        return {}

    def get_initial(self) -> dict:
        return {key: self.request.GET[key] for key in self.prefill if self.request.GET.get(key)}

    def get_form(self, obj, data=None):
        kwargs = {"instance": obj, "user": self.request.user, **self.form_kwargs()}
        if data is None and self.prefill:
            kwargs["initial"] = self.get_initial()
        if data is not None and self.request.FILES:
            kwargs["files"] = self.request.FILES
        form = self.form_class(data=data, **kwargs)
        refresh_places(form, self.request.path)
        return form

    def expected_version(self):
        """The version the editor loaded (None for a model without one)."""
        return self.form.cleaned_data.get("version") if self.form is not None else None

    def success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def success_message(self, obj) -> str:
        return _("Saved: %(object)s.") % {"object": obj}

    def _object(self):
        if "pk" in self.kwargs:
            return self.get_editable_object()
        if not self.can_create():
            raise PermissionDenied
        return self.new_object()

    def render_form(self, obj, form, *, status=200, conflict=None):
        return self.render_to_response(self.get_context_data(form=form, object=obj, conflict=conflict),
                                       status=status)

    def get(self, request, *args, **kwargs):
        obj = self._object()
        return self.render_form(obj, self.get_form(obj))

    def post(self, request, *args, **kwargs):
        obj = self._object()
        is_new = obj.pk is None
        before = None if is_new else audit.snapshot(obj)
        form = self.form = self.get_form(obj, data=request.POST)
        if form.is_valid():
            obj = form.save(commit=False)
            try:
                if is_new:
                    obj = self.create(obj, actor=request.user) or obj
                else:
                    obj = self.update(obj, actor=request.user, before=before) or obj
            except ConflictError as exc:
                return self.render_form(obj, form, status=409, conflict=exc.messages)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, self.success_message(obj))
                return HttpResponseRedirect(self.success_url(obj))
        return self.render_form(obj, form, status=400)


def refresh_places(form, path: str) -> None:
    """The kelurahan select of a form with place fields reloads the TPS select (HTMX) when it
    changes; the view answers the GET with the form narrowed to that kelurahan."""
    fields = getattr(form, "fields", {})
    if "kelurahan" in fields and "tps" in fields and not fields["kelurahan"].disabled:
        fields["kelurahan"].widget.attrs.update({
            "hx-get": path, "hx-trigger": "change", "hx-target": "#field-tps",
            "hx-select": "#field-tps", "hx-swap": "outerHTML", "hx-include": "closest form"})


def protected_uses(exc: ProtectedError | RestrictedError) -> str:
    """"3 shipments, 1 worker": what still points at an object that could not be deleted."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    counts = Counter(type(obj) for obj in objects)
    return ", ".join(f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
                     for model, n in sorted(counts.items(), key=lambda item: -item[1]))


class ObjectDeleteView(ScopedMixin, TemplateView):
    """Confirm (GET) and delete (POST). Subclasses name the service in ``delete_object``.
    An object still used by other records is not deleted: the page says what uses it."""

    template_name = "core/object_delete.html"
    success_url_name = None
    http_method_names = ["get", "post", "head", "options"]

    def delete_object(self, obj, *, actor):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        obj = self.get_editable_object()
        return self.render_to_response(self.get_context_data(object=obj))

    def post(self, request, *args, **kwargs):
        obj = self.get_editable_object()
        label = str(obj)
        try:
            self.delete_object(obj, actor=request.user)
        except (ProtectedError, RestrictedError) as exc:
            error = _("%(object)s cannot be deleted: it is still used by %(uses)s. Remove or move "
                      "those first.") % {"object": label, "uses": protected_uses(exc)}
            return self.render_to_response(self.get_context_data(object=obj, error=error),
                                           status=409)
        messages.success(request, _("Deleted: %(object)s.") % {"object": label})
        return HttpResponseRedirect(reverse(self.success_url_name))


class ObjectHistoryView(ScopedMixin, TemplateView):
    template_name = "core/object_history.html"

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        page = Paginator(audit.history(obj), 50).get_page(request.GET.get("page"))
        return self.render_to_response(self.get_context_data(object=obj, page=page))


class ObjectImportView(LoginRequiredMixin, TemplateView):
    """Upload a CSV/XLSX file; show every bad row above the form; all or nothing."""

    template_name = "core/object_import.html"
    importer_class = None
    success_url_name = None
    template_url_name = None

    def can_import(self) -> bool:
        return getattr(self.request.user, "can_edit_registry", False)

    def get_importer(self):
        return self.importer_class(actor=self.request.user)

    def get(self, request, *args, **kwargs):
        if not self.can_import():
            raise PermissionDenied
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = self.importer_class.columns
        context["template_url_name"] = self.template_url_name
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_import():
            raise PermissionDenied
        upload = request.FILES.get("file")
        try:
            data = read_upload(upload)
        except ImportFileError as exc:
            return self.render_to_response(self.get_context_data(file_error=str(exc)), status=400)
        importer = self.get_importer()
        if wants_background(importer, len(data)):
            job = enqueue_import(importer, data, upload.name, user=request.user,
                                 label=_("Import of %(file)s") % {"file": upload.name})
            messages.info(request, _("The file is large: it is imported in the background. This "
                                     "page shows how far it is."))
            return HttpResponseRedirect(reverse("job_detail", args=[job.pk]))
        result = importer.run(data, upload.name)
        if not result.ok:
            return self.render_to_response(self.get_context_data(result=result, filename=upload.name),
                                           status=400)
        messages.success(request, _("Import of %(file)s finished: %(summary)s.") % {
            "file": upload.name, "summary": result.summary()})
        return HttpResponseRedirect(reverse(self.success_url_name))


class AuditLogView(LoginRequiredMixin, TemplateView):
    """The whole audit log, for Desk Pilkada admins, with filters."""

    template_name = "core/audit_log.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        qs = AuditEntry.objects.select_related("content_type")
        filters = {
            "action": request.GET.get("action", ""),
            "user": request.GET.get("user", "").strip(),
            "object": request.GET.get("object", "").strip(),
            "date_from": request.GET.get("date_from", ""),
            "date_to": request.GET.get("date_to", ""),
        }
        if filters["action"] in AuditEntry.Action.values:
            qs = qs.filter(action=filters["action"])
        if filters["user"]:
            qs = qs.filter(username__icontains=filters["user"])
        if filters["object"]:
            qs = qs.filter(object_repr__icontains=filters["object"])
        for key, lookup in (("date_from", "timestamp__date__gte"), ("date_to", "timestamp__date__lte")):
            if filters[key]:
                try:
                    qs = qs.filter(**{lookup: filters[key]})
                except ValidationError:
                    filters[key] = ""
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(self.get_context_data(
            page=page, filters=filters, actions=AuditEntry.Action.choices,
            querystring=query.urlencode()))


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


class AuditEntryDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        try:
            entry = AuditEntry.objects.select_related("content_type", "user").get(pk=pk)
        except (AuditEntry.DoesNotExist, ValueError):
            raise Http404 from None
        return render(request, "core/audit_entry.html", {"entry": entry})
