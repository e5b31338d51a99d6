"""Forms of the report pages. Dropdowns are scoped to the user; every
rule is checked by ``posko.incidents.services``, whose errors the forms show."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency, User
from posko.core import clock
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.forms import PlaceFieldsMixin
from posko.elections.models import Stage, Tps
from posko.incidents import privacy, services
from posko.incidents.models import (
    Category,
    IncidentSettings,
    NeutralityCase,
    Pledge,
    ProhibitedAct,
    Report,
    State,
)
from posko.regions.models import Kecamatan, Kelurahan


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (checked by content in the service, not here)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "image/jpeg,image/png,image/webp,application/pdf,video/mp4,video/webm,video/3gpp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kecamatan.name} — {obj.name}"


class TpsField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} {obj.kelurahan.name}" + (f" — {obj.address}" if obj.address else "")


FILE_HELP = _("Photos (JPEG, PNG, WEBP), PDF or a short video (MP4, WEBM, 3GP); up to 5 files. "
              "Photos: 10 MB each, videos: 30 MB.")


class ReportForm(PlaceFieldsMixin, ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    """An official's report (create) or the triage edit of its details."""

    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.none(), required=False,
                                       label=_("Kecamatan"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan"))
    tps = TpsField(queryset=Tps.objects.none(), required=False, label=_("TPS"))
    files = MultipleFileField(label=_("Evidence"), help_text=FILE_HELP)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Report
        fields = ["category", "title", "occurred_at", "kecamatan", "kelurahan", "tps",
                  "location_note", "latitude", "longitude", "description", "involves_violence",
                  "intimidation", "severity", "source", "stage"]
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                               format="%Y-%m-%dT%H:%M"),
            "description": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, user, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        fields = self.fields
        fields["category"].queryset = services.active_categories()
        fields["stage"].queryset = Stage.objects.filter(election=election)
        fields["stage"].help_text = _("Left empty: the stage of the day it happened.")
        if self.instance.source == Report.Source.PUBLIC and self.instance.pk:
            fields["source"].disabled = True  # a citizen's report stays a citizen's report
        else:
            fields["source"].choices = [c for c in Report.Source.choices
                                        if c[0] != Report.Source.PUBLIC]
        fields["involves_violence"].help_text = _("Someone was hurt or threatened with force.")
        fields["intimidation"].help_text = _("KPPS, PPS, PPK or PTPS were intimidated.")
        fields["latitude"].help_text = _("Optional: a point on the map (e.g. from the phone's GPS).")
        for name in ("latitude", "longitude"):
            fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        if self.instance.pk:
            del fields["files"]
            self.initial.setdefault("version", self.instance.version)
        elif not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"))
        self.setup_place_fields(user, election.pk)
        fields["tps"].empty_label = _("— not at a TPS —")
        fields["kelurahan"].empty_label = _("— the whole kecamatan —")


class TransitionForm(ServiceFormMixin, forms.Form):
    """Move a report to another state (the triage panel of the detail page). ``save`` does
    not write: the view passes ``cleaned_data`` to ``services.transition``."""

    state = forms.ChoiceField(choices=State.choices, label=_("New state"))
    note = forms.CharField(required=False, label=_("Note (reason when rejecting, resolution when "
                                                   "closing)"),
                           widget=forms.Textarea(attrs={"rows": 2}))
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False,
                                    label=_("Agency"))
    forwarded_to = forms.ChoiceField(choices=Report.Body.choices, required=False,
                                     label=_("Outside body"))
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False,
                                      label=_("Person"))
    public_note = forms.CharField(required=False, max_length=300,
                                  label=_("Note for the reporter (public, optional)"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, report=None, instance=None, user=None, **kwargs):
        report = self.report = report if report is not None else instance
        if report is not None and not kwargs.get("data") and not args:
            kwargs.setdefault("initial", {"version": report.version, "agency": report.agency_id,
                                          "forwarded_to": report.forwarded_to,
                                          "public_note": report.public_note})
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).filter(
            Q(agency__isnull=False) | Q(role="admin")).order_by("username")
        if report is not None and user is not None:
            allowed = services.allowed_states(user, report)
            self.fields["state"].choices = [(v, label) for v, label in State.choices if v in allowed]
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")

    def full_clean(self):
        super().full_clean()
        state = self.data.get("state") if self.is_bound else None
        if "state" in self._errors and state in State.values and self.report is not None:
            # A state the user may not reach from here: say so in words.
            self._errors.pop("state")
            self.add_error("state", _("A report that is %(current)s cannot be moved to "
                                      "%(state)s.") % {"current": State(self.report.state).label,
                                                       "state": State(state).label})

    def save(self, commit=False):
        return self.report


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Internal comment"), widget=forms.Textarea(attrs={
        "rows": 2, "class": "input"}))


class EvidenceForm(forms.Form):
    files = MultipleFileField(label=_("Add evidence"), help_text=FILE_HELP)


class PublicReportForm(forms.Form):
    """The citizen's form: plain HTML, works without JavaScript."""

    category = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("What happened?"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), label=_("Kelurahan"))
    tps_number = forms.IntegerField(required=False, min_value=1, max_value=999,
                                    label=_("TPS number (if at a TPS)"))
    location_note = forms.CharField(required=False, max_length=200,
                                    label=_("Where exactly (street, landmark)"))
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    title = forms.CharField(max_length=150, label=_("Short title"))
    description = forms.CharField(label=_("Describe what happened"),
                                  widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Photos, PDF or a short video (optional)"), help_text=FILE_HELP)
    reporter_name = forms.CharField(required=False, max_length=150,
                                    label=_("Your name (optional)"))
    reporter_contact = forms.CharField(required=False, max_length=150,
                                       label=_("Phone or e-mail (optional)"),
                                       help_text=_("Only the Desk Pilkada sees it, to ask you "
                                                   "about the report."))
    # Honeypot: hidden from people (CSS), filled in by bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = services.active_categories()
        self.fields["kelurahan"].queryset = services.kelurahan_choices()
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"))
        for name, field in self.fields.items():
            if name != "website":
                field.widget.attrs.setdefault("class", "input")
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})


class StatusLookupForm(forms.Form):
    kode = forms.CharField(max_length=20, label=_("Tracking code"),
                           widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off",
                                                         "placeholder": "LP-XXXX-XXXX"}))


class CategoryForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Category
        fields = ["code", "name", "indicator", "is_security", "is_neutrality_asn", "default_agency",
                  "order", "is_active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class SettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = IncidentSettings
        fields = ["respond_kritis", "resolve_kritis", "respond_tinggi", "resolve_tinggi",
                  "respond_sedang", "resolve_sedang", "respond_rendah", "resolve_rendah",
                  "duplicate_window_hours", "public_limit", "public_window_minutes",
                  "pledge_min_percent"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)


class PledgeForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Pledge
        fields = ["agency", "asn_total", "asn_covered", "signed_on", "signatory", "document", "note"]
        widgets = {"signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.all()
        if self.instance.pk:
            self.fields["agency"].disabled = True
            self.initial.setdefault("version", self.instance.version)


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ActField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.description} ({obj.get_severity_display()})"


class CaseForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    prohibited_act = ActField(queryset=ProhibitedAct.objects.none(), required=False,
                              label=_("Act of the joint decree"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan of the office"))

    class Meta:
        model = NeutralityCase
        fields = ["agency", "asn_name", "asn_position", "kecamatan", "kelurahan", "occurred_on",
                  "prohibited_act", "act", "breach_type", "bawaslu_finding",
                  "bawaslu_recommendation", "recommendation_date", "referred_bkn_on",
                  "referred_ppk_on", "sanction", "sanction_date", "lighter_sanction_reason"]
        widgets = {
            "occurred_on": DATE_WIDGET, "recommendation_date": DATE_WIDGET,
            "referred_bkn_on": DATE_WIDGET, "referred_ppk_on": DATE_WIDGET,
            "sanction_date": DATE_WIDGET, "act": forms.Textarea(attrs={"rows": 3}),
            "bawaslu_finding": forms.Textarea(attrs={"rows": 3}),
            "bawaslu_recommendation": forms.Textarea(attrs={"rows": 3}),
            "lighter_sanction_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["agency"].queryset = Agency.objects.all()
        acts = services.acts_for(self.instance.election if self.instance.election_id else None)
        if self.instance.prohibited_act_id:  # a retired act stays on the cases that name it
            acts = acts | ProhibitedAct.objects.filter(pk=self.instance.prohibited_act_id)
        fields["prohibited_act"].queryset = acts
        fields["prohibited_act"].help_text = _("The sanction must be at least the act's.")
        fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
        fields["kecamatan"].help_text = _("Where the ASN's office is: its camat sees the case.")
        fields["kelurahan"].queryset = (Kelurahan.objects.visible_to(user)
                                        .select_related("kecamatan").order_by("kecamatan__name",
                                                                              "name"))
        fields["breach_type"].required = False
        fields["breach_type"].help_text = _("Left empty: the type of the act.")
        self.fields["asn_name"].help_text = _("Personal data: shown masked to users without "
                                              "personal-data access.")
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
            # The saved name is not sent to the browser (UU PDP: it is revealed on the case's
            # page with a reason): an empty field keeps it, a new value replaces it.
            self.initial["asn_name"] = ""
            fields["asn_name"].required = False
            fields["asn_name"].widget.attrs["placeholder"] = privacy.case_name(self.instance)
            fields["asn_name"].help_text = _("Personal data: leave empty to keep the saved name "
                                             "(shown masked), or type the corrected name.")

    def clean_asn_name(self):
        name = (self.cleaned_data.get("asn_name") or "").strip()
        if not name and self.instance.pk:
            return self.instance.asn_name
        return name


class ActForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProhibitedAct
        fields = ["code", "description", "breach_type", "severity", "legal_basis", "order",
                  "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("version", self.instance.version)
