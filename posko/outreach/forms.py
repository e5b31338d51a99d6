"""Forms of the outreach pages (FilterSets: filters.py). Dropdowns are scoped to the user; a
camat's kecamatan and a lurah's kelurahan are locked. The rules live in rules.py."""

from __future__ import annotations

from django import forms
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency, Role
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.outreach.models import Activity, OutreachSettings, TargetGroup
from posko.regions.models import Kecamatan, Kelurahan

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"
SHEET_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kecamatan.name} — {obj.name}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [d for d in data if d]
        return [data] if data else []


class ActivityForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    """New or changed activity; phone first (native date-time picker, numeric keyboards)."""

    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.none(), required=False,
                                       label=_("Kecamatan"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan"))
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False,
                                    label=_("Agency"))
    target_groups = forms.ModelMultipleChoiceField(
        queryset=TargetGroup.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple, label=_("Target groups"))
    # Plain integers: the service gives the message for a negative number.
    expected_attendance = forms.IntegerField(required=False, label=_("Expected attendance"))
    attendance = forms.IntegerField(required=False, label=_("Attendance"),
                                    help_text=_("People reached; for media/online: the audience."))
    attendance_men = forms.IntegerField(required=False, label=_("Of whom men"))
    attendance_women = forms.IntegerField(required=False, label=_("Of whom women"))
    confirm_large = forms.BooleanField(required=False, label=_("The number is right"),
                                       help_text=_("Tick when a very large attendance is correct."))
    photos = MultipleFileField(label=_("Photos"), help_text=_("JPEG, PNG or WEBP."))
    sheets = MultipleFileField(label=_("Attendance sheet"),
                               help_text=_("Photo or PDF of the signed attendance list."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Activity
        fields = ["title", "kind", "status", "starts_at", "organiser_kind", "agency",
                  "partner_name", "kecamatan", "kelurahan", "rw", "rt", "venue", "latitude",
                  "longitude", "target_groups", "expected_attendance", "attendance",
                  "attendance_men", "attendance_women", "materials", "notes", "cancel_reason"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                             format="%Y-%m-%dT%H:%M"),
            "materials": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        fields = self.fields
        fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
        fields["kelurahan"].queryset = (Kelurahan.objects.visible_to(user)
                                        .select_related("kecamatan")
                                        .order_by("kecamatan__name", "name"))
        role = user.effective_role
        if role in (Role.KECAMATAN, Role.KELURAHAN):
            fields["kecamatan"].disabled = True
            self.initial["kecamatan"] = user.kecamatan_id
        if role == Role.KELURAHAN:
            fields["kelurahan"].disabled = True
            self.initial["kelurahan"] = user.kelurahan_id
        if role == Role.AGENCY:
            fields["organiser_kind"].disabled = True
            fields["agency"].disabled = True
            self.initial["organiser_kind"] = Activity.OrganiserKind.AGENCY
            self.initial["agency"] = user.agency_id
        elif self.instance.pk is None and not self.initial.get("organiser_kind"):
            self.initial["organiser_kind"] = (Activity.OrganiserKind.KELURAHAN
                                    if role == Role.KELURAHAN else
                                    Activity.OrganiserKind.KECAMATAN if role == Role.KECAMATAN
                                    else Activity.OrganiserKind.PARTNER)
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        for name in ("expected_attendance", "attendance", "attendance_men", "attendance_women",
                     "rw", "rt"):
            fields[name].widget.attrs.update({"inputmode": "numeric"})
        for name in ("latitude", "longitude"):
            fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        fields["photos"].widget.attrs.update({"accept": PHOTO_ACCEPT, "capture": "environment"})
        fields["sheets"].widget.attrs.update({"accept": SHEET_ACCEPT})
        fields["target_groups"].widget.attrs.pop("class", None)
        for name, message in self.out_of_region_messages().items():
            if name in ("kecamatan", "kelurahan"):
                fields[name].error_messages["invalid_choice"] = message

    @staticmethod
    def out_of_region_messages() -> dict[str, str]:
        own_agency = _("As an agency operator you record your own agency's activities.")
        return {"kecamatan": _("Choose a kecamatan within your region."),
                "kelurahan": _("Choose a kelurahan within your region."),
                "organiser_kind": own_agency, "agency": own_agency}

    def clean(self):
        data = super().clean()
        # A locked field takes its initial value whatever is posted: a posted place (or
        # agency) other than the user's own is refused, never silently replaced by it.
        for name, message in self.out_of_region_messages().items():
            field = self.fields[name]
            posted = self.data.get(self.add_prefix(name))
            if not field.disabled or posted in (None, ""):
                continue
            locked = self.get_initial_for_field(field, name)
            if str(posted) != str(getattr(locked, "pk", locked) or ""):
                self.add_error(name, message)
        return data

    def _post_clean(self):
        # Model validation is the service's (one set of messages for pages, API and imports).
        opts = self._meta

        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


class HeldForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """Mark a planned activity held, with its actual figures."""

    starts_at = forms.DateTimeField(label=_("Actual date and time"), required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"))
    attendance = forms.IntegerField(label=_("Attendance"), required=False)
    attendance_men = forms.IntegerField(label=_("Of whom men"), required=False)
    attendance_women = forms.IntegerField(label=_("Of whom women"), required=False)
    confirm_large = forms.BooleanField(required=False, label=_("The number is right"))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleFileField(label=_("Photos"))
    sheets = MultipleFileField(label=_("Attendance sheet"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("attendance", "attendance_men", "attendance_women"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})
        self.fields["photos"].widget.attrs.update({"accept": PHOTO_ACCEPT,
                                                   "capture": "environment"})
        self.fields["sheets"].widget.attrs.update({"accept": SHEET_ACCEPT})


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class TurnoutForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    registered_dptb = forms.IntegerField(label=_("DPTb registered"), required=False, initial=0)
    registered_dpk = forms.IntegerField(label=_("DPK registered"), required=False, initial=0)
    voted_dpt = forms.IntegerField(label=_("Voters from the DPT"), required=False)
    voted_dptb = forms.IntegerField(label=_("Voters from the DPTb"), required=False, initial=0)
    voted_dpk = forms.IntegerField(label=_("Voters from the DPK"), required=False, initial=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, instance=None, user=None, **kwargs):
        """``instance``: the TPS's turnout row (new and unsaved when none was entered yet);
        the service checks who may enter it and the numbers."""
        self.instance = instance
        if instance is not None and instance.pk and "initial" not in kwargs:
            kwargs["initial"] = {**{f: getattr(instance, f) for f in TURNOUT_FIELDS},
                                 "version": instance.version}
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"inputmode": "numeric"})

    def values(self) -> dict:
        return {f: self.cleaned_data.get(f) for f in TURNOUT_FIELDS}

    def save(self, commit=False):
        """The row to hand to the service (never saved here)."""
        return self.instance


TURNOUT_FIELDS = [f for f in TurnoutForm.base_fields if f != "version"]


class SettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = OutreachSettings
        fields = ["target_percent", "low_reach_per_1000", "history_label"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["version"] = self.instance.version
        for kind, label in Activity.Kind.choices:
            self.fields[f"cap_{kind}"] = forms.IntegerField(
                label=_("Attendance cap: %(kind)s") % {"kind": label}, min_value=1,
                initial=self.instance.cap_for(kind))


class TargetForm(StyledFormMixin, forms.Form):
    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.none(), label=_("Kecamatan"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan"),
                               help_text=_("Empty: the target of the whole kecamatan."))
    percent = forms.DecimalField(label=_("Turnout target (%)"), max_digits=5, decimal_places=2,
                                 required=False, help_text=_("Empty: remove this target."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
        self.fields["kelurahan"].queryset = (Kelurahan.objects.visible_to(user)
                                             .select_related("kecamatan")
                                             .order_by("kecamatan__name", "name"))


class GroupForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TargetGroup
        fields = ["name", "order", "is_active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class TaskForm(StyledFormMixin, forms.Form):
    kelurahan = forms.CharField(widget=forms.HiddenInput)
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), label=_("Agency"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


