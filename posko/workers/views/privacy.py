"""Pages that let personal data of workers out in clear, each asking why first (UU PDP
27/2022): the health measurements of one worker, the worker list with full NIK, phone or
health measurements, and the BPJS enrolment list. The rules and the audit rows are in
``privacy.py``."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.views.generic import TemplateView

from posko.core.export_jobs import Table, TableExportMixin
from posko.core.views import ElectionRequiredMixin
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import privacy, rules
from posko.workers.exports import worker_export_header, worker_export_rows
from posko.workers.filters import WorkerFilter
from posko.workers.forms import BpjsExportForm, ExportForm, HealthRevealForm
from posko.workers.models import Worker
from posko.workers.views.common import worker_or_404
from posko.workers.views.registry import WorkerDetailView


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


class HealthRevealView(WorkerDetailView):
    """POST a reason: the worker's page again, with the screenings' measurements (audited)."""

    http_method_names = ["post"]
    model = Worker

    def post(self, request, pk):
        worker = worker_or_404(request.user, pk)
        if not rules.can_see_health(request.user):
            raise PermissionDenied
        form = HealthRevealForm(request.POST)
        if form.is_valid():
            try:
                screenings = privacy.reveal_health(worker, actor=request.user,
                                                   reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error("reason", exc.message_dict["reason"][0])
            else:
                return _no_store(self.render_to_response(self.get_context_data(
                    pk=pk, health=screenings)))
        return self.render_to_response(self.get_context_data(pk=pk, health_form=form), status=400)


class ExportView(LoginRequiredMixin, TableExportMixin, TemplateView):
    """The worker list (the list page's filters, from the query string) with full NIK and
    phone and/or health measurements: GET the form, POST it to get the file. A list of
    POSKO_EXPORT_BACKGROUND_ROWS rows or more is written by a background job (the data kinds,
    purpose and reason go with it, and its audit row names them) for the requester to
    download."""

    personal_export = True  # full NIK (and phone/health): purpose, reason, audited rows
    template_name = "workers/export.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user.can_see_personal_data
                                          or rules.can_see_health(user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def queryset(self):
        filterset = WorkerFilter(self.request.GET or None, request=self.request,
                                 queryset=Worker.objects.visible_to(self.request.user))
        if not filterset.is_bound:
            return filterset.queryset, filterset
        return (filterset.qs if filterset.is_valid() else Worker.objects.none()), filterset

    def context(self, form):
        queryset, filterset = self.queryset()
        return self.get_context_data(form=form, count=queryset.count(), filterset=filterset,
                                     querystring=self.request.GET.urlencode())

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(ExportForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        form = ExportForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            personal, health = bool(data.get("personal")), bool(data.get("health"))
            try:
                purpose, reason = privacy.check_export(
                    request.user, personal=personal, health=health, purpose=data["purpose"],
                    purpose_other=data["purpose_other"], reason=data["reason"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                self.export_options = {"personal": personal, "health": health,
                                       "purpose": purpose, "reason": reason}
                return _no_store(self.export_response(data["format"]))  # large: a job
        return self.render_to_response(self.context(form), status=400)

    def export_table(self, kind: str) -> Table:
        """The list with the checked data kinds, purpose and reason, for a user who may still
        see those kinds (in the request, or the job that rebuilds this view for the same user
        and query)."""
        user, options = self.request.user, self.export_options
        personal, health = bool(options.get("personal")), bool(options.get("health"))
        if not ((personal or health) and options.get("reason")):
            raise PermissionDenied
        if personal and not user.can_see_personal_data:
            raise PermissionDenied
        if health and not rules.can_see_health(user):
            raise PermissionDenied
        queryset, _filterset = self.queryset()
        queryset = queryset.order_by("kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name")
        return Table("petugas-ad-hoc-data-pribadi", worker_export_header(personal, health),
                     worker_export_rows(queryset, personal, health), queryset.count(),
                     filter=self.export_filter(), sheet="petugas")

    def audit_export(self, table: Table, kind: str, job_id: int | None = None) -> None:
        """Personal data: the audit row names the data kinds, the purpose and the reason."""
        options = self.export_options
        data = ((["NIK", "telepon"] if options.get("personal") else [])
                + (["kesehatan"] if options.get("health") else []))
        privacy.record_export(self.request.user, name=table.name, kind=kind, rows=table.count,
                              purpose=options["purpose"], reason=options["reason"], data=data,
                              place=table.filter, job=job_id)


class BpjsExportView(ElectionRequiredMixin, LoginRequiredMixin, TableExportMixin, TemplateView):
    """The XLSX enrolment list for BPJS (full NIK: personal data) of the active workers in
    the user's region not yet covered; ?kecamatan= / ?kelurahan= narrow it. GET the form,
    POST it with the reason to get the file; the purpose is BPJS enrolment. A list of
    POSKO_EXPORT_BACKGROUND_ROWS rows or more is written by a background job (the purpose and
    reason go with it, and its audit row names them) for the requester to download."""

    personal_export = True  # full NIK (and phone/health): purpose, reason, audited rows
    template_name = "workers/bpjs_export.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.can_manage_bpjs(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def queryset(self):
        request = self.request
        qs = (Worker.objects.editable_by(request.user).filter(election=self.election,
                                                              status=Worker.Status.AKTIF)
              .exclude(bpjs_status=Worker.Bpjs.AKTIF)
              .select_related("tps", "kelurahan", "kecamatan").order_by(
                  "kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name"))
        place = ""
        for key, model in (("kelurahan", Kelurahan), ("kecamatan", Kecamatan)):
            code = request.GET.get(key, "").strip()
            if code:
                if not model.objects.visible_to(request.user).filter(code=code).exists():
                    raise Http404
                qs = qs.filter(**{f"{key}_id": code})
                place = place or code
        return qs, place

    def context(self, form):
        queryset, place = self.queryset()
        return self.get_context_data(form=form, count=queryset.count(), place=place,
                                     purpose=privacy.Purpose.label(privacy.Purpose.BPJS),
                                     querystring=self.request.GET.urlencode())

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(BpjsExportForm()))

    def post(self, request, *args, **kwargs):
        form = BpjsExportForm(request.POST)
        if form.is_valid():
            try:
                purpose, reason = privacy.check_export(
                    request.user, personal=True, health=False, purpose=privacy.Purpose.BPJS,
                    purpose_other="", reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                self.export_options = {"purpose": purpose, "reason": reason}
                return _no_store(self.export_response("xlsx"))  # large: a background job
        return self.render_to_response(self.context(form), status=400)

    def export_table(self, kind: str) -> Table:
        """The list, for a BPJS manager with the checked purpose and reason (in the request,
        or the job that rebuilds this view for the same user and query)."""
        if not (rules.can_manage_bpjs(self.request.user) and self.export_options.get("reason")):
            raise PermissionDenied
        queryset, place = self.queryset()
        self.place = place
        rows = ([w.nik, w.full_name, w.birth_date, w.sex, w.get_role_display(), w.posting_label,
                 w.term_start, w.term_end, "", "JKK, JKM", "", ""]
                for w in queryset.iterator(chunk_size=2000))
        header = ["nik", "nama", "tanggal_lahir", "jenis_kelamin", "jabatan", "penempatan",
                  "mulai_tugas", "akhir_tugas", "nomor_kepesertaan", "program",
                  "mulai_kepesertaan", "akhir_kepesertaan"]
        return Table(f"daftar-bpjs-{place or 'semua'}", header, rows, queryset.count(),
                     filter=place, sheet="BPJS")

    def audit_export(self, table: Table, kind: str, job_id: int | None = None) -> None:
        """Personal data: the audit row names the purpose and the reason (privacy.py)."""
        privacy.record_export(self.request.user, name="daftar BPJS", kind=kind, rows=table.count,
                              purpose=self.export_options["purpose"],
                              reason=self.export_options["reason"], data=["NIK"],
                              place=self.place, job=job_id)
