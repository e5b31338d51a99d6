"""The form that moves a shortfall case (status, resolution, owner)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.logistics.models import Shortfall


class ShortfallUpdateForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    status = forms.ChoiceField(choices=Shortfall.Status.choices, label=_("Status"))
    resolution = forms.CharField(label=_("Resolution"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Required to resolve the case: what was done."))
    owner = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False,
                                   label=_("Owner"), empty_label=_("— no owner —"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("status", case.status)
        self.initial.setdefault("resolution", case.resolution)
        self.initial.setdefault("owner", case.owner_id)
        self.initial.setdefault("version", case.version)
        if not getattr(user, "is_desk_admin", False):
            del self.fields["owner"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"status": data["status"], "resolution": data["resolution"],
                  "expected_version": data["version"]}
        if "owner" in self.fields:
            kwargs["owner"] = data["owner"]
        return kwargs
