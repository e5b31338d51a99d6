"""Forms of the support-request pages.

Dropdowns are scoped to the user: kecamatan and kelurahan through ``visible_to(user)``,
the TPS through the chosen kelurahan. A camat's request is locked to their kecamatan, a
lurah's to their kelurahan. Place, agency suggestion and every rule are checked by
``posko.logistics.services.support``, whose errors the forms show."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.forms import PlaceFieldsMixin
from posko.elections.models import Tps
from posko.logistics.access import status_choices
from posko.logistics.forms.fields import KelurahanField
from posko.logistics.models import SupportRequest
from posko.regions.models import Kecamatan, Kelurahan


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
            allowed = status_choices(user, req)
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
