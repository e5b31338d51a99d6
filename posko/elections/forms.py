from django import forms
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import CandidatePair, Contest, Election, Stage, Tps
from posko.elections.services import tps_validation_errors
from posko.regions.models import KabKota, Kelurahan, Pemda, Provinsi


class KelurahanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kecamatan.name} — {obj.name} ({obj.code})"


class TpsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    kelurahan = KelurahanChoiceField(queryset=Kelurahan.objects.none(), label=_("Kelurahan"))

    class Meta:
        model = Tps
        fields = ["kelurahan", "number", "address", "rt", "rw", "latitude", "longitude", "dpt_men",
                  "dpt_women", "special_location", "special_location_note", "accessible", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, election=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The dropdown offers only kelurahan the user may edit.
        self.fields["kelurahan"].queryset = (
            Kelurahan.objects.editable_by(user).select_related("kecamatan").order_by("kecamatan__name", "name"))
        if election is not None and self.instance.election_id is None:
            self.instance.election = election
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        for name in ("dpt_men", "dpt_women", "number"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})

    def _post_clean(self):
        super()._post_clean()
        # The same rules as the API and the import (elections/rules.py).
        if self.instance.election_id is None:
            return
        for field, errors in tps_validation_errors(self.instance).items():
            if field == "dpt_total":
                field = "dpt_women"  # shown under the DPT fields, where the total is made
            for message in errors:
                if field in self.fields and field not in self._errors:
                    self.add_error(field, message)
                elif field not in self.fields:
                    self.add_error(None, message)

    def validate_unique(self):
        pass  # the rules above give the Indonesian message for a taken number


class ElectionForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Election
        fields = ["name", "voting_date", "max_voters_per_tps", "ballot_reserve_percent"]
        widgets = {"voting_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ContestForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Contest
        fields = ["name", "level", "provinsi", "kabkota", "ballot_colour"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        pemda = Pemda.current()
        province = pemda.provinsi_id or pemda.kabkota.provinsi_id if pemda else None
        self.fields["provinsi"].queryset = Provinsi.objects.filter(code=province)
        self.fields["kabkota"].queryset = KabKota.objects.filter(provinsi_id=province)

    def clean(self):
        data = super().clean()
        level, kabkota = data.get("level"), data.get("kabkota")
        if level == Contest.Level.GUBERNUR and kabkota:
            self.add_error("kabkota", _("A governor's contest covers the whole province: leave "
                                        "the regency/city empty."))
        elif level in (Contest.Level.BUPATI, Contest.Level.WALIKOTA) and not kabkota:
            self.add_error("kabkota", _("Choose the regency/city of this contest."))
        return data


class CandidatePairForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CandidatePair
        fields = ["ballot_number", "head_name", "deputy_name", "parties"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class StageForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "start_date", "end_date", "owner"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
