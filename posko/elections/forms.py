from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Role
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import CandidatePair, Contest, Election, Stage, Tps
from posko.elections.services import tps_validation_errors
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi


class PlaceFieldsMixin:
    """For forms with ``kecamatan``, ``kelurahan`` and ``tps`` fields: choices scoped to the
    user, a camat's kecamatan and a lurah's kelurahan preset and locked, and the TPS list
    following the chosen kelurahan (the page refreshes it with htmx)."""

    def setup_place_fields(self, user, election_id) -> None:
        fields = self.fields
        fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
        fields["kelurahan"].queryset = (Kelurahan.objects.visible_to(user).select_related("kecamatan")
                                        .order_by("kecamatan__name", "name"))
        role = user.effective_role
        if role in (Role.KECAMATAN, Role.KELURAHAN):
            fields["kecamatan"].disabled = True
            fields["kecamatan"].required = True
            self.initial["kecamatan"] = user.kecamatan_id
        if role == Role.KELURAHAN:
            fields["kelurahan"].disabled = True
            fields["kelurahan"].required = True
            self.initial["kelurahan"] = user.kelurahan_id
        if not fields["kelurahan"].disabled:
            fields["tps"].help_text = _("Choose the kelurahan first; the list follows it.")
        kelurahan = self.chosen_kelurahan()
        fields["tps"].queryset = (
            Tps.objects.visible_to(user).filter(election_id=election_id, kelurahan_id=kelurahan)
            .select_related("kelurahan").order_by("number") if kelurahan else Tps.objects.none())

    def chosen_kelurahan(self) -> str | None:
        field = self.fields["kelurahan"]
        if field.disabled:
            return self.initial.get("kelurahan")
        if self.is_bound:
            return self.data.get(self.add_prefix("kelurahan")) or None
        value = self.initial.get("kelurahan")
        return getattr(value, "pk", value) or None


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
