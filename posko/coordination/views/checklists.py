"""Supervision checklists per stage: the admin defines them, camat and lurah fill them for
their area (answer, finding, photo per item), unmet items become tasks, and the
completion per region is a table scoped to what the user sees."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.accounts.models import Agency
from posko.coordination.forms.checklists import AnswerForm, ChecklistForm, ChecklistItemForm
from posko.coordination.models import SupervisionChecklist, SupervisionItem, SupervisionResponse
from posko.coordination.services import checklist_seed
from posko.coordination.services import checklists as cs
from posko.coordination.views.desk import ManyToManyEditMixin
from posko.core import services
from posko.core.export_jobs import Table, TableExportMixin
from posko.core.uploads import PHOTO_KINDS
from posko.core.views import (
    AdminOnlyMixin,
    ElectionRequiredMixin,
    ObjectDeleteView,
    ObjectEditView,
    PemdaWideAdminMixin,
)


def _items(checklist):
    return checklist.items.prefetch_related(
        Prefetch("agencies", queryset=Agency.objects.order_by("name", "pk")))


class ChecklistListView(TableExportMixin, LoginRequiredMixin, TemplateView):
    """The election's checklists with their completion; ``?export=csv|xlsx``: one row per
    item, with its checklist, stage and responsible agencies."""

    template_name = "coordination/checklist_list.html"
    exportable_in_background = False  # a few dozen rows

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in ("csv", "xlsx") and request.election is not None:
            return self.export_response(export)
        return super().get(request, *args, **kwargs)

    def export_table(self, kind: str) -> Table:
        items = list(SupervisionItem.objects.filter(
            checklist__in=SupervisionChecklist.objects.visible_to(self.request.user).filter(
                election=self.request.election))
            .select_related("checklist__stage").prefetch_related(
                Prefetch("agencies", queryset=Agency.objects.order_by("name", "pk")))
            .order_by("checklist__stage__start_date", "checklist__title", "order", "pk"))
        rows = [[i.checklist.stage.name if i.checklist.stage_id else "",
                 i.checklist.stage.start_date if i.checklist.stage_id else "",
                 i.checklist.stage.end_date if i.checklist.stage_id else "",
                 i.checklist.title, i.checklist.get_level_display(), i.order, i.text,
                 ", ".join(a.name for a in i.agencies.all())] for i in items]
        return Table("checklist-supervisi", [
            _("stage"), _("start"), _("end"), _("checklist"), _("filled by"), _("order"),
            _("item"), _("responsible agencies")], rows, len(rows), filter=self.export_filter())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        checklists = list(SupervisionChecklist.objects.visible_to(user).filter(election=election)
                          .select_related("stage").annotate(item_count=Count("items"))
                          .order_by("stage__start_date", "title"))
        for checklist in checklists:  # a handful per election
            _rows, checklist.total = cs.completion(checklist, user)
        context.update(checklists=checklists, election=election, can_edit=user.is_desk_admin)
        return context


class ChecklistSeedView(AdminOnlyMixin, ElectionRequiredMixin, TemplateView):
    """GET: which standard checklists seeding the request's election would create, their
    stages and the agencies not found; POST: create them (idempotent)."""

    template_name = "coordination/checklist_seed.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(
            election=self.election, plan=checklist_seed.plan(self.election)))

    def post(self, request, *args, **kwargs):
        result = checklist_seed.seed(self.election, actor=request.user)
        messages.success(request, _("Standard checklists: %(summary)s.") % {
            "summary": result.summary()})
        return HttpResponseRedirect(reverse("coordination:checklist_list"))


class ChecklistEditView(PemdaWideAdminMixin, ObjectEditView):
    model = SupervisionChecklist
    form_class = ChecklistForm
    template_name = "coordination/checklist_edit.html"

    def new_object(self):
        election = self.request.election
        if election is None:
            raise Http404(_("There is no active election yet."))
        return SupervisionChecklist(election=election)


class ChecklistDetailView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/checklist_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        checklist = get_object_or_404(SupervisionChecklist.objects.visible_to(user).select_related(
            "stage", "election"), pk=kwargs["pk"])
        rows, total = cs.completion(checklist, user)
        unmet = (SupervisionResponse.objects.visible_to(user)
                 .filter(item__checklist=checklist, answer=SupervisionResponse.Answer.UNMET)
                 .select_related("item", "kelurahan", "kecamatan", "task")
                 .order_by("kecamatan_id", "kelurahan_id", "item__order", "item_id")[:500])
        fillable = set(cs.answerable_regions(checklist, user).values_list("code", flat=True))
        for response in unmet:
            response.can_act = (response.kelurahan_id or response.kecamatan_id) in fillable
        context.update(checklist=checklist, items=_items(checklist), rows=rows, total=total,
                       unmet=unmet, can_edit=user.is_desk_admin,
                       fill_rows=[r for r in rows if r.can_fill])
        return context


class ChecklistItemEditView(ManyToManyEditMixin, PemdaWideAdminMixin, ObjectEditView):
    model = SupervisionItem
    form_class = ChecklistItemForm
    template_name = "coordination/checklist_item_edit.html"
    m2m_field = "agencies"
    m2m_label = "agencies"

    def new_object(self):
        checklist = get_object_or_404(SupervisionChecklist, pk=self.kwargs["checklist"])
        return SupervisionItem(checklist=checklist, order=checklist.items.count() + 1)

    def success_url(self, obj) -> str:
        return obj.checklist.get_absolute_url()


class ChecklistItemDeleteView(PemdaWideAdminMixin, ObjectDeleteView):
    model = SupervisionItem
    template_name = "coordination/checklist_item_delete.html"

    def delete_object(self, obj, *, actor):
        services.delete(obj, actor=actor)

    def post(self, request, *args, **kwargs):
        obj = self.get_editable_object()
        checklist, label = obj.checklist, str(obj)
        self.delete_object(obj, actor=request.user)
        messages.success(request, _("Deleted: %(object)s.") % {"object": label})
        return HttpResponseRedirect(checklist.get_absolute_url())


class RegionMixin(LoginRequiredMixin):
    """The checklist and the region in the URL: a region the user does not see is a 404,
    one they see but may not answer for a 403."""

    def checklist_and_region(self):
        user = self.request.user
        checklist = get_object_or_404(SupervisionChecklist.objects.visible_to(user),
                                      pk=self.kwargs["pk"])
        region = cs.visible_regions(checklist, user).filter(code=self.kwargs["region_code"]).first()
        if region is None:
            raise Http404
        if not cs.answerable_regions(checklist, user).filter(code=region.code).exists():
            raise PermissionDenied
        return checklist, region


class ChecklistFillView(RegionMixin, TemplateView):
    template_name = "coordination/checklist_fill.html"

    def _forms(self, checklist, region, data=None, files=None):
        responses = {r.item_id: r for r in cs.responses_for(checklist, region).select_related("task")}
        return [AnswerForm(data, files, item=item, response=responses.get(item.pk))
                for item in _items(checklist)]

    def _render(self, checklist, region, forms, status=200):
        kecamatan_id, kelurahan_id = cs.region_place(region)
        return self.render_to_response(self.get_context_data(
            checklist=checklist, region=region, forms=forms, is_kelurahan=bool(kelurahan_id),
            answered=sum(1 for f in forms if f.response is not None)), status=status)

    def get(self, request, *args, **kwargs):
        checklist, region = self.checklist_and_region()
        return self._render(checklist, region, self._forms(checklist, region))

    def post(self, request, *args, **kwargs):
        checklist, region = self.checklist_and_region()
        forms = self._forms(checklist, region, request.POST, request.FILES)
        if all([form.is_valid() for form in forms]):
            try:
                changed = cs.save_answers(checklist, region, [f.to_answer() for f in forms],
                                          actor=request.user)
            except ValidationError as exc:
                by_item = {str(f.item.pk): f for f in forms}
                for key, errors in exc.message_dict.items():
                    for message in errors:
                        by_item[key].add_error(None, message)
            else:
                messages.success(request, _("Saved: %(count)s answers for %(region)s.") % {
                    "count": changed, "region": region.name})
                return HttpResponseRedirect(request.path)
        messages.error(request, _("Nothing was saved: correct the items marked below."))
        return self._render(checklist, region, forms, status=400)


class ChecklistAnswerToTaskView(LoginRequiredMixin, View):
    """POST: an unmet answer becomes a task (once)."""

    def post(self, request, pk):
        response = get_object_or_404(SupervisionResponse.objects.visible_to(request.user)
                                     .select_related("item__checklist"), pk=pk)
        checklist = response.item.checklist
        code = response.kelurahan_id or response.kecamatan_id
        if not cs.answerable_regions(checklist, request.user).filter(code=code).exists():
            raise PermissionDenied
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("coordination:checklist_fill", args=[checklist.pk, code])
        try:
            task, created = cs.answer_to_task(response, actor=request.user,
                                              agency_id=request.POST.get("agency") or None)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(back)
        if created:
            messages.success(request, _("Task created: %(task)s (%(agency)s).") % {
                "task": task.title, "agency": task.agency})
        else:
            messages.info(request, _("This item already has a task: %(task)s.") % {"task": task.title})
        return HttpResponseRedirect(back)


class ChecklistPhotoView(LoginRequiredMixin, View):
    """A finding's photo, for those who may see the answer (404 for everyone else)."""

    def get(self, request, pk):
        response = get_object_or_404(SupervisionResponse.objects.visible_to(request.user), pk=pk)
        if not response.photo:
            raise Http404
        types = {kind.extension: kind.content_type for kind in PHOTO_KINDS}
        content_type = types.get(response.photo_extension) or mimetypes.guess_type(
            response.photo.name)[0] or "application/octet-stream"
        try:
            handle = response.photo.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=content_type,
                            filename=f"temuan-{response.pk}{response.photo_extension}")
