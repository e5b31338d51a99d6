"""Task pages: the list (all / mine), the board by status, the detail with its checklist,
progress notes and status form, create/edit with optimistic locking, the history, and
attachment downloads.

Every task is fetched through ``Task.objects.visible_to(user)`` (outside it: 404) and
changed only if it is in ``editable_by(user)`` (visible but not editable: 403). Writes go
through ``posko.coordination.services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.accounts.models import Role, User
from posko.coordination.filters import TaskFilter, mine
from posko.coordination.forms.tasks import UPLOAD_ACCEPT, TaskForm, TaskNoteForm, TaskStatusForm
from posko.coordination.models import Attachment, Meeting, Task, TaskChecklistItem, TaskNote
from posko.coordination.services import tasks as task_services
from posko.core import clock
from posko.core.views import ObjectEditView, ObjectHistoryView, ObjectListView, ScopedMixin
from posko.elections.models import Election

STATUS_LABELS = dict(Task.Status.choices)
BOARD_COLUMNS = [Task.Status.BELUM_MULAI, Task.Status.BERJALAN, Task.Status.TERHAMBAT,
                 Task.Status.SELESAI]
BOARD_COLUMN_LIMIT = 50


def can_create_tasks(user) -> bool:
    """Admins, agency operators and kecamatan/kelurahan operators create tasks; observers do not."""
    return bool(user.is_authenticated and user.is_active and user.effective_role in (
        Role.ADMIN, Role.AGENCY, Role.KECAMATAN, Role.KELURAHAN))


def safe_url(obj) -> str:
    """``obj.get_absolute_url()``, or "" while the page it names does not exist yet."""
    try:
        return obj.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return ""


def next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def editable_ids(user, tasks) -> set[int]:
    ids = [t.pk for t in tasks]
    if not ids:
        return set()
    return set(Task.objects.editable_by(user).filter(pk__in=ids).values_list("pk", flat=True))


def flag_tasks(tasks, now=None):
    """Mark each task as overdue or due within 48 h (one clock for the whole page)."""
    now = now or clock.now()
    for task in tasks:
        task.flag_overdue = task.is_overdue(now)
        task.flag_due_soon = not task.flag_overdue and task.is_due_soon(now)
    return tasks


class TaskQuerysetMixin:
    model = Task

    def get_base_queryset(self):
        return Task.objects.select_related(
            "agency", "kecamatan", "kelurahan", "tps__kelurahan", "stage").prefetch_related(
            "assignees")


class TaskElectionMixin:
    """Lists and the board show the tasks of the request's election."""

    @cached_property
    def election(self) -> Election | None:
        return self.request.election

    def in_active_election(self, qs):
        return qs.filter(election=self.election) if self.election else qs.none()


# --- list, my tasks, board --------------------------------------------------------------

class TaskListView(TaskElectionMixin, TaskQuerysetMixin, ObjectListView):
    filterset_class = TaskFilter
    template_name = "coordination/task_list.html"
    export_name = "tugas"
    paginate_by = 50
    only_mine = False

    def get_base_queryset(self):
        qs = self.in_active_election(super().get_base_queryset())
        return mine(qs, self.request.user) if self.only_mine else qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flag_tasks(context["object_list"])
        context.update(
            election=self.election, can_create=can_create_tasks(self.request.user),
            only_mine=self.only_mine, tab="mine" if self.only_mine else "list")
        return context

    def export_header(self):
        return [_("id"), _("title"), _("status"), _("priority"), _("agency"), _("kecamatan"),
                _("kelurahan"), _("TPS"), _("stage"), _("due"), _("assignees"), _("created"),
                _("completed"), _("reason it is blocked"), _("description")]

    def export_rows(self, queryset):
        for task in queryset.iterator(chunk_size=2000):
            yield [task.pk, task.title, task.get_status_display(), task.get_priority_display(),
                   task.agency.name, task.kecamatan.name if task.kecamatan_id else "",
                   task.kelurahan.name if task.kelurahan_id else "",
                   task.tps.label if task.tps_id else "", task.stage.name if task.stage_id else "",
                   task.due_at, ", ".join(u.get_username() for u in task.assignees.all()),
                   task.created_at, task.completed_at, task.blocked_reason, task.description]


class MyTaskListView(TaskListView):
    only_mine = True


class TaskBoardView(TaskElectionMixin, ScopedMixin, TemplateView):
    """Four columns by status, with the list's filters; each column shows its first tasks."""

    template_name = "coordination/task_board.html"
    model = Task

    def get_base_queryset(self):
        # Cards show no assignees: nothing to prefetch.
        return self.in_active_election(Task.objects.select_related(
            "agency", "kecamatan", "kelurahan", "tps__kelurahan"))

    def get(self, request, *args, **kwargs):
        filterset = TaskFilter(request.GET or None, queryset=self.get_queryset(), request=request)
        if filterset.is_bound and not filterset.is_valid():
            qs = self.get_queryset().none()
        else:
            qs = filterset.qs
        counts = qs.order_by().aggregate(**{
            status: Count("pk", filter=Q(status=status)) for status in BOARD_COLUMNS})
        now = clock.now()
        columns, shown = [], []
        for status in BOARD_COLUMNS:
            column_qs = qs.filter(status=status)
            if status == Task.Status.SELESAI:
                column_qs = column_qs.order_by("-completed_at", "-pk")
            tasks = flag_tasks(list(column_qs[:BOARD_COLUMN_LIMIT]), now)
            shown.extend(tasks)
            columns.append({"status": status, "label": STATUS_LABELS[status], "tasks": tasks,
                            "count": counts[status], "more": counts[status] - len(tasks)})
        query = request.GET.copy()
        query.pop("status", None)
        context = self.get_context_data(
            filterset=filterset, columns=columns, editable=editable_ids(request.user, shown),
            querystring=query.urlencode(), election=self.election,
            can_create=can_create_tasks(request.user), status_choices=Task.Status.choices,
            tab="board")
        return self.render_to_response(context)


# --- detail, status, notes, checklist ---------------------------------------------------

def detail_queryset():
    notes = TaskNote.objects.select_related("author").prefetch_related("attachments")
    return Task.objects.select_related(
        "agency", "kecamatan", "kelurahan", "tps__kelurahan", "stage", "election", "created_by",
        "template_item__template", "decision", "supervision_response__item__checklist",
    ).prefetch_related(
        Prefetch("assignees", queryset=_assignee_display_queryset()), "checklist",
        Prefetch("notes", queryset=notes))


def _assignee_display_queryset():
    return User.objects.select_related("kecamatan", "kelurahan", "agency")


def source_links(task) -> list[dict]:
    """Where the task came from: a meeting's decision, an unmet checklist answer, a template."""
    links = []
    decision = getattr(task, "decision", None)
    if decision is not None:
        links.append({"label": _("Decision of a coordination meeting"), "text": decision.text,
                      "url": safe_url(decision)})
    response = getattr(task, "supervision_response", None)
    if response is not None:
        links.append({"label": _("Unmet supervision checklist item"), "text": str(response.item),
                      "url": safe_url(response.item.checklist)})
    if task.template_item_id:
        links.append({"label": _("Task template"), "text": str(task.template_item.template),
                      "url": safe_url(task.template_item.template)})
    return links


def render_detail(request, pk, *, status=200, status_form=None, note_form=None, conflict=None):
    """The detail page, freshly read from the database (a failed write may have changed the
    object in memory), with the forms given (bound, with their errors) or new ones."""
    try:
        task = detail_queryset().visible_to(request.user).get(pk=pk)
    except (Task.DoesNotExist, ValueError):
        raise Http404 from None
    can_edit = Task.objects.editable_by(request.user).filter(pk=task.pk).exists()
    notes = list(task.notes.all())
    for note in notes:
        note.status_from_label = STATUS_LABELS.get(note.status_from, note.status_from)
        note.status_to_label = STATUS_LABELS.get(note.status_to, note.status_to)
    flag_tasks([task])
    checklist = list(task.checklist.all())
    context = {
        "object": task, "task": task, "can_edit": can_edit, "notes": notes,
        "checklist": checklist, "checklist_done": sum(1 for item in checklist if item.done),
        "status_form": status_form or TaskStatusForm(task=task),
        "note_form": note_form or TaskNoteForm(), "conflict": conflict,
        "sources": source_links(task), "upload_accept": UPLOAD_ACCEPT,
        "max_upload": settings.POSKO_ATTACHMENT_MAX_BYTES,
    }
    return render(request, "coordination/task_detail.html", context, status=status)


class TaskDetailView(TaskQuerysetMixin, ScopedMixin, View):
    def get(self, request, pk):
        return render_detail(request, pk)


class TaskWriteMixin(TaskQuerysetMixin, ScopedMixin):
    def get_base_queryset(self):
        return Task.objects.all()


class TaskStatusView(TaskWriteMixin, ObjectEditView):
    """POST: move the task to another status (the board's and the detail page's form). A
    stale version is the detail page again with the other person's change named (409)."""

    form_class = TaskStatusForm
    http_method_names = ["post", "options"]

    def get_form(self, obj, data=None):
        return TaskStatusForm(data=data, task=obj)

    def update(self, obj, *, actor, before):
        data = self.form.cleaned_data
        return task_services.change_status(obj, data["status"], actor=actor,
                                           expected_version=data["version"],
                                           reason=data["reason"])

    def render_form(self, obj, form, *, status=200, conflict=None):
        return render_detail(self.request, obj.pk, status=status, status_form=form,
                             conflict=conflict)

    def success_message(self, obj) -> str:
        return _("%(task)s: status is now %(status)s.") % {
            "task": obj.title, "status": STATUS_LABELS[obj.status]}

    def success_url(self, obj) -> str:
        return next_url(self.request, obj.get_absolute_url())


class TaskNoteView(TaskWriteMixin, View):
    """POST: a progress note with optional photos/PDFs (checked by content and size)."""

    def post(self, request, pk):
        task = self.get_editable_object()
        form = TaskNoteForm(data=request.POST)
        if form.is_valid():
            try:
                task_services.add_note(task, actor=request.user, text=form.cleaned_data["text"],
                                       files=request.FILES.getlist("files"))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Progress note added."))
                return HttpResponseRedirect(task.get_absolute_url() + "#notes")
        return render_detail(request, pk, status=400, note_form=form)


class TaskChecklistToggleView(TaskWriteMixin, View):
    """POST ``done=1|0`` (or nothing, to flip it). With htmx, answers with the item alone."""

    def post(self, request, pk, item):
        task = self.get_editable_object()
        try:
            entry = TaskChecklistItem.objects.get(pk=item, task=task)
        except (TaskChecklistItem.DoesNotExist, ValueError):
            raise Http404 from None
        value = request.POST.get("done")
        done = (not entry.done) if value not in ("0", "1") else value == "1"
        task_services.toggle_checklist_item(entry, actor=request.user, done=done)
        if request.headers.get("HX-Request"):
            return render(request, "coordination/task_checklist_item.html",
                          {"item": entry, "task": task, "can_edit": True})
        return HttpResponseRedirect(task.get_absolute_url() + "#checklist")


class TaskHistoryView(TaskWriteMixin, ObjectHistoryView):
    pass


# --- create / edit ----------------------------------------------------------------------------

class TaskEditView(TaskWriteMixin, ObjectEditView):
    """Create (``task_add``) or edit (``task_edit``) a task. An edit carries the version it
    was loaded with; if someone saved in between, the user is told and nothing is saved."""

    form_class = TaskForm
    template_name = "coordination/task_edit.html"
    prefill = ("agency", "stage", "kecamatan", "kelurahan", "tps")

    def can_create(self) -> bool:
        return can_create_tasks(self.request.user)

    def new_object(self):
        if self.request.election is None:
            raise Http404(_("There is no active election yet."))
        return Task(election=self.request.election, created_at=clock.now())

    def create(self, obj, *, actor):
        return task_services.create_task(obj, actor=actor, assignees=list(
            self.form.cleaned_data["assignees"]), checklist=self.form.checklist_lines())

    def update(self, obj, *, actor, before):
        return task_services.update_task(obj, actor=actor, before=before,
                                         expected_version=self.expected_version(),
                                         assignees=list(self.form.cleaned_data["assignees"]))

    def success_message(self, obj) -> str:
        return _("Saved: %(object)s.") % {"object": obj.title}


# --- attachments ------------------------------------------------------------------------------

class AttachmentDownloadView(LoginRequiredMixin, View):
    """Serve an attachment to whoever may see what it is attached to (otherwise 404).
    PDFs are downloaded, images shown inline; the type is the one checked on upload."""

    def get(self, request, pk):
        try:
            attachment = Attachment.objects.select_related("note").get(pk=pk)
        except (Attachment.DoesNotExist, ValueError):
            raise Http404 from None
        if attachment.note_id:
            visible = Task.objects.visible_to(request.user).filter(pk=attachment.note.task_id).exists()
        else:
            visible = Meeting.objects.visible_to(request.user).filter(pk=attachment.meeting_id).exists()
        if not visible:
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404 from None
        inline = attachment.content_type.startswith("image/")
        response = FileResponse(handle, as_attachment=not inline, filename=attachment.original_name,
                                content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
        return response
