"""Forms of the workers module: the registry, a worker's records (screening, BPJS, incidents,
claims, duty hours), the election's settings, and the forms asking why personal data is
revealed or exported (UU PDP 27/2022; the rules are in ``privacy.py``)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.forms.models import construct_instance
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from posko.core import personal
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import rules
from posko.workers.models import Claim, Incident, Screening, Worker, WorkerSettings
from posko.workers.privacy import MIN_REASON, Purpose

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TpsChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"TPS {obj.number:03d} {obj.kelurahan.name}"


class WorkerForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    """Birth date and sex may stay empty: they are taken from the NIK."""

    tps = TpsChoiceField(queryset=Tps.objects.none(), required=False, label=_("TPS"))
    registered_tps = TpsChoiceField(
        queryset=Tps.objects.none(), required=False, label=_("TPS of registration"),
        help_text=_("Where the worker is on the voters' list (DPT), if known. A KPPS registered "
                    "at another TPS counts for Bawaslu's indicator 'KPPS bertugas/memilih di luar "
                    "domisili'."))
    # The version the page was loaded with (a stale save is the core 409 page).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Worker
        fields = ["role", "tps", "kelurahan", "kecamatan", "nik", "full_name", "sex", "birth_date",
                  "phone", "address", "domicile_code", "registered_tps", "decree_number", "decree_date",
                  "term_start", "term_end", "status"]
        widgets = {"birth_date": DATE, "decree_date": DATE, "term_start": DATE, "term_end": DATE}

    def __init__(self, *args, user, election, reveal=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.fields["tps"].queryset = (Tps.objects.editable_by(user).filter(election=election)
                                       .select_related("kelurahan").order_by("kelurahan__name", "number"))
        # Any TPS of the election the user may see (a KPPS may vote in the next kelurahan).
        registered = Tps.objects.visible_to(user).filter(election=election)
        if self.instance.registered_tps_id:  # kept even if outside the user's area
            registered = Tps.objects.filter(Q(pk__in=registered.values("pk"))
                                            | Q(pk=self.instance.registered_tps_id))
        self.fields["registered_tps"].queryset = registered.select_related("kelurahan").order_by(
            "kelurahan__name", "number")
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
                  "registered_tps", "decree_number", "decree_date", "term_start", "term_end"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("tps", "kelurahan", "kecamatan", "version"):  # the newcomer is a new row
            self.fields.pop(name, None)

    def clean(self):
        return forms.ModelForm.clean(self)


RevealForm = personal.RevealForm  # the reason for revealing NIK, phone, name, address


class ScreeningForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Screening
        fields = ["date", "facility_kind", "facility_name", "systolic", "diastolic", "blood_sugar",
                  "cholesterol", "result", "note"]
        widgets = {"date": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class CoverageForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    # The worker's version the page was loaded with (a stale save is a 409).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Worker
        fields = ["bpjs_status", "bpjs_jkk", "bpjs_jkm", "bpjs_number", "bpjs_start", "bpjs_end",
                  "bpjs_funding"]
        widgets = {"bpjs_start": DATE, "bpjs_end": DATE}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


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
        fields = ["programme", "status", "amount", "amount_reason", "submitted_on", "decided_on",
                  "note"]
        widgets = {"submitted_on": DATE, "decided_on": DATE}

    def __init__(self, *args, user=None, regulated=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regulated is not None:
            amount, regulation = regulated
            self.fields["amount"].help_text = gettext(
                "JKM: Rp%(amount)s (%(regulation)s), filled in when left empty. JKK: the costs "
                "BPJS reimburses.") % {"amount": f"{amount:,.0f}".replace(",", "."),
                                       "regulation": regulation}
        self.fields["amount_reason"].help_text = _(
            "Needed when a JKM amount differs from the regulated benefit.")


class DutyForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours on duty"), min_value=0, max_value=48, decimal_places=1)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class SettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    # The version the page was loaded with (a stale save is a 409); a post without it saves.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = WorkerSettings
        fields = ["kpps_per_tps", "linmas_per_tps", "ptps_per_tps", "pps_per_kelurahan", "ppk_per_kecamatan",
                  "kpps_min_age", "kpps_max_age", "adhoc_min_age", "kpps_domicile_required",
                  "adhoc_domicile_required", "monthly_contribution", "duty_hours_threshold",
                  "jkm_benefit", "jkm_regulation"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


# --- personal data: why it is revealed or exported ---------------------------------------------

REASON_WIDGET = forms.Textarea(attrs={"rows": 2})
REASON_REQUIRED = _("Give the reason for exporting personal data.")


class HealthRevealForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=REASON_WIDGET,
        error_messages={"required": _("Give the reason for revealing the health measurements.")},
        help_text=_("Why you need this worker's blood pressure, blood sugar and cholesterol "
                    "(recorded in the audit log)."))


class ExportForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """An export of the worker list with personal data: which data, why, in which format."""

    personal = forms.BooleanField(label=_("Full NIK and phone"), required=False)
    health = forms.BooleanField(label=_("Health measurements of the latest screening"),
                                required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.CHOICES,
                                widget=forms.RadioSelect,
                                error_messages={"required": _("Choose the purpose of the export.")})
    purpose_other = forms.CharField(label=_("Other purpose"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=REASON_WIDGET,
                             error_messages={"required": REASON_REQUIRED})
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")],
                               initial="xlsx", widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the kinds of personal data this user may have; a single kind is preset.
        kinds = [name for name, allowed in (("personal", user.can_see_personal_data),
                                            ("health", rules.can_see_health(user))) if allowed]
        for name in ("personal", "health"):
            if name not in kinds:
                del self.fields[name]
        if len(kinds) == 1:
            self.fields[kinds[0]].initial = True
        for name in ("purpose", "format", "personal", "health"):
            if name in self.fields:
                self.fields[name].widget.attrs.pop("class", None)
        self.fields["reason"].help_text = gettext(
            "Who receives the list and why (at least %(n)s characters). Recorded in the audit "
            "log with your name, the time and the number of rows.") % {"n": MIN_REASON}


class BpjsExportForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """The BPJS enrolment list holds full NIKs by nature: its purpose is set, the reason
    is asked."""

    reason = forms.CharField(label=_("Reason"), max_length=500, widget=REASON_WIDGET,
                             error_messages={"required": REASON_REQUIRED})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = gettext(
            "E.g. the letter or agreement with BPJS Ketenagakerjaan the list is sent under (at "
            "least %(n)s characters). Recorded in the audit log with your name, the time and "
            "the number of rows.") % {"n": MIN_REASON}
