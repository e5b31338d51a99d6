"""FilterSets of the outreach lists, used by the page and the API. Choice querysets follow
the request's user (a camat sees only their kecamatan)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.outreach.models import Activity, TargetGroup
from posko.regions.filters import PlaceFilters


class ActivityFilter(PlaceFilters):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices, label=_("Kind"),
                                       empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(choices=Activity.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    organiser_kind = django_filters.ChoiceFilter(choices=Activity.OrganiserKind.choices,
                                                 label=_("Organiser"),
                                                 empty_label=_("All organisers"))
    group = django_filters.ModelChoiceFilter(field_name="target_groups",
                                             queryset=TargetGroup.objects.all(),
                                             label=_("Target group"), empty_label=_("All groups"))
    date_from = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte",
                                          label=_("From"),
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte",
                                        label=_("To"),
                                        widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Activity
        fields = ["search", "kind", "status", "organiser_kind", "group", "kecamatan", "kelurahan",
                  "date_from", "date_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        self.form.fields["search"].widget.input_type = "search"
        self.form.fields["search"].widget.attrs["placeholder"] = _("Search title, partner, venue")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(partner_name__icontains=value)
                               | Q(venue__icontains=value) | Q(materials__icontains=value))
