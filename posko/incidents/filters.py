"""The FilterSets of the report list and the neutrality case list, each used by the page and
the API (``/api/v1/laporan/``, ``/api/v1/netralitas/kasus/``). Choices are scoped to the
request's user; the stages are those of the request's election."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.filters import IntegerFilter, LabelledFilterSet
from posko.elections.models import Stage
from posko.incidents.models import Category, NeutralityCase, Report, Severity, State
from posko.regions.models import Kecamatan


def _user(request):
    return getattr(request, "user", None)


def _election_stages(request):
    election = getattr(request, "election", None)
    return Stage.objects.filter(election=election) if election else Stage.objects.none()


class ReportFilter(LabelledFilterSet):
    search_placeholder = _("Code, title or description")

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(),
                                                label=_("Category"), empty_label=_("All categories"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"),
                                           empty_label=_("All severities"))
    state = django_filters.ChoiceFilter(choices=State.choices, label=_("State"),
                                        empty_label=_("All states"))
    kecamatan = django_filters.ModelChoiceFilter(
        queryset=lambda request: Kecamatan.objects.visible_to(_user(request)).order_by("name"),
        to_field_name="code", label=_("Kecamatan"), empty_label=_("All kecamatan"))
    stage = django_filters.ModelChoiceFilter(queryset=_election_stages, label=_("Stage"),
                                             empty_label=_("All stages"))
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agency"),
                                              empty_label=_("All agencies"))
    tps = IntegerFilter(field_name="tps_id", widget=forms.HiddenInput, label=_("TPS"))
    open = django_filters.BooleanFilter(method="filter_open", widget=forms.CheckboxInput,
                                        label=_("Open only"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=forms.CheckboxInput,
                                           label=_("Past target"))

    class Meta:
        model = Report
        fields = ["search", "category", "severity", "state", "kecamatan", "stage", "agency", "tps",
                  "open", "overdue"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__iexact=value) | Q(title__icontains=value)
                               | Q(description__icontains=value))

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset


class CaseFilter(django_filters.FilterSet):
    """``?type=kode_etik|disiplin`` (an unknown type is ignored)."""

    type = django_filters.CharFilter(method="filter_type")

    class Meta:
        model = NeutralityCase
        fields = ["type"]

    def filter_type(self, queryset, name, value):
        if value in NeutralityCase.BreachType.values:
            return queryset.filter(breach_type=value)
        return queryset
