"""The voting-day report form of a TPS (phone-sized)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.voting.models import ORDER, Problem, Source, State


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
            self.initial.setdefault("happened_at", timezone.localtime(clock.now()).replace(second=0,
                                                                                microsecond=0))


class PhotoInput(forms.FileInput):
    """A phone opens its camera (back side) straight away."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "capture": "environment", **(attrs or {})})


class PhotoForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """A photo of one C.Hasil page (voting.services.evidence.add_photo checks the file)."""

    source = forms.ChoiceField(label=_("Source"), choices=[
        (Source.PEMDA, Source.PEMDA.label), (Source.SAKSI, Source.SAKSI.label)])
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=20, initial=1,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    image = forms.FileField(label=_("Photo"), widget=PhotoInput())
    reason = forms.CharField(label=_("Reason for the new version"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                             help_text=_("Needed when this page already has a photo."))


class ResultForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """A C.Hasil entry for one contest: the counts, each pair's votes, the source, and the
    reason when it corrects an earlier entry."""

    source = forms.ChoiceField(label=_("Source"), choices=[
        (Source.PEMDA, Source.PEMDA.label), (Source.SAKSI, Source.SAKSI.label)])
    voters_dpt = forms.IntegerField(label=_("Voters from the DPT"), min_value=0, max_value=100_000)
    voters_dptb = forms.IntegerField(label=_("Voters from the DPTb"), min_value=0,
                                     max_value=100_000, initial=0)
    voters_dpk = forms.IntegerField(label=_("Voters from the DPK"), min_value=0,
                                    max_value=100_000, initial=0)
    voters_men = forms.IntegerField(label=_("Voters, men"), min_value=0, max_value=100_000,
                                    required=False, help_text=_("Optional."))
    voters_women = forms.IntegerField(label=_("Voters, women"), min_value=0, max_value=100_000,
                                      required=False, help_text=_("Optional."))
    registered_dptb = forms.IntegerField(label=_("Registered in the DPTb"), min_value=0,
                                         max_value=100_000, required=False,
                                         help_text=_("Optional."))
    registered_dpk = forms.IntegerField(label=_("Registered in the DPK"), min_value=0,
                                        max_value=100_000, required=False,
                                        help_text=_("Optional."))
    valid = forms.IntegerField(label=_("Valid votes"), min_value=0, max_value=100_000)
    invalid = forms.IntegerField(label=_("Invalid votes"), min_value=0, max_value=100_000)
    ballots_received = forms.IntegerField(label=_("Ballots received"), min_value=0,
                                          max_value=100_000)
    ballots_used = forms.IntegerField(label=_("Ballots used"), min_value=0, max_value=100_000)
    ballots_unused = forms.IntegerField(label=_("Ballots unused"), min_value=0, max_value=100_000)
    ballots_damaged = forms.IntegerField(label=_("Ballots damaged or returned"), min_value=0,
                                         max_value=100_000, initial=0)
    reason = forms.CharField(label=_("Reason for the correction"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    photo = forms.FileField(label=_("Photo of the C.Hasil (optional)"), required=False,
                            widget=PhotoInput(), help_text=_(
                                "Saved with the result (both or neither). A second photo of "
                                "the same page is a new version and uses the reason above."))
    photo_page = forms.IntegerField(label=_("Page of the photo"), min_value=1, max_value=20,
                                    initial=1, required=False)

    def __init__(self, *args, pairs: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.pairs = pairs
        for number, name in sorted(pairs.items()):
            self.fields[f"votes_{number}"] = forms.IntegerField(
                label=_("Votes for %(pair)s") % {"pair": name}, min_value=0, max_value=100_000,
                widget=forms.NumberInput(attrs={"class": "input"}))
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                field.widget.attrs.update(inputmode="numeric")

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] or 0 for name in (
            "voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid", "ballots_received",
            "ballots_used", "ballots_unused", "ballots_damaged")}
        # Left empty: unknown (None), and the checks that need them are skipped.
        values.update({name: self.cleaned_data[name] for name in (
            "voters_men", "voters_women", "registered_dptb", "registered_dpk")})
        return values

    def votes(self) -> dict[int, int]:
        return {number: self.cleaned_data[f"votes_{number}"] for number in self.pairs}
