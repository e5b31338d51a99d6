"""The one TPS FilterSet, shared by the API and the HTML list.

Use it with or without a request::

    TpsFilter(request.GET, queryset=Tps.objects.visible_to(user), request=request).qs
    TpsFilter({"kecamatan": "35.73.02"}, queryset=Tps.objects.visible_to(user)).qs

Without ``election`` it keeps the TPS of the request's election (``request.election``: the
active one unless an admin looks at another), or of the active election without a request. With a request,
the kecamatan/kelurahan choices are the user's scope; without one, the Pemda.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.core.election import chosen_pk
from posko.elections.models import Election, Tps
from posko.regions.models import Kecamatan, Kelurahan, Pemda


def _user(request):
    return getattr(request, "user", None)


def kecamatan_choices(request):
    """Kecamatan a filter may name: the user's scope, or the Pemda's without a request."""
    if request is not None:
        return Kecamatan.objects.visible_to(_user(request))
    pemda = Pemda.current()
    return pemda.kecamatan_queryset() if pemda else Kecamatan.objects.none()


def kelurahan_choices(request):
    """Kelurahan a filter may name: the user's scope, or the Pemda's without a request."""
    if request is not None:
        return Kelurahan.objects.visible_to(_user(request))
    pemda = Pemda.current()
    if pemda is None:
        return Kelurahan.objects.none()
    return Kelurahan.objects.filter(kecamatan__in=pemda.kecamatan_queryset())


def election_choices(request):
    if request is not None:
        return Election.objects.visible_to(_user(request))
    return Election.objects.all()


class TpsFilter(django_filters.FilterSet):
    election = django_filters.ModelChoiceFilter(
        queryset=election_choices, label=_("election"),
        help_text=_("Election id; the active election when left out."))
    kecamatan = django_filters.ModelChoiceFilter(
        queryset=kecamatan_choices, to_field_name="code", label=_("kecamatan"),
        help_text=_("Kemendagri kecamatan code, e.g. 35.73.02."))
    kelurahan = django_filters.ModelChoiceFilter(
        queryset=kelurahan_choices, to_field_name="code", label=_("kelurahan"),
        help_text=_("Kemendagri kelurahan/desa code, e.g. 35.73.02.1001."))
    special_location = django_filters.ChoiceFilter(
        choices=Tps.SpecialLocation.choices[1:], label=_("special location"))
    search = django_filters.CharFilter(
        method="filter_search", label=_("search"),
        help_text=_("Part of the address or of the kelurahan name."))

    class Meta:
        model = Tps
        fields = ["election", "kecamatan", "kelurahan", "special_location", "search"]

    def __init__(self, data=None, *args, **kwargs):
        # Always bound, so the default election applies to an empty query too.
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(address__icontains=value) | Q(kelurahan__name__icontains=value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("election"):
            if self.request is not None and chosen_pk(self.request) is not None:
                queryset = queryset.filter(election=self.request.election)
            else:  # the active election, by a join rather than one more query
                queryset = queryset.filter(election__is_active=True)
        return queryset
