"""The kecamatan/kelurahan choice every module's filter bar offers, scoped to the user.

``PlaceFilters`` is mixed into a module's FilterSet (before ``LabelledFilterSet``) to add
the two filters: ``?kecamatan=<code>`` and ``?kelurahan=<code>``, each offering only the
places the requesting user may see; a kelurahan is labelled "Kecamatan — Kelurahan"."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from posko.regions.models import Kecamatan, Kelurahan


def _user(request):
    return getattr(request, "user", None)


def kelurahan_label(kelurahan: Kelurahan) -> str:
    return f"{kelurahan.kecamatan.name} — {kelurahan.name}"


def kecamatan_choices(request):
    return Kecamatan.objects.visible_to(_user(request)).order_by("name")


def kelurahan_choices(request):
    return (Kelurahan.objects.visible_to(_user(request)).select_related("kecamatan")
            .order_by("kecamatan__name", "name"))


class KelurahanFilterField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class KelurahanFilter(django_filters.ModelChoiceFilter):
    field_class = KelurahanFilterField


class PlaceFilters(django_filters.FilterSet):
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"), empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))
