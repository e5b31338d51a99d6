from __future__ import annotations

from django import forms
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers.models import Claim, Incident, Screening, Worker, WorkerSettings

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TpsChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"TPS {obj.number:03d} {obj.kelurahan.name}"


class WorkerForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    """Birth date and sex may stay empty: they are taken from the NIK."""

    tps = TpsChoiceField(queryset=Tps.objects.none(), required=False, label=_("TPS"))

    class Meta:
        model = Worker
        fields = ["role", "tps", "kelurahan", "kecamatan", "nik", "full_name", "sex", "birth_date",
                  "phone", "address", "domicile_code", "decree_number", "decree_date", "term_start",
                  "term_end", "status"]
        widgets = {"birth_date": DATE, "decree_date": DATE, "term_start": DATE, "term_end": DATE}

    def __init__(self, *args, user, election, reveal=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tps"].queryset = (Tps.objects.editable_by(user).filter(election=election)
                                       .select_related("kelurahan").order_by("kelurahan__name", "number"))
        # A form without the posting (ReplaceForm: the newcomer takes the old post) has
        # no kelurahan and kecamatan fields.
        if "kelurahan" in self.fields:
            self.fields["kelurahan"].queryset = Kelurahan.objects.visible_to(user).order_by("name")
            self.fields["kelurahan"].required = False
            self.fields["kelurahan"].help_text = _("For PPS only.")
        if "kecamatan" in self.fields:
            self.fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
            self.fields["kecamatan"].required = False
            self.fields["kecamatan"].help_text = _("For PPK only.")
        self.fields["sex"].required = False
        self.fields["birth_date"].required = False
        self.fields["domicile_code"].required = False
        self.fields["domicile_code"].help_text = _(
            "Kemendagri code, e.g. 35.73.02.1001. Empty: the posting's kelurahan.")
        if self.instance.pk and not reveal:
            # An existing NIK/phone is not sent to the browser: empty keeps the stored value.
            for name in ("nik", "phone"):
                self.fields[name].required = False
                self.initial[name] = ""
                self.fields[name].widget.attrs["placeholder"] = getattr(self.instance, f"{name}_masked")
                self.fields[name].help_text = _("Leave empty to keep the stored value.")
        if not self.instance.pk:
            self.fields.pop("status", None)

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            for name in ("nik", "phone"):
                if not data.get(name):
                    data[name] = getattr(self.instance, name)
        if not data.get("domicile_code"):
            tps = data.get("tps")
            kel = data.get("kelurahan")
            data["domicile_code"] = tps.kelurahan_id if tps else (kel.pk if kel else "")
        return data

    def _post_clean(self):
        # The service validates (the one NIK function and the rules); the model's own
        # full_clean would repeat it with less helpful messages.
        opts = self._meta

        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


class ReplaceForm(WorkerForm):
    reason = forms.CharField(label=_("Reason for the replacement"), max_length=300)

    class Meta(WorkerForm.Meta):
        fields = ["nik", "full_name", "sex", "birth_date", "phone", "address", "domicile_code",
                  "decree_number", "decree_date", "term_start", "term_end"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tps", "kelurahan", "kecamatan"):
            self.fields.pop(name, None)

    def clean(self):
        return forms.ModelForm.clean(self)


class RevealForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, min_length=5,
                             help_text=_("Why you need the full NIK and phone (recorded in the audit log)."))


class ScreeningForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["date", "facility_kind", "facility_name", "systolic", "diastolic", "blood_sugar",
                  "cholesterol", "result", "note"]
        widgets = {"date": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class CoverageForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Worker
        fields = ["bpjs_status", "bpjs_jkk", "bpjs_jkm", "bpjs_number", "bpjs_start", "bpjs_end",
                  "bpjs_funding"]
        widgets = {"bpjs_start": DATE, "bpjs_end": DATE}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class IncidentForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["kind", "date", "place", "description", "on_duty", "followup"]
        widgets = {"date": DATE, "description": forms.Textarea(attrs={"rows": 3}),
                   "followup": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ClaimForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Claim
        fields = ["programme", "status", "amount", "submitted_on", "decided_on", "note"]
        widgets = {"submitted_on": DATE, "decided_on": DATE}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class DutyForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours on duty"), min_value=0, max_value=48, decimal_places=1)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class SettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = WorkerSettings
        fields = ["kpps_per_tps", "linmas_per_tps", "ptps_per_tps", "pps_per_kelurahan", "ppk_per_kecamatan",
                  "kpps_min_age", "kpps_max_age", "adhoc_min_age", "kpps_domicile_required",
                  "monthly_contribution", "duty_hours_threshold"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
