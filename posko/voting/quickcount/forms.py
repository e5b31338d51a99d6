"""The quick-count design form (Desk admin)."""

from __future__ import annotations

import secrets

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.voting.models import QuickCountDesign

FIELDS = ["strata", "target_moe", "sample_size", "min_per_stratum", "seed", "show_after_percent"]


class QuickCountDesignForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = QuickCountDesign
        fields = FIELDS
        help_texts = {
            "target_moe": _("E.g. 2 (points). Empty when you give the sample size."),
            "sample_size": _("Empty when you give a target margin of error."),
            "seed": _("Any whole number; recorded so anyone can redraw the same sample."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seed"].required = False
        for name, low, high in (("seed", 0, 2**63 - 1), ("min_per_stratum", 1, 100)):
            self.fields[name].validators += [MinValueValidator(low), MaxValueValidator(high)]
            self.fields[name].widget.attrs.update(min=low, max=high)
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else None
            if not self.instance.pk:
                self.initial["seed"] = secrets.randbelow(10**9)

    def values(self) -> dict:
        data = {name: self.cleaned_data[name] for name in FIELDS}
        if data["seed"] is None:
            data["seed"] = secrets.randbelow(10**9)
        return data
