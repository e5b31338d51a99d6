"""The worker registry: list, detail, reveal, create/edit, replace, history, the import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.personal import RevealViewMixin
from posko.core.scope import get_visible_or_404
from posko.core.views import (
    ElectionRequiredMixin,
    ImportTemplateView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
)
from posko.elections.models import Tps
from posko.regions.models import Kelurahan
from posko.workers import rules, services
from posko.workers.exports import worker_export_header, worker_export_rows
from posko.workers.filters import WorkerFilter
from posko.workers.forms import HealthRevealForm, ReplaceForm, RevealForm, WorkerForm
from posko.workers.imports import WORKER_COLUMNS, WorkerImporter
from posko.workers.models import Worker, WorkerSettings
from posko.workers.views.common import editable_worker, worker_or_404


class WorkerListView(ObjectListView):
    model = Worker
    filterset_class = WorkerFilter
    template_name = "workers/worker_list.html"
    export_name = "petugas-ad-hoc"
    paginate_by = 50

    def get_base_queryset(self):
        return Worker.objects.select_related("tps", "kelurahan", "kecamatan").order_by(
            "kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name")

    def get(self, request, *args, **kwargs):
        if request.GET.get("personal") == "1":
            # A list with personal data leaves only through the form asking why.
            if not request.user.can_see_personal_data:
                raise PermissionDenied
            query = request.GET.copy()
            for key in ("personal", "export", "page"):
                query.pop(key, None)
            messages.warning(request, _("An export with personal data needs a purpose and a "
                                        "reason: fill in the form."))
            return HttpResponseRedirect(f"{reverse('workers:worker_export')}?{query.urlencode()}")
        return super().get(request, *args, **kwargs)

    def export_header(self):
        return worker_export_header(personal=False)

    def export_rows(self, queryset):
        return worker_export_rows(queryset, personal=False)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(election=self.request.election, can_create=user.can_edit_registry,
                       can_personal=user.can_see_personal_data or rules.can_see_health(user),
                       can_bpjs=rules.can_manage_bpjs(user))
        return context


class WorkerDetailView(LoginRequiredMixin, TemplateView):
    template_name = "workers/worker_detail.html"

    def get_context_data(self, revealed=None, reveal_form=None, health=None, health_form=None,
                         **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        worker = worker_or_404(user, kwargs["pk"])
        can_edit = Worker.objects.editable_by(user).filter(pk=worker.pk).exists()
        context.update(
            object=worker, worker=worker, can_edit=can_edit,
            can_screen=rules.can_screen(user), can_bpjs=rules.can_manage_bpjs(user) and can_edit,
            can_incident=rules.can_record_incident(user),
            can_reveal=user.can_see_personal_data, revealed=revealed,
            reveal_form=reveal_form or RevealForm(),
            # Health measurements only once revealed with a reason (views.privacy).
            can_see_health=rules.can_see_health(user), health_revealed=health is not None,
            health_form=health_form or HealthRevealForm(),
            screenings=health if health is not None else worker.screenings.only(
                "pk", "worker_id", "date", "facility_kind", "facility_name", "result")[:20],
            incidents=worker.incidents.prefetch_related("claims"),
            duty_logs=worker.duty_logs.all()[:10],
            replaced_by=Worker.objects.visible_to(user).filter(replaces=worker).first(),
            threshold=WorkerSettings.for_election(worker.election).duty_hours_threshold,
            domicile_name=Kelurahan.objects.filter(code=worker.domicile_code).values_list(
                "name", flat=True).first())
        return context


class RevealView(RevealViewMixin, WorkerDetailView):
    """POST a reason: the page again, with the full NIK, phone and address (audited)."""

    reveal_fields = services.PERSONAL_FIELDS

    def get_reveal_object(self):
        return worker_or_404(self.request.user, self.kwargs["pk"])

    def reveal_values(self, worker):
        return services.personal_values(worker)

    def render_reveal(self, worker, *, revealed=None, reveal_form=None, status=200):
        return self.render_to_response(self.get_context_data(
            pk=worker.pk, revealed=revealed, reveal_form=reveal_form), status=status)


class WorkerEditView(ObjectEditView):
    model = Worker
    form_class = WorkerForm
    template_name = "workers/form.html"

    def dispatch(self, request, *args, **kwargs):
        self.election = request.election
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return Worker.objects.all()

    def can_create(self) -> bool:
        if self.election is None:
            raise Http404
        return self.request.user.can_edit_registry

    def new_object(self):
        worker = Worker(election=self.election)
        tps_id = self.request.GET.get("tps")
        if tps_id:
            # A TPS the user may not see is a 404, not an empty form.
            worker.tps = get_visible_or_404(Tps.objects.filter(election=self.election),
                                            self.request.user, pk=tps_id)
        return worker

    def get_form(self, obj, data=None):
        initial = {"tps": obj.tps_id} if obj.pk is None and obj.tps_id else None
        return self.form_class(data=data, instance=obj, user=self.request.user,
                               election=obj.election if obj.pk else self.election, initial=initial)

    def create(self, obj, *, actor):
        services.create_worker(obj, actor=actor)

    def update(self, obj, *, actor, before):
        expected = self.expected_version()
        services.update_worker(obj, actor=actor, before=services.snapshot(
            Worker.objects.get(pk=obj.pk)), expected_version=obj.version if expected is None else expected)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = context.get("object")
        context["title"] = (_("Edit %(object)s") % {"object": obj}) if obj and obj.pk else _("New worker")
        return context


class WorkerReplaceView(LoginRequiredMixin, TemplateView):
    template_name = "workers/form.html"

    def setup_objects(self, pk):
        self.old = editable_worker(self.request.user, pk)
        if self.old.status != Worker.Status.AKTIF:
            raise PermissionDenied

    def form(self, data=None):
        new = Worker(election=self.old.election, role=self.old.role, tps=self.old.tps,
                     kelurahan_id=self.old.kelurahan_id, kecamatan_id=self.old.kecamatan_id)
        return ReplaceForm(data=data, instance=new, user=self.request.user, election=self.old.election)

    def context(self, form):
        return self.get_context_data(form=form, object=self.old, title=_(
            "Replace %(name)s (%(posting)s)") % {"name": self.old.full_name,
                                                 "posting": self.old.posting_label})

    def get(self, request, pk):
        self.setup_objects(pk)
        return self.render_to_response(self.context(self.form()))

    def post(self, request, pk):
        self.setup_objects(pk)
        form = self.form(request.POST)
        if form.is_valid():
            new = form.instance
            if not new.domicile_code:
                new.domicile_code = self.old.domicile_code if self.old.tps_id is None else self.old.kelurahan_id
            try:
                services.replace_worker(self.old, new, actor=request.user,
                                        reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("%(old)s was replaced by %(new)s.") % {
                    "old": self.old.full_name, "new": new.full_name})
                return HttpResponseRedirect(new.get_absolute_url())
        return self.render_to_response(self.context(form), status=400)


class WorkerHistoryView(ObjectHistoryView):
    model = Worker


class WorkerImportView(ElectionRequiredMixin, ObjectImportView):
    template_name = "workers/import.html"
    importer_class = WorkerImporter
    success_url_name = "workers:worker_list"
    template_url_name = "workers:worker_template"

    def get_importer(self):
        return WorkerImporter(actor=self.request.user, election=self.election)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import workers")
        context["intro"] = _("KPU's list of KPPS, PPS, PPK, Linmas and PTPS. Each NIK is checked "
                             "against the date of birth and sex; a NIK already posted elsewhere in "
                             "this election is refused.")
        return context


class WorkerTemplateView(ImportTemplateView):
    columns = WORKER_COLUMNS
    filename = "template-petugas"
    sheet_title = "petugas"
