"""Pages of the workers module under /petugas/.

Scope: every worker is fetched through ``visible_to`` (another region's worker is a
404) and changed only through ``editable_by`` (a visible worker one may not change is a
403). NIK and phone are masked everywhere; a user with personal-data access may reveal
them one worker at a time, giving a reason that goes into the audit log."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.scope import get_visible_or_404
from posko.core.templates_example import template_response
from posko.core.views import ObjectEditView, ObjectHistoryView, ObjectImportView, ObjectListView
from posko.elections.drilldown import DrillDownView
from posko.elections.models import Election, Tps
from posko.regions.models import Kelurahan
from posko.workers import rules, services, stats
from posko.workers.exports import worker_export_header, worker_export_rows
from posko.workers.filters import WorkerFilter
from posko.workers.forms import (
    ClaimForm,
    CoverageForm,
    DutyForm,
    IncidentForm,
    ReplaceForm,
    RevealForm,
    ScreeningForm,
    SettingsForm,
    WorkerForm,
)
from posko.workers.forms_privacy import HealthRevealForm
from posko.workers.imports import BPJS_COLUMNS, WORKER_COLUMNS, BpjsReturnImporter, WorkerImporter
from posko.workers.models import Claim, DutyLog, Incident, Screening, Worker, WorkerSettings

UNCOVERED_LIMIT = 200
UNCOVERED_LIST_MAX = 5000


def active_election_or_404() -> Election:
    election = Election.active()
    if election is None:
        raise Http404
    return election


def worker_or_404(user, pk) -> Worker:
    return get_visible_or_404(Worker.objects.select_related("tps", "kelurahan", "kecamatan", "election"),
                              user, pk=pk)


def editable_worker(user, pk) -> Worker:
    worker = worker_or_404(user, pk)
    if not Worker.objects.editable_by(user).filter(pk=worker.pk).exists():
        raise PermissionDenied
    return worker


# --- registry ------------------------------------------------------------------------------------

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
        context.update(election=Election.active(), can_create=user.can_edit_registry,
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
            # Health measurements only once revealed with a reason (views_privacy).
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


class RevealView(WorkerDetailView):
    """POST a reason: the page again, with the full NIK and phone (audited)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        worker = worker_or_404(request.user, pk)
        if not request.user.can_see_personal_data:
            raise PermissionDenied
        form = RevealForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(pk=pk, reveal_form=form), status=400)
        revealed = services.reveal(worker, actor=request.user, reason=form.cleaned_data["reason"])
        response = self.render_to_response(self.get_context_data(pk=pk, revealed=revealed))
        response["Cache-Control"] = "no-store"
        return response


class WorkerEditView(ObjectEditView):
    model = Worker
    form_class = WorkerForm
    template_name = "workers/form.html"

    def dispatch(self, request, *args, **kwargs):
        self.election = Election.active()
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
        services.update_worker(obj, actor=actor, before=services.snapshot(
            Worker.objects.get(pk=obj.pk)), expected_version=int(
            self.request.POST.get("version") or obj.version))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = context.get("object")
        context["title"] = (_("Edit %(object)s") % {"object": obj}) if obj and obj.pk else _("New worker")
        context["version"] = obj.version if obj and obj.pk else ""
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


# --- screening, coverage, incidents, duty ------------------------------------------------------

class _WorkerFormView(LoginRequiredMixin, TemplateView):
    """A form about one visible worker; ``allowed(user, worker)`` decides (403 otherwise)."""

    template_name = "workers/form.html"
    form_class = None
    title = ""

    def allowed(self, user, worker) -> bool:
        raise NotImplementedError

    def get_worker(self, pk):
        worker = worker_or_404(self.request.user, pk)
        if not self.allowed(self.request.user, worker):
            raise PermissionDenied
        return worker

    def make_form(self, worker, data=None):
        return self.form_class(data=data, user=self.request.user)

    def context(self, worker, form):
        return self.get_context_data(form=form, object=worker, worker=worker,
                                     title=f"{self.title}: {worker.full_name}")

    def get(self, request, pk):
        worker = self.get_worker(pk)
        return self.render_to_response(self.context(worker, self.make_form(worker)))

    def post(self, request, pk):
        worker = self.get_worker(pk)
        form = self.make_form(worker, request.POST)
        if form.is_valid():
            try:
                self.save(worker, form)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return HttpResponseRedirect(self.success_url(worker))
        return self.render_to_response(self.context(worker, form), status=400)

    def success_url(self, worker):
        return worker.get_absolute_url()


class ScreeningAddView(_WorkerFormView):
    form_class = ScreeningForm

    @property
    def title(self):
        return _("Health screening")

    def allowed(self, user, worker):
        return rules.can_screen(user)

    def make_form(self, worker, data=None):
        return ScreeningForm(data=data, instance=Screening(worker=worker),
                             initial={"date": timezone.localdate()})

    def save(self, worker, form):
        services.record_screening(form.instance, actor=self.request.user)
        messages.success(self.request, _("Screening recorded."))


class CoverageEditView(_WorkerFormView):
    form_class = CoverageForm

    @property
    def title(self):
        return _("BPJS Ketenagakerjaan")

    def allowed(self, user, worker):
        return rules.can_manage_bpjs(user) and Worker.objects.editable_by(user).filter(pk=worker.pk).exists()

    def make_form(self, worker, data=None):
        self.before = services.snapshot(worker)
        return CoverageForm(data=data, instance=worker)

    def save(self, worker, form):
        services.set_coverage(form.instance, actor=self.request.user, before=self.before)
        messages.success(self.request, _("Coverage saved."))


class IncidentAddView(_WorkerFormView):
    form_class = IncidentForm

    @property
    def title(self):
        return _("Record an incident")

    def allowed(self, user, worker):
        return rules.can_record_incident(user) and (
            rules.can_screen(user) or Worker.objects.editable_by(user).filter(pk=worker.pk).exists())

    def make_form(self, worker, data=None):
        self.incident = Incident(worker=worker)
        return IncidentForm(data=data, instance=self.incident)

    def save(self, worker, form):
        services.record_incident(form.instance, actor=self.request.user)

    def success_url(self, worker):
        return self.incident.get_absolute_url()


class DutyLogAddView(_WorkerFormView):
    form_class = DutyForm

    @property
    def title(self):
        return _("Hours on duty")

    def allowed(self, user, worker):
        return Worker.objects.editable_by(user).filter(pk=worker.pk).exists()

    def make_form(self, worker, data=None):
        return DutyForm(data=data, initial={"date": worker.election.voting_date})

    def save(self, worker, form):
        _row, over = services.log_duty(worker, day=form.cleaned_data["date"],
                                       hours=form.cleaned_data["hours"],
                                       note=form.cleaned_data["note"], actor=self.request.user)
        if over:
            messages.warning(self.request, _("%(name)s is over the duty-hours limit: arrange a "
                                             "rest or a replacement.") % {"name": worker.full_name})
        else:
            messages.success(self.request, _("Hours recorded."))


# --- imports and templates -----------------------------------------------------------------------

class WorkerImportView(ObjectImportView):
    template_name = "workers/import.html"
    importer_class = WorkerImporter
    success_url_name = "workers:worker_list"
    template_url_name = "workers:worker_template"

    def get_importer(self):
        return WorkerImporter(actor=self.request.user, election=active_election_or_404())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["heading"] = _("Import workers")
        context["intro"] = _("KPU's list of KPPS, PPS, PPK, Linmas and PTPS. Each NIK is checked "
                             "against the date of birth and sex; a NIK already posted elsewhere in "
                             "this election is refused.")
        return context


class WorkerTemplateView(LoginRequiredMixin, View):
    """The template, with one example row marked CONTOH (the importer refuses it)."""

    def get(self, request):
        return template_response(request, "template-petugas", "petugas", WORKER_COLUMNS)


class BpjsTemplateView(LoginRequiredMixin, View):
    """The return-list template, with one example row marked CONTOH (refused on import)."""

    def get(self, request):
        return template_response(request, "template-daftar-kembali-bpjs", "BPJS", BPJS_COLUMNS)


class BpjsImportView(ObjectImportView):
    template_name = "workers/import.html"
    importer_class = BpjsReturnImporter
    success_url_name = "workers:coverage"
    template_url_name = "workers:bpjs_template"

    def can_import(self):
        return rules.can_manage_bpjs(self.request.user)

    def get_importer(self):
        return BpjsReturnImporter(actor=self.request.user, election=active_election_or_404())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["columns"] = BPJS_COLUMNS
        context["heading"] = _("Import the list returned by BPJS")
        context["intro"] = _("Rows are matched by NIK with the active workers of your region; an "
                             "unknown NIK stops the import. The enrolment list exported from Posko "
                             "can come back as it is, with the membership numbers filled in.")
        return context


# --- roll-ups (drill-down: posko.elections.drilldown) -------------------------------------------

class StaffingView(DrillDownView):
    """Registered active workers against the norms, per child region or per TPS."""

    template_name = "workers/staffing.html"
    url_name = "workers:staffing"
    export_name = "kebutuhan-petugas"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        election, level = context["election"], context["level"]
        if election is None:
            return context
        user = self.request.user
        tps = level.narrow(Tps.objects.visible_to(user).filter(election=election))
        workers = level.narrow(stats.visible_workers(user, election))
        groups = stats.staffing(election, tps, workers, level.key)
        rows = []
        base = reverse(self.url_name)
        if level.name == "kelurahan":
            kinds = ["kpps", "ketua", "linmas", "ptps"]
            norms = WorkerSettings.for_election(election)
            empty = {"tps": 1, "kpps": (0, norms.kpps_per_tps), "ketua": (0, 1),
                     "linmas": (0, norms.linmas_per_tps), "ptps": (0, norms.ptps_per_tps)}
            outside = dict(workers.filter(status=Worker.Status.AKTIF, outside_domicile=True)
                           .order_by().values("tps_id").annotate(n=Count("pk")).values_list("tps_id", "n"))
            for pk, number in tps.order_by("number").values_list("pk", "number"):
                entry = groups.get(pk) or empty
                rows.append({"code": f"TPS {number:03d}", "name": "", "entry": entry,
                             "outside": outside.get(pk, 0),
                             "url": f"{reverse('workers:worker_list')}?tps={pk}"})
        else:
            kinds = ["kpps", "ketua", "linmas", "ptps", "pps"] + (["ppk"] if level.name == "pemda" else [])
            for code, name, link in level.children(user):
                entry = groups.get(code) or {"tps": 0, "gap": 0, **{k: (0, 0) for k in kinds}}
                rows.append({"code": code, "name": name, "entry": entry, "url": f"{base}?{link}"})
        labels = {"kpps": "KPPS", "ketua": _("KPPS chair"), "linmas": "Linmas", "ptps": "PTPS",
                  "pps": "PPS", "ppk": "PPK"}
        for row in rows:
            row["cells"] = [{"kind": k, "actual": row["entry"].get(k, (0, 0))[0],
                             "expected": row["entry"].get(k, (0, 0))[1]} for k in kinds]
            for cell in row["cells"]:
                cell["gap"] = max(0, cell["expected"] - cell["actual"])
        extra = {}
        if level.name == "kelurahan":
            pps = workers.filter(status=Worker.Status.AKTIF, role=Worker.Role.PPS).count()
            extra["pps"] = (pps, WorkerSettings.for_election(election).pps_per_kelurahan)
        elif level.name == "kecamatan":
            ppk = workers.filter(status=Worker.Status.AKTIF, role=Worker.Role.PPK).count()
            extra["ppk"] = (ppk, WorkerSettings.for_election(election).ppk_per_kecamatan)
        context.update(rows=rows, kinds=[(k, labels[k]) for k in kinds], extra=extra,
                       total_gap=sum(c["gap"] for r in rows for c in r["cells"] if c["kind"] != "ketua"),
                       export_header=[_("Code"), _("Name"), "TPS", *[
                           f"{labels[k]} {suffix}" for k in kinds for suffix in (
                               _("registered"), _("expected"))], _("Gap")],
                       export_rows=[[r["code"], r["name"], r["entry"].get("tps", 0), *[
                           v for c in r["cells"] for v in (c["actual"], c["expected"])],
                           sum(c["gap"] for c in r["cells"] if c["kind"] != "ketua")] for r in rows])
        return context


class CoverageView(DrillDownView):
    """BPJS coverage: per role, per child region, the workers without active coverage, and
    the contribution cost."""

    template_name = "workers/coverage.html"
    url_name = "workers:coverage"
    export_name = "cakupan-bpjs"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        election, level = context["election"], context["level"]
        if election is None:
            return context
        user = self.request.user
        settings = WorkerSettings.for_election(election)
        qs = level.narrow(stats.visible_workers(user, election))
        total, per_role, groups = stats.coverage_by(qs, level.key)
        total["percent"] = stats.percent(total["covered"], total["required"])
        total["cost"] = int(total["months"] * settings.monthly_contribution)
        roles = []
        for value, label in Worker.Role.choices:
            if value in per_role:
                r = per_role[value]
                roles.append({"label": label, **r, "percent": stats.percent(r["covered"], r["required"])})
        rows = []
        if level.name == "kelurahan":
            for pk, number in level.narrow(Tps.objects.filter(election=election)).order_by(
                    "number").values_list("pk", "number"):
                r = {**stats.EMPTY, **groups.get(pk, {})}
                rows.append({"code": f"TPS {number:03d}", "name": "", **r,
                             "url": f"{reverse('workers:worker_list')}?tps={pk}"})
            r = groups.get(None)
            if r:
                rows.append({"code": "PPS", "name": level.kelurahan.name, **r, "url": ""})
        else:
            base = reverse(self.url_name)
            for code, name, link in level.children(user):
                r = {**stats.EMPTY, **groups.get(code, {})}
                rows.append({"code": code, "name": name, **r, "url": f"{base}?{link}"})
            if level.name == "kecamatan" and groups.get(None):
                rows.append({"code": "PPK", "name": level.kecamatan.name, **groups[None], "url": ""})
        for row in rows:
            row["percent"] = stats.percent(row["covered"], row["required"])
            row["missing"] = row["required"] - row["covered"]
        uncovered = (qs.filter(status=Worker.Status.AKTIF).exclude(bpjs_status=Worker.Bpjs.AKTIF)
                     .select_related("tps", "kelurahan", "kecamatan")
                     .order_by("kecamatan_id", "kelurahan_id", "tps_id", "role", "full_name"))
        list_query = level.query()
        context.update(
            total=total, roles=roles, rows=rows, settings=settings,
            # Past a few thousand (a province's Pemda level) the names are not read on one page,
            # and sorting them costs seconds: the count links to the filtered worker list.
            uncovered=(list(uncovered[:UNCOVERED_LIMIT])
                       if total["required"] - total["covered"] <= UNCOVERED_LIST_MAX else []),
            uncovered_count=total["required"] - total["covered"],
            uncovered_limit=UNCOVERED_LIMIT,
            uncovered_url=f"{reverse('workers:worker_list')}?status=aktif&covered=false"
                          + (f"&{list_query}" if list_query else ""),
            can_bpjs=rules.can_manage_bpjs(user),
            export_header=[_("Code"), _("Name"), _("Required"), _("Covered"), _("Submitted"),
                           _("Not covered"), _("Covered (%)")],
            export_rows=[[r["code"], r["name"], r["required"], r["covered"], r["submitted"],
                          r["missing"], r["percent"]] for r in rows])
        return context


class ScreeningFollowupView(DrillDownView):
    """Unscreened and unfit workers per child region, and the list to follow up."""

    template_name = "workers/screening.html"
    url_name = "workers:screening_followup"
    export_name = "skrining-petugas"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        election, level = context["election"], context["level"]
        if election is None:
            return context
        user = self.request.user
        role = self.request.GET.get("role", "kpps")
        qs = level.narrow(stats.visible_workers(user, election))
        if role == "kpps":
            qs = qs.filter(role__in=Worker.KPPS_ROLES)
        key = "kecamatan_id" if level.name == "pemda" else ("kelurahan_id" if level.name == "kecamatan" else "tps_id")
        total, _roles, groups = stats.coverage_by(qs, key)
        base = reverse(self.url_name)
        rows = []
        if level.name == "kelurahan":
            for pk, number in level.narrow(Tps.objects.filter(election=election)).order_by(
                    "number").values_list("pk", "number"):
                r = {**stats.EMPTY, **groups.get(pk, {})}
                rows.append({"code": f"TPS {number:03d}", "name": "", **r, "url": ""})
        else:
            for code, name, link in level.children(user):
                r = {**stats.EMPTY, **groups.get(code, {})}
                rows.append({"code": code, "name": name, **r,
                             "url": f"{base}?{link}&role={role}"})
        for row in rows:
            row["unscreened"] = row["required"] - row["screened"]
        follow = (qs.filter(status=Worker.Status.AKTIF)
                  .filter(Q(screening_result="") | Q(screening_result=Worker.Screening.TIDAK_LAYAK))
                  .select_related("tps", "kelurahan", "kecamatan")
                  .order_by("kecamatan_id", "-screening_result", "kelurahan_id", "tps_id", "full_name"))
        page = Paginator(follow, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(rows=rows, page=page, querystring=query.urlencode(), role=role, total=total,
                       unscreened=total["required"] - total["screened"],
                       can_screen=rules.can_screen(user),
                       export_header=[_("Code"), _("Name"), _("Workers"), _("Screened"),
                                      _("Not screened"), _("Unfit")],
                       export_rows=[[r["code"], r["name"], r["required"], r["screened"],
                                     r["unscreened"], r["unfit"]] for r in rows])
        return context


# --- incidents and claims -----------------------------------------------------------------------

class IncidentListView(LoginRequiredMixin, TemplateView):
    template_name = "workers/incident_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = Election.active()
        qs = (Incident.objects.visible_to(user).filter(worker__election=election)
              .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
              .annotate(n_claims=Count("claims")).order_by("-date", "-pk"))
        kind = self.request.GET.get("kind", "")
        if kind in Incident.Kind.values:
            qs = qs.filter(kind=kind)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        context.update(election=election, page=page, kind=kind, kinds=Incident.Kind.choices,
                       counts=dict(Incident.objects.visible_to(user).filter(worker__election=election)
                                   .values("kind").annotate(n=Count("pk")).values_list("kind", "n")),
                       uncovered=Incident.objects.visible_to(user).filter(
                           worker__election=election, covered=False).count())
        return context


def incident_or_404(user, pk) -> Incident:
    return get_visible_or_404(Incident.objects.select_related("worker", "worker__tps",
                                                              "worker__kelurahan", "worker__kecamatan"),
                              user, pk=pk)


class IncidentDetailView(LoginRequiredMixin, TemplateView):
    template_name = "workers/incident_detail.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        incident = incident_or_404(user, kwargs["pk"])
        can_edit = rules.can_screen(user) or Worker.objects.editable_by(user).filter(
            pk=incident.worker_id).exists()
        context.update(incident=incident, object=incident, worker=incident.worker,
                       claims=incident.claims.all(), can_edit=can_edit,
                       can_claim=can_edit and incident.covered and user.can_edit_registry,
                       form=form or (IncidentForm(instance=incident) if can_edit else None))
        return context

    def post(self, request, pk):
        incident = incident_or_404(request.user, pk)
        if not (rules.can_screen(request.user) or Worker.objects.editable_by(request.user).filter(
                pk=incident.worker_id).exists()):
            raise PermissionDenied
        before = audit.snapshot(incident)
        form = IncidentForm(data=request.POST, instance=incident)
        if form.is_valid():
            try:
                services.update_incident(form.instance, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Incident saved."))
                return HttpResponseRedirect(incident.get_absolute_url())
        return self.render_to_response(self.get_context_data(pk=pk, form=form), status=400)


class ClaimEditView(LoginRequiredMixin, TemplateView):
    """/insiden/<incident>/klaim/ adds a claim; /klaim/<claim>/ changes one."""

    template_name = "workers/form.html"

    def objects(self):
        user = self.request.user
        if self.request.resolver_match.url_name == "claim_add":
            incident = incident_or_404(user, self.kwargs["pk"])
            claim = Claim(incident=incident)
        else:
            claim = get_visible_or_404(Claim.objects.select_related("incident", "incident__worker"),
                                       user, pk=self.kwargs["pk"])
            incident = claim.incident
        if not (user.can_edit_registry
                and Worker.objects.editable_by(user).filter(pk=incident.worker_id).exists()):
            raise PermissionDenied
        return incident, claim

    def context(self, incident, form):
        return self.get_context_data(form=form, object=incident, title=_(
            "BPJS claim: %(name)s, %(incident)s") % {"name": incident.worker.full_name,
                                                     "incident": incident})

    def get(self, request, pk):
        incident, claim = self.objects()
        return self.render_to_response(self.context(incident, ClaimForm(instance=claim)))

    def post(self, request, pk):
        incident, claim = self.objects()
        before = audit.snapshot(claim) if claim.pk else None
        form = ClaimForm(data=request.POST, instance=claim)
        if form.is_valid():
            try:
                services.save_claim(form.instance, actor=request.user, before=before)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Claim saved."))
                return HttpResponseRedirect(incident.get_absolute_url())
        return self.render_to_response(self.context(incident, form), status=400)


class DutyLogListView(LoginRequiredMixin, TemplateView):
    template_name = "workers/duty_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = Election.active()
        if election is None:
            return context
        try:
            day = datetime.date.fromisoformat(self.request.GET.get("date", "")) \
                if self.request.GET.get("date") else election.voting_date
        except ValueError:
            day = election.voting_date
        threshold = WorkerSettings.for_election(election).duty_hours_threshold
        qs = (DutyLog.objects.visible_to(user).filter(worker__election=election, date=day)
              .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
              .order_by("-hours", "worker__full_name"))
        only_over = self.request.GET.get("over") == "1"
        if only_over:
            qs = qs.filter(hours__gt=threshold)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(election=election, day=day, threshold=threshold, page=page,
                       querystring=query.urlencode(), only_over=only_over,
                       over_count=DutyLog.objects.visible_to(user).filter(
                           worker__election=election, date=day, hours__gt=threshold).count())
        return context


class SettingsView(LoginRequiredMixin, TemplateView):
    template_name = "workers/form.html"

    def obj(self):
        if not self.request.user.is_desk_admin:
            raise PermissionDenied
        return WorkerSettings.for_election(active_election_or_404())

    def get(self, request):
        obj = self.obj()
        return self.render_to_response(self.get_context_data(
            form=SettingsForm(instance=obj), object=obj, title=_("Worker norms and rules")))

    def post(self, request):
        obj = self.obj()
        before = audit.snapshot(obj)
        form = SettingsForm(data=request.POST, instance=obj)
        if form.is_valid():
            from posko.core import services as core_services

            core_services.update(form.save(commit=False), actor=request.user, before=before)
            messages.success(request, _("Settings saved. Flags are recomputed when a worker is "
                                        "saved or imported again."))
            return HttpResponseRedirect(reverse("workers:settings"))
        return self.render_to_response(self.get_context_data(
            form=form, object=obj, title=_("Worker norms and rules")), status=400)
