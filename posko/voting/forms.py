"""The voting-day report form of a TPS (phone-sized)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.voting.models import ORDER, Problem, State


class ReportForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    state = forms.ChoiceField(label=_("New state"), required=False)
    happened_at = forms.DateTimeField(
        label=_("When"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."))
    kpps_present = forms.IntegerField(label=_("KPPS present"), required=False, min_value=0,
                                      max_value=50)
    linmas_present = forms.IntegerField(label=_("Linmas present"), required=False, min_value=0,
                                        max_value=50)
    problem = forms.ChoiceField(label=_("Problem"), required=False,
                                choices=[("", "—"), *Problem.choices])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000)

    def __init__(self, *args, day=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = ORDER.index(day.state) if day is not None and day.state else -1
        self.fields["state"].choices = [("", _("(no change)"))] + [
            (value, State(value).label) for value in ORDER[current + 1:]]
        if not self.is_bound:
            self.initial.setdefault("happened_at", timezone.localtime().replace(second=0,
                                                                                microsecond=0))
