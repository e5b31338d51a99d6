from django import forms
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Election, Tps
from posko.elections.services import tps_validation_errors
from posko.regions.models import Kelurahan


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
