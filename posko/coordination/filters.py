"""The task list's FilterSet, used by the task pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.coordination.models import Task
from posko.core.filters import LabelledFilterSet
from posko.elections.models import Stage
from posko.regions.filters import PlaceFilters


def _user(request):
    return getattr(request, "user", None)


def agency_choices(request):
    return Agency.objects.all()


def stage_choices(request):
    return Stage.objects.visible_to(_user(request)).filter(election__is_active=True)


class TaskFilter(PlaceFilters, LabelledFilterSet):
    """Filters of the task list and the board (also prefilled by links from elsewhere:
    ``?agency=3``, ``?stage=7``, ``?kecamatan=35.73.02``, ``?kelurahan=35.73.02.1001``)."""

    search_placeholder = _("Search title or description")

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    agency = django_filters.ModelChoiceFilter(queryset=agency_choices, label=_("Agency"),
                                              empty_label=_("All agencies"))
    stage = django_filters.ModelChoiceFilter(queryset=stage_choices, label=_("Stage"),
                                             empty_label=_("All stages"))
    priority = django_filters.ChoiceFilter(choices=Task.Priority.choices, label=_("Priority"),
                                           empty_label=_("Any priority"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=forms.CheckboxInput,
                                           label=_("Overdue"))
    due_soon = django_filters.BooleanFilter(method="filter_due_soon", widget=forms.CheckboxInput,
                                            label=_("Due within 48 h"))
    mine = django_filters.BooleanFilter(method="filter_mine", widget=forms.CheckboxInput,
                                        label=_("Mine (assigned to me or created by me)"))

    class Meta:
        model = Task
        fields = ["search", "status", "agency", "stage", "kecamatan", "kelurahan", "priority",
                  "overdue", "due_soon", "mine"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_due_soon(self, queryset, name, value):
        return queryset.due_within(48) if value else queryset

    def filter_mine(self, queryset, name, value):
        return mine(queryset, _user(self.request)) if value else queryset


def mine(queryset, user):
    """Tasks assigned to ``user`` or created by them."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    through = Task.assignees.through
    return queryset.filter(Q(pk__in=through.objects.filter(user_id=user.pk).values("task_id"))
                           | Q(created_by_id=user.pk))
