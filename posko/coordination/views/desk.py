"""Agencies, the Desk Pilkada's structure, the stage calendar and task templates.

All of these belong to the whole Pemda: every signed-in user may read them and only
the Desk Pilkada admin changes them (403 for everyone else)."""

from __future__ import annotations

import datetime
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.accounts.models import Agency, User
from posko.coordination.forms.desk import (
    AgencyForm,
    DeskForm,
    DivisionForm,
    TaskTemplateForm,
    TaskTemplateItemForm,
)
from posko.coordination.models import Desk, Division, Task, TaskTemplate, TaskTemplateItem
from posko.coordination.services import templates as template_services
from posko.core import audit, clock, services
from posko.core.views import (
    AdminOnlyMixin,
    ElectionRequiredMixin,
    ObjectDeleteView,
    ObjectEditView,
    PemdaWideAdminMixin,
)
from posko.elections.models import Stage


def h_label(voting_date: datetime.date, day: datetime.date) -> str:
    """H-7 for seven days before voting day, H for the day itself, H+2 after."""
    days = (voting_date - day).days
    return "H" if days == 0 else (f"H-{days}" if days > 0 else f"H+{-days}")


def task_list_url(**params) -> str:
    """The task list (the tasks area) filtered by ``params``."""
    try:
        base = reverse("coordination:task_list")
    except NoReverseMatch:  # the tasks area is not wired yet
        base = "/koordinasi/tugas/"
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{base}?{query}" if query else base


# --- agencies ----------------------------------------------------------------------------

class AgencyListView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/agency_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agencies = Agency.objects.annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
        ).order_by("kind", "name")
        open_tasks = dict(
            Task.objects.visible_to(self.request.user).exclude(status=Task.Status.SELESAI)
            .values_list("agency_id").annotate(n=Count("pk")).order_by())
        order = [kind for kind, _label in Agency.Kind.choices]
        groups = []
        for kind, rows in groupby(sorted(agencies, key=lambda a: (order.index(a.kind), a.name)),
                                  key=lambda a: a.kind):
            rows = list(rows)
            for agency in rows:
                agency.open_tasks = open_tasks.get(agency.pk, 0)
                agency.task_url = task_list_url(agency=agency.pk)
            groups.append((Agency.Kind(kind).label, rows))
        context.update(groups=groups, can_edit=self.request.user.is_desk_admin,
                       total=sum(len(rows) for _label, rows in groups))
        return context


class AgencyDetailView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/agency_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agency = get_object_or_404(Agency, pk=kwargs["pk"])
        user = self.request.user
        context.update(
            agency=agency,
            members=User.objects.filter(agency=agency, is_active=True).order_by(
                "first_name", "last_name", "username"),
            divisions=Division.objects.filter(Q(members=agency) | Q(lead=agency)).distinct(),
            lead_of={d.pk for d in Division.objects.filter(lead=agency)},
            stages=Stage.objects.filter(owner=agency, election=self.request.election),
            open_tasks=Task.objects.visible_to(user).filter(agency=agency).exclude(
                status=Task.Status.SELESAI).count(),
            task_url=task_list_url(agency=agency.pk),
            can_edit=user.is_desk_admin,
            show_usernames=user.is_desk_admin,
        )
        return context


class AgencyEditView(PemdaWideAdminMixin, ObjectEditView):
    model = Agency
    form_class = AgencyForm
    template_name = "coordination/agency_edit.html"


# --- the desk ----------------------------------------------------------------------------

class DeskView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/desk_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        desk = Desk.load()
        divisions = Division.objects.select_related("lead").prefetch_related(
            Prefetch("members", queryset=Agency.objects.order_by("kind", "name")))
        context.update(desk=desk, divisions=divisions, can_edit=self.request.user.is_desk_admin,
                       secretariat=desk.secretariat if desk.secretariat_id else None)
        return context


class DeskEditView(AdminOnlyMixin, TemplateView):
    template_name = "coordination/desk_edit.html"

    def _render(self, form, status=200):
        return self.render_to_response(self.get_context_data(form=form, object=form.instance),
                                       status=status)

    def get(self, request, *args, **kwargs):
        return self._render(DeskForm(instance=Desk.load()))

    def post(self, request, *args, **kwargs):
        desk = Desk.load()
        exists = Desk.objects.filter(pk=1).exists()
        before = audit.snapshot(desk) if exists else None
        form = DeskForm(data=request.POST, instance=desk)
        if form.is_valid():
            desk = form.save(commit=False)
            try:
                if exists:
                    services.update(desk, actor=request.user, before=before)
                else:
                    services.create(desk, actor=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": desk})
                return HttpResponseRedirect(reverse("coordination:desk"))
        return self._render(form, status=400)


class ManyToManyEditMixin:
    """Saves one many-to-many field of the form after the object itself (the generic edit
    view saves with commit=False), and writes an audit row naming the new set."""

    m2m_field = ""
    m2m_label = ""

    def get_form(self, obj, data=None):
        self._form = super().get_form(obj, data)
        return self._form

    def _save(self, obj, save, **kwargs):
        with transaction.atomic():
            manager = getattr(obj, self.m2m_field) if obj.pk else None
            old = sorted(manager.values_list("pk", flat=True)) if manager is not None else []
            save(obj, actor=self.request.user, **kwargs)
            chosen = list(self._form.cleaned_data[self.m2m_field])
            getattr(obj, self.m2m_field).set(chosen)
            if sorted(a.pk for a in chosen) != old:
                names = ", ".join(str(a) for a in chosen) or "-"
                audit.record("update", obj, actor=self.request.user,
                             message=f"{self.m2m_label}: {names}")

    def create(self, obj, *, actor):
        self._save(obj, services.create)

    def update(self, obj, *, actor, before):
        self._save(obj, services.update, before=before)


class DivisionEditView(ManyToManyEditMixin, PemdaWideAdminMixin, ObjectEditView):
    model = Division
    form_class = DivisionForm
    template_name = "coordination/desk_division_edit.html"
    m2m_field = "members"
    m2m_label = "members"

    def success_url(self, obj) -> str:
        return reverse("coordination:desk")


class DivisionDeleteView(PemdaWideAdminMixin, ObjectDeleteView):
    model = Division
    success_url_name = "coordination:desk"

    def delete_object(self, obj, *, actor):
        services.delete(obj, actor=actor)


# --- the stage calendar ------------------------------------------------------------------

class CalendarView(LoginRequiredMixin, TemplateView):
    """Every stage of the active election, grouped by the month it starts in, with its
    status today, its owner and its distance to voting day; a marker for today."""

    template_name = "coordination/calendar_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        today = clock.today()
        context.update(election=election, today=today, can_edit=self.request.user.is_desk_admin)
        if election is None:
            return context
        stages = list(Stage.objects.filter(election=election).select_related("owner")
                      .order_by("start_date", "end_date", "name"))
        entries = []
        for stage in stages:
            stage.state = stage.status(today)
            stage.h_start = h_label(election.voting_date, stage.start_date)
            stage.h_end = h_label(election.voting_date, stage.end_date)
            stage.days = (stage.end_date - stage.start_date).days + 1
            entries.append((stage.start_date, 1, stage))
        entries.append((today, 0, None))  # today goes before the stages that start today
        entries.sort(key=lambda e: (e[0], e[1]))
        months = []
        for month, rows in groupby(entries, key=lambda e: (e[0].year, e[0].month)):
            months.append((datetime.date(month[0], month[1], 1), [stage for _d, _o, stage in rows]))
        context.update(months=months, h_today=h_label(election.voting_date, today),
                       ongoing=[s for s in stages if s.state == "ongoing"],
                       counts={state: sum(1 for s in stages if s.state == state)
                               for state in ("done", "ongoing", "upcoming")})
        return context


# --- task templates ----------------------------------------------------------------------

class TemplateListView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/template_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        templates = TaskTemplate.objects.annotate(item_count=Count("items", distinct=True))
        if election:
            templates = templates.annotate(task_count=Count(
                "items__tasks", filter=Q(items__tasks__election=election), distinct=True))
        context.update(templates=templates, election=election,
                       can_edit=self.request.user.is_desk_admin)
        return context


class TemplateDetailView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/template_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template = get_object_or_404(TaskTemplate, pk=kwargs["pk"])
        election = self.request.election
        items = list(template.items.select_related("agency"))
        counts = {}
        if election:
            counts = dict(Task.objects.filter(election=election, template_item__template=template)
                          .values_list("template_item_id").annotate(n=Count("pk")).order_by())
        for item in items:
            item.lines = template_services.checklist_lines(item)
            item.task_count = counts.get(item.pk, 0)
            if election:
                item.due = template_services.due_at(election.voting_date, item)
        context.update(template=template, items=items, election=election,
                       can_edit=self.request.user.is_desk_admin)
        return context


class TemplateEditView(PemdaWideAdminMixin, ObjectEditView):
    model = TaskTemplate
    form_class = TaskTemplateForm
    template_name = "coordination/template_edit.html"


class TemplateItemEditView(PemdaWideAdminMixin, ObjectEditView):
    model = TaskTemplateItem
    form_class = TaskTemplateItemForm
    template_name = "coordination/template_item_edit.html"

    def new_object(self):
        return TaskTemplateItem(template=get_object_or_404(TaskTemplate, pk=self.kwargs["template"]))

    def success_url(self, obj) -> str:
        return obj.template.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = kwargs.get("object")
        context["template"] = obj.template if obj is not None else None
        return context


class TemplateItemDeleteView(PemdaWideAdminMixin, ObjectDeleteView):
    model = TaskTemplateItem
    template_name = "coordination/template_item_delete.html"

    def delete_object(self, obj, *, actor):
        services.delete(obj, actor=actor)

    def post(self, request, *args, **kwargs):
        obj = self.get_editable_object()
        template = obj.template
        label = str(obj)
        self.delete_object(obj, actor=request.user)
        messages.success(request, _("Deleted: %(object)s.") % {"object": label})
        return HttpResponseRedirect(template.get_absolute_url())


class TemplateApplyView(AdminOnlyMixin, ElectionRequiredMixin, TemplateView):
    """GET: what applying would create to the request's election; POST: create it."""

    template_name = "coordination/template_apply.html"

    def _objects(self):
        return get_object_or_404(TaskTemplate, pk=self.kwargs["pk"]), self.election

    def get(self, request, *args, **kwargs):
        template, election = self._objects()
        plan = template_services.preview(template, election, actor=request.user)
        return self.render_to_response(self.get_context_data(
            template=template, election=election, plan=plan))

    def post(self, request, *args, **kwargs):
        template, election = self._objects()
        result = template_services.apply_template(template, election, actor=request.user)
        messages.success(request, _("Template %(template)s applied: %(summary)s.") % {
            "template": template.name, "summary": result.summary()})
        return HttpResponseRedirect(template.get_absolute_url())
