from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.core import public
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.portal.models import PortalSettings


class PortalSettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sections = forms.MultipleChoiceField(
        label=_("Public sections"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what is ticked is public; every figure is a total per TPS or above."))

    class Meta:
        model = PortalSettings
        fields = ["is_public", "sections"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        registered = public.sections()
        self.fields["sections"].choices = [(s.key, s.label) for s in registered]
        self.initial.setdefault("version", self.instance.version)
        if not self.instance.sections_chosen:
            self.initial["sections"] = [s.key for s in registered if s.public_by_default]

    def save(self, commit=True):
        self.instance.sections_chosen = True
        return super().save(commit=commit)
