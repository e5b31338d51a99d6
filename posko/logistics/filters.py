"""The FilterSets of the logistics lists (shipments, shortfall cases, the distribution plan,
support requests). Choices are the user's scope; a lurah's operator, who has one kecamatan
and one kelurahan, gets no dropdown for them."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.filters import LabelledFilterSet
from posko.logistics.models import (
    Item,
    PlannedDistribution,
    Shipment,
    Shortfall,
    ShortfallHistory,
    SupportRequest,
    TpsReadiness,
)
from posko.logistics.services.support import needed_soon
from posko.regions.filters import PlaceFilters
from posko.regions.models import Kecamatan

Level = Shipment.Level


def item_choices(request):
    """The items of the request's election (the active one without a request)."""
    if request is None:
        return Item.objects.filter(election__is_active=True)
    return Item.objects.filter(election=request.election)


class ShipmentFilter(PlaceFilters, LabelledFilterSet):
    search_placeholder = _("Seal, vehicle, driver, receiver, place or #")
    hide_single_place = True

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    level = django_filters.ChoiceFilter(field_name="to_level", choices=Level.choices,
                                        label=_("To"), empty_label=_("Every level"))
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    is_return = django_filters.BooleanFilter(label=_("Returns"), widget=forms.Select(choices=[
        ("", _("Deliveries and returns")), ("false", _("Deliveries")), ("true", _("Returns"))]))

    class Meta:
        model = Shipment
        fields = ["search", "level", "status", "is_return", "kecamatan", "kelurahan"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = (Q(seal_numbers__icontains=value) | Q(vehicle__icontains=value)
             | Q(driver__icontains=value) | Q(receiver_name__icontains=value)
             | Q(kelurahan__name__icontains=value) | Q(kecamatan__name__icontains=value))
        digits = value.lstrip("#").removeprefix("TPS").strip().lstrip("0")
        if digits.isdigit():
            q |= Q(pk=int(digits)) | Q(tps__number=int(digits))
        return queryset.filter(q)


class ShortfallFilter(PlaceFilters, LabelledFilterSet):
    hide_single_place = True

    kind = django_filters.ChoiceFilter(choices=Shortfall.Kind.choices, label=_("Kind"),
                                       empty_label=_("Every kind"))
    status = django_filters.ChoiceFilter(method="filter_status", label=_("Status"),
                                         empty_label=_("All statuses"), choices=[
                                             ("unresolved", _("Not resolved")),
                                             *Shortfall.Status.choices])

    class Meta:
        model = Shortfall
        fields = ["kind", "status", "kecamatan", "kelurahan"]

    def filter_status(self, queryset, name, value):
        if value == "unresolved":
            return queryset.open()
        return queryset.filter(status=value)


class PlanFilter(PlaceFilters, LabelledFilterSet):
    hide_single_place = True

    item = django_filters.ModelChoiceFilter(
        queryset=item_choices,
        label=_("Item"), empty_label=_("Every item"))

    class Meta:
        model = PlannedDistribution
        fields = ["kecamatan", "kelurahan", "item"]


class HistoryFilter(PlaceFilters, LabelledFilterSet):
    hide_single_place = True


    class Meta:
        model = ShortfallHistory
        fields = ["kecamatan", "kelurahan"]


class SupportFilter(PlaceFilters, LabelledFilterSet):
    """Filters of the support list (links may prefill them: ``?kind=ambulans``,
    ``?agency=3``, ``?kecamatan=35.73.02``, ``?kelurahan=35.73.02.1007``, ``?soon=on``)."""

    search_placeholder = _("Search description or note")

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=SupportRequest.Kind.choices, label=_("Kind"),
                                       empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(choices=SupportRequest.Status.choices,
                                         label=_("Status"), empty_label=_("All statuses"))
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agency"),
                                              empty_label=_("All agencies"))
    soon = django_filters.BooleanFilter(method="filter_soon", widget=forms.CheckboxInput,
                                        label=_("Needed within 48 h (open)"))

    class Meta:
        model = SupportRequest
        fields = ["search", "kind", "status", "agency", "kecamatan", "kelurahan", "soon"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(description__icontains=value) | Q(note__icontains=value))

    def filter_soon(self, queryset, name, value):
        return needed_soon(queryset) if value else queryset


# --- the H-1 board and the map (a form: they filter readiness rows) -----------------------

def kecamatan_options(user) -> list[tuple[str, str]]:
    return list(Kecamatan.objects.visible_to(user).order_by("name").values_list("code", "name"))


class ReadinessFilterForm(forms.Form):
    """``?kecamatan=<code>&state=<code>`` of the board and the map."""

    kecamatan = forms.ChoiceField(label=_("Kecamatan"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, data, *, user, states):
        super().__init__(data)
        self.kecamatan_options = kecamatan_options(user)
        self.fields["kecamatan"].choices = [("", gettext_now("All kecamatan")), *self.kecamatan_options]
        self.fields["state"].choices = [("", gettext_now("Any state")),
                                        *((s, TpsReadiness.State(s).label) for s in states)]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset.none()
        if self.cleaned_data["kecamatan"]:
            queryset = queryset.filter(kecamatan_id=self.cleaned_data["kecamatan"])
        if self.cleaned_data["state"]:
            queryset = queryset.filter(state=self.cleaned_data["state"])
        return queryset
