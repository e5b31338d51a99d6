"""Forms of the desk area: agencies, the desk and its divisions, task templates."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.coordination.models import Desk, Division, TaskTemplate, TaskTemplateItem
from posko.core.forms import ServiceFormMixin, StyledFormMixin

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-./]{4,28}$")


class AgencyForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["name", "short_name", "kind", "contact_person", "phone", "email", "address"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(_("Enter a phone number with digits only, e.g. 0341-123456."))
        return phone


class DeskForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Desk
        fields = ["decree", "chair_title", "chair_name", "secretariat", "secretary_name",
                  "reports_to"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secretariat"].queryset = Agency.objects.order_by("kind", "name")


class DivisionForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Division
        fields = ["name", "order", "duties", "lead", "members"]
        widgets = {"members": forms.CheckboxSelectMultiple, "duties": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Agency.objects.order_by("kind", "name")
        self.fields["members"].queryset = Agency.objects.order_by("kind", "name")
        self.fields["members"].widget.attrs.pop("class", None)  # checkboxes, not a text box

    def clean(self):
        cleaned = super().clean()
        lead, members = cleaned.get("lead"), cleaned.get("members")
        if lead is not None and members is not None and lead not in members:
            # The lead agency is a member of its division: add it rather than complain.
            cleaned["members"] = members | Agency.objects.filter(pk=lead.pk)
        return cleaned


class TaskTemplateForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TaskTemplate
        fields = ["name", "description", "level"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class TaskTemplateItemForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TaskTemplateItem
        fields = ["title", "description", "agency", "days_from_voting_day", "due_time", "priority",
                  "checklist", "assign_region_operators", "order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "checklist": forms.Textarea(attrs={"rows": 5}),
                   "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.order_by("kind", "name")

    def clean_days_from_voting_day(self):
        days = self.cleaned_data["days_from_voting_day"]
        if not -365 <= days <= 365:
            raise forms.ValidationError(_("Give a number of days between -365 and 365."))
        return days

    def clean_checklist(self):
        lines = [line.strip() for line in self.cleaned_data["checklist"].splitlines() if line.strip()]
        too_long = [line for line in lines if len(line) > 300]
        if too_long:
            raise forms.ValidationError(_("A checklist line may have at most 300 characters."))
        return "\n".join(lines)
