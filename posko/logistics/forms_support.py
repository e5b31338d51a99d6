"""Forms and the FilterSet of the support-request pages.

Dropdowns are scoped to the user: kecamatan and kelurahan through ``visible_to(user)``,
the TPS through the chosen kelurahan. A camat's request is locked to their kecamatan, a
lurah's to their kelurahan. Place, agency suggestion and every rule are checked by
``posko.logistics.support`` (the service), whose errors the forms show."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.forms import PlaceFieldsMixin
from posko.elections.models import Tps
from posko.logistics import support
from posko.logistics.models import SupportRequest
from posko.regions.models import Kecamatan, Kelurahan


def _user(request):
    return getattr(request, "user", None)


def kecamatan_choices(request):
    return Kecamatan.objects.visible_to(_user(request)).order_by("name")


def kelurahan_choices(request):
    return (Kelurahan.objects.visible_to(_user(request)).select_related("kecamatan")
            .order_by("kecamatan__name", "name"))


def kelurahan_label(kelurahan: Kelurahan) -> str:
    return f"{kelurahan.kecamatan.name} — {kelurahan.name}"


class KelurahanFilterField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class KelurahanFilter(django_filters.ModelChoiceFilter):
    field_class = KelurahanFilterField


class SupportFilter(django_filters.FilterSet):
    """Filters of the support list (links may prefill them: ``?kind=ambulans``,
    ``?agency=3``, ``?kecamatan=35.73.02``, ``?kelurahan=35.73.02.1007``, ``?soon=on``)."""

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=SupportRequest.Kind.choices, label=_("Kind"),
                                       empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(choices=SupportRequest.Status.choices,
                                         label=_("Status"), empty_label=_("All statuses"))
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agency"),
                                              empty_label=_("All agencies"))
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"),
                                                 empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))
    soon = django_filters.BooleanFilter(method="filter_soon", widget=forms.CheckboxInput,
                                        label=_("Needed within 48 h (open)"))

    class Meta:
        model = SupportRequest
        fields = ["search", "kind", "status", "agency", "kecamatan", "kelurahan", "soon"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("aria-label", str(field.label))
        search = self.form.fields["search"].widget
        search.input_type = "search"
        search.attrs["placeholder"] = _("Search description or note")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(description__icontains=value) | Q(note__icontains=value))

    def filter_soon(self, queryset, name, value):
        return support.needed_soon(queryset) if value else queryset


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class TpsField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} {obj.kelurahan.name}" + (f" — {obj.address}" if obj.address else "")


class SupportRequestForm(PlaceFieldsMixin, ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.none(), required=False,
                                       label=_("Kecamatan"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan"))
    tps = TpsField(queryset=Tps.objects.none(), required=False, label=_("TPS"))
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False,
                                    label=_("Fulfilled by"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = SupportRequest
        fields = ["kind", "description", "quantity", "kecamatan", "kelurahan", "tps", "agency",
                  "needed_by"]
        widgets = {
            "needed_by": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                             format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        req = self.instance
        fields = self.fields
        if req.pk is None:
            del fields["version"]
        else:
            self.initial["version"] = req.version

        fields["agency"].empty_label = _("— suggest from the kind —")
        fields["agency"].help_text = _(
            "Left empty: transport goes to Dinas Perhubungan, an ambulance to Dinas Kesehatan, "
            "a tent, generator or lights to BPBD; other kinds need an agency.")
        fields["quantity"].widget.attrs["min"] = 1
        fields["needed_by"].help_text = _("Date and time (WIB).")
        fields["description"].help_text = _("What exactly, e.g. \"tenda 4 x 6 m\".")
        self.setup_place_fields(user, req.election_id)
        fields["tps"].empty_label = _("— the whole kelurahan —")
        fields["kelurahan"].empty_label = _("— the whole kecamatan —")


class SupportStatusForm(forms.Form):
    """Move a request to another status; carries the version the page was rendered with."""

    status = forms.ChoiceField(choices=SupportRequest.Status.choices, label=_("New status"))
    note = forms.CharField(required=False, label=_("Note (required when rejecting)"),
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, req=None, user=None, **kwargs):
        if req is not None and not kwargs.get("data") and not args:
            kwargs.setdefault("initial", {"version": req.version})
        super().__init__(*args, **kwargs)
        if req is not None and user is not None:
            allowed = support.status_choices(user, req)
            self.fields["status"].choices = [(v, label) for v, label in
                                             SupportRequest.Status.choices if v in allowed]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")

    def add_service_errors(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = field if field in ("status", "note") else None
                for message in errors:
                    self.add_error(target, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)
