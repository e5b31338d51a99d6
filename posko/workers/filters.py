"""One FilterSet per list, used by its page and the API: workers, incidents."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.core.filters import IntegerFilter
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers.indicators import registered_elsewhere
from posko.workers.models import Incident, Worker


def _user(request):
    return getattr(request, "user", None)


def kecamatan_choices(request):
    return Kecamatan.objects.visible_to(_user(request)) if request else Kecamatan.objects.none()


def kelurahan_choices(request):
    return Kelurahan.objects.visible_to(_user(request)) if request else Kelurahan.objects.none()


class WorkerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name"))
    role = django_filters.ChoiceFilter(choices=Worker.Role.choices, label=_("Role"))
    status = django_filters.ChoiceFilter(choices=Worker.Status.choices, label=_("Status"))
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, label=_("Kecamatan"))
    kelurahan = django_filters.ModelChoiceFilter(queryset=kelurahan_choices, label=_("Kelurahan"))
    tps = IntegerFilter(field_name="tps_id", label=_("TPS id"))
    bpjs_status = django_filters.ChoiceFilter(choices=Worker.Bpjs.choices, label=_("BPJS status"))
    screening = django_filters.ChoiceFilter(
        method="filter_screening", label=_("Screening"),
        choices=[("belum", _("not screened")), *[c for c in Worker.Screening.choices if c[0]]])
    flagged = django_filters.BooleanFilter(method="filter_flagged", label=_("Eligibility flagged"))
    covered = django_filters.BooleanFilter(method="filter_covered", label=_("Active BPJS coverage"))
    outside_domicile = django_filters.BooleanFilter(label=_("Domiciled outside the kelurahan"))
    votes_elsewhere = django_filters.BooleanFilter(method="filter_votes_elsewhere",
                                                   label=_("Registered to vote at another TPS"))
    election = IntegerFilter(method="filter_election", label=_("Election id"))

    class Meta:
        model = Worker
        fields = ["q", "role", "status", "kecamatan", "kelurahan", "tps", "bpjs_status", "screening",
                  "covered", "flagged", "outside_domicile", "votes_elsewhere"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if not (data or {}).get("election"):
            active = getattr(self.request, "election", None)
            self.queryset = self.queryset.filter(election=active) if active else self.queryset.none()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(full_name__icontains=value))

    def filter_screening(self, queryset, name, value):
        if value == "belum":
            return queryset.filter(screening_result="")
        return queryset.filter(screening_result=value)

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(flags="") if value else queryset.filter(flags="")

    def filter_covered(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(bpjs_status=Worker.Bpjs.AKTIF)
        return queryset.exclude(bpjs_status=Worker.Bpjs.AKTIF)

    def filter_votes_elsewhere(self, queryset, name, value):
        if value is None:
            return queryset
        elsewhere = registered_elsewhere(queryset)
        return elsewhere if value else queryset.exclude(pk__in=elsewhere.values("pk"))

    def filter_election(self, queryset, name, value):
        return queryset.filter(election_id=value)


def worker_choices(request):
    return Worker.objects.visible_to(_user(request)) if request else Worker.objects.none()


class IncidentFilter(django_filters.FilterSet):
    """The incident list (by kind) and the API (worker, kind, covered)."""

    worker = django_filters.ModelChoiceFilter(queryset=worker_choices, label=_("Worker"))
    kind = django_filters.ChoiceFilter(choices=Incident.Kind.choices, label=_("Kind"))
    covered = django_filters.BooleanFilter(label=_("covered by BPJS when it happened"))

    class Meta:
        model = Incident
        fields = ["worker", "kind", "covered"]

