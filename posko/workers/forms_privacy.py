"""Forms asking why personal data of workers is revealed or exported (UU PDP 27/2022).
The rules are in ``privacy.py``; these forms only collect the answers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.workers import rules
from posko.workers.privacy import MIN_REASON, Purpose

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
