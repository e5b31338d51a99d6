"""Three sources side by side: the page of one TPS × contest (Pemda, witness and KPU entries,
their differences, checks, flags, photos and every version), the verifier's decisions, the
queue of TPS × contest needing attention, and the KPU import."""

from __future__ import annotations

import io
import zipfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from posko.core import audit
from posko.core.exports import csv_response, xlsx_response
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.core.import_files import ImportFileError, read_upload
from posko.core.import_jobs import enqueue_import
from posko.core.scope import get_visible_or_404
from posko.core.views import ElectionRequiredMixin
from posko.elections.models import Tps
from posko.regions.models import Kecamatan
from posko.voting import services
from posko.voting.forms import ResultForm
from posko.voting.imports import COLUMNS, KpuImporter, check_mapping
from posko.voting.models import (
    Agreement,
    NistStatus,
    Reconciliation,
    ResultPhoto,
    Source,
    TpsResult,
)
from posko.voting.services import reconcile, verify

ROWS = [("voters_dpt", "DPT"), ("voters_dptb", "DPTb"), ("voters_dpk", "DPK")]


class CorrectionForm(ResultForm):
    """The verifier's numbers: a new version of the Pemda's entry; a reason is required."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("source", "photo", "photo_page"):
            self.fields.pop(name, None)
        self.fields["reason"].required = True
        self.fields["reason"].label = _("Reason for the correction")


class DecisionForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    action = forms.ChoiceField(choices=[("choose", "choose"), ("recount", "recount")],
                               widget=forms.HiddenInput)
    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ReconcileView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """GET: the sources side by side. POST: a verifier's decision (choose, recount) or
    correction; refused (403) to who may not verify."""

    def objects(self):
        tps = get_visible_or_404(Tps.objects.select_related("kelurahan", "kecamatan").filter(
            election=self.election), self.request.user, pk=self.kwargs["pk"])
        contest = next((c for c in services.contests_at(self.election, tps)
                        if c.pk == self.kwargs["contest_pk"]), None)
        if contest is None:
            raise Http404
        return tps, contest

    def get(self, request, pk, contest_pk):
        tps, contest = self.objects()
        return self.page(tps, contest)

    def post(self, request, pk, contest_pk):
        tps, contest = self.objects()
        if not verify.may_verify(request.user, tps):
            raise PermissionDenied
        pairs = services.ballot_numbers(contest)
        if request.POST.get("action") == "correct":
            form = CorrectionForm(request.POST, pairs=pairs, prefix="fix")
            if form.is_valid():
                try:
                    verify.correct(tps, contest, actor=request.user, election=self.election,
                                   values=form.values(), votes=form.votes(),
                                   reason=form.cleaned_data["reason"],
                                   version=form.cleaned_data["version"])
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(request, _("The correction is saved and counted."))
                    return HttpResponseRedirect(request.path)
            return self.page(tps, contest, correction=form, status=400)
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "recount":
                    verify.recount(tps, contest, actor=request.user, reason=data["reason"],
                                   version=data["version"])
                    messages.success(request, _("The recount is recorded."))
                else:
                    verify.choose(tps, contest, data["entry"], actor=request.user,
                                  reason=data["reason"], version=data["version"])
                    messages.success(request, _("The chosen entry is counted."))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(request.path)
        return self.page(tps, contest, decision=form, status=400)

    def page(self, tps, contest, *, correction=None, decision=None, status=200):
        user = self.request.user
        rec = Reconciliation.objects.filter(tps=tps, contest=contest).select_related(
            "verified_by").first()
        versions = list(TpsResult.objects.filter(tps=tps, contest=contest).select_related(
            "entered_by").order_by("source", "-version"))
        current = {r.source: r for r in versions if r.is_current}
        photos = list(ResultPhoto.objects.filter(tps=tps, contest=contest).select_related(
            "uploaded_by").order_by("source", "page", "-version"))
        if rec is None:  # nothing entered yet: show what it would be
            rec = Reconciliation.for_tps(tps, contest=contest)
            reconcile.compute(rec, current, next((r for r in versions if r.is_counted), None))
        pairs = services.ballot_numbers(contest)
        sources = [(s, Source(s).label, current.get(s)) for s in reconcile.SOURCES]
        differing = {d["field"] for d in rec.differences}
        fields = [(f, reconcile.field_label(f)) for f in reconcile.COMPARED[:5]] + [
            (f"votes.{n}", name) for n, name in sorted(pairs.items())] + [
            (f, reconcile.field_label(f)) for f in reconcile.COMPARED[5:]] + [
            ("voters_men", _("Voters, men")), ("voters_women", _("Voters, women"))]
        rows = []
        for field, label in fields:
            cells = []
            for _source, _label, entry in sources:
                value = None
                if entry is not None:
                    value = (entry.votes or {}).get(field[6:]) if field.startswith("votes.") \
                        else getattr(entry, field)
                cells.append(value)
            rows.append({"field": field, "label": label, "cells": cells,
                         "differs": field in differing})
        may = verify.may_verify(user, tps)
        counted = rec.counted_id
        initial = current.get(Source.PEMDA) or (current.get(Source.KPU) if current else None)
        correction = correction or CorrectionForm(pairs=pairs, prefix="fix", initial={
            "version": rec.version, **_initial(initial, pairs)})
        return render(self.request, "voting/reconcile.html", {
            "tps": tps, "contest": contest, "rec": rec, "sources": sources, "rows": rows,
            "differences": [reconcile.describe(d) for d in rec.differences],
            "versions": versions, "photos": photos, "may_verify": may, "counted_id": counted,
            "correction": correction, "decision": decision, "pairs": pairs,
            "history": _history(rec) if rec.pk else []}, status=status)


def _initial(entry, pairs) -> dict:
    if entry is None:
        return {}
    data = {f: getattr(entry, f) for f in ("voters_dpt", "voters_dptb", "voters_dpk", "valid",
                                           "invalid", "ballots_received", "ballots_used",
                                           "ballots_unused", "ballots_damaged", "voters_men",
                                           "voters_women", "registered_dptb", "registered_dpk")}
    data.update({f"votes_{n}": (entry.votes or {}).get(str(n)) for n in pairs})
    return data


def _history(rec) -> list:
    return list(audit.history(rec)[:50])


# --- the queue ------------------------------------------------------------------------------

NEEDS = {
    "perlu": Q(counted__status="perlu_verifikasi") | Q(counted__isnull=True),
    "disagree": Q(agreement=Agreement.DISAGREE),
    "flagged": ~Q(counted__flags=[]) | ~Q(counted__stat_flags=[]),
    "recount": Q(status=NistStatus.RECOUNT),
}


def attention() -> Q:
    q = Q()
    for part in NEEDS.values():
        q |= part
    return q


class QueueView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """TPS × contest needing a verifier: no counted entry or one "perlu verifikasi", sources
    that disagree, flagged, recounting. Filters: contest, kecamatan, kind; counts per
    kecamatan; CSV/XLSX export (``?export=csv|xlsx``). Scoped as the TPS."""

    def get(self, request):
        user = request.user
        contests = services.contests_of(self.election)
        base = Reconciliation.objects.visible_to(user).filter(election=self.election)
        chosen = {key: request.GET.get(key, "") for key in ("contest", "kecamatan", "need")}
        if chosen["contest"]:
            if chosen["contest"] not in {str(c.pk) for c in contests}:
                raise Http404
            base = base.filter(contest_id=chosen["contest"])
        kinds = [(key, label) for key, label in (
            ("perlu", _("Needs verification")), ("disagree", _("Sources disagree")),
            ("flagged", _("Flagged")), ("recount", _("Recount")))]
        need = NEEDS.get(chosen["need"], attention())
        by_kec = {row["kecamatan_id"]: row for row in base.filter(attention()).values(
            "kecamatan_id").annotate(total=Count("pk"), **{
                key: Count("pk", filter=NEEDS[key]) for key, _label in kinds}).order_by()}
        kecamatan = list(Kecamatan.objects.visible_to(user).filter(code__in=by_kec)
                         .order_by("code"))
        if chosen["kecamatan"]:
            base = base.filter(kecamatan_id=chosen["kecamatan"])
        qs = base.filter(need).select_related("tps", "kelurahan", "contest", "counted").order_by(
            "kecamatan_id", "kelurahan_id", "tps__number", "contest_id")
        header = [_("Kecamatan"), _("Kelurahan"), "TPS", _("Contest"), _("Agreement"),
                  _("Status"), _("Counted"), _("Differences")]
        if request.GET.get("export") in ("csv", "xlsx"):
            rows = ([r.kecamatan_id, r.kelurahan.name, r.tps.number, r.contest.name,
                     r.get_agreement_display(), r.get_status_display(),
                     r.counted.get_source_display() if r.counted else "",
                     "; ".join(reconcile.describe(d) for d in r.differences)]
                    for r in qs.iterator(chunk_size=1000))
            kind, count = request.GET["export"], qs.count()
            audit.record("export", actor=request.user, object_repr="verifikasi-hasil",
                         after={"rows": count, "format": kind,
                                "filter": request.GET.urlencode()},
                         message=_("%(kind)s: %(count)s rows, filter: %(filter)s") % {
                             "kind": kind, "count": count,
                             "filter": request.GET.urlencode() or "-"})
            if kind == "csv":
                return csv_response("verifikasi-hasil.csv", header, rows)
            return xlsx_response("verifikasi-hasil.xlsx", _("Verification"), header, rows)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        for r in page:
            r.difference_text = [reconcile.describe(d) for d in r.differences]
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        return render(request, "voting/reconcile_queue.html", {
            "page": page, "contests": contests, "chosen": chosen, "kinds": kinds,
            "kecamatan": [(k, by_kec[k.code]) for k in kecamatan],
            "total": sum(row["total"] for row in by_kec.values()),
            "querystring": query.urlencode(),
            "may_import": getattr(user, "is_desk_admin", False)})


# --- the KPU import -------------------------------------------------------------------------

class KpuImportForm(StyledFormMixin, forms.Form):
    contest = forms.TypedChoiceField(label=gettext_lazy("Contest"), required=False, coerce=int,
                                     empty_value=None)
    mapping = forms.CharField(
        label=gettext_lazy("Candidate ids → ballot numbers"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}), help_text=gettext_lazy(
            "E.g. 100025=1, 100026=2. Empty: a KPU candidate list (paslon*.json) in the zip, "
            "else the ids in ascending order are ballot numbers 1, 2, 3 …"))

    def __init__(self, *args, contests, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contest"].choices = [("", _("From the file path or the kontes column"))] + [
            (c.pk, c.name) for c in contests]

    def clean_mapping(self):
        problem = check_mapping(self.cleaned_data["mapping"])
        if problem:
            raise ValidationError(problem)
        return self.cleaned_data["mapping"]


class KpuImportView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """The Desk admin uploads KPU's per-TPS files (a zip, several .json files, or a CSV/XLSX);
    the import runs as a background job and its page lists every problem."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_desk_admin:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, error=None, status=200):
        return render(self.request, "voting/reconcile_import.html", {
            "form": form, "file_error": error, "columns": COLUMNS}, status=status)

    def get(self, request):
        return self.render_form(KpuImportForm(contests=services.contests_of(self.election)))

    def post(self, request):
        form = KpuImportForm(request.POST, contests=services.contests_of(self.election))
        uploads = request.FILES.getlist("file")
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            if not uploads:
                raise ImportFileError(_("Choose a file to import."))
            if len(uploads) == 1:
                data, name = read_upload(uploads[0]), uploads[0].name
            else:
                data, name = _bundle(uploads), f"kpu-{len(uploads)}-berkas.zip"
        except ImportFileError as exc:
            return self.render_form(form, error=str(exc), status=400)
        importer = KpuImporter(actor=request.user, election=self.election,
                               contest=form.cleaned_data["contest"],
                               mapping=form.cleaned_data["mapping"])
        job = enqueue_import(importer, data, name, user=request.user,
                             label=_("KPU import of %(file)s") % {"file": name})
        return HttpResponseRedirect(reverse("job_detail", args=[job.pk]))


def _bundle(uploads) -> bytes:
    """Several .json files as one zip (the import reads them as a KPU folder)."""
    if sum(u.size for u in uploads) > settings.POSKO_IMPORT_MAX_BYTES:
        raise ImportFileError(_("The files are too large together; zip them or send fewer."))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for upload in uploads:
            archive.writestr(upload.name.replace("\\", "/").rsplit("/", 1)[-1] or "file.json",
                             read_upload(upload))
    return buffer.getvalue()
