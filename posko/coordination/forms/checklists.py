"""Forms of the supervision checklists: the checklist, its items, and one region's answers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.coordination.models import SupervisionChecklist, SupervisionItem, SupervisionResponse
from posko.coordination.services.checklists import FINDING_MAX, Answer
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Stage


class ChecklistForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = SupervisionChecklist
        fields = ["stage", "title", "description", "level"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the stages of the checklist's own election.
        self.fields["stage"].queryset = Stage.objects.filter(
            election_id=self.instance.election_id).order_by("start_date", "name")


class ChecklistItemForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = SupervisionItem
        fields = ["text", "agencies", "order"]
        widgets = {"agencies": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = Agency.objects.order_by("kind", "name")
        self.fields["agencies"].widget.attrs.pop("class", None)
        self.fields["agencies"].help_text = _(
            "An unmet item becomes a task for the first of these (or the one chosen).")


class AnswerForm(forms.Form):
    """One item's answer; the fill page shows one per item (prefix ``item-<pk>``)."""

    answer = forms.ChoiceField(
        label=_("answer"), required=False, widget=forms.RadioSelect,
        choices=SupervisionResponse.Answer.choices)
    finding = forms.CharField(label=_("finding"), required=False, max_length=FINDING_MAX,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "input"}))
    # No "capture" attribute: on phones it would allow the camera only, not a photo taken earlier.
    photo = forms.FileField(label=_("photo"), required=False, widget=forms.FileInput(
        attrs={"accept": "image/jpeg,image/png,image/webp"}))

    def __init__(self, *args, item, response=None, **kwargs):
        self.item, self.response = item, response
        initial = kwargs.pop("initial", None) or {}
        if response is not None:
            initial = {"answer": response.answer, "finding": response.finding, **initial}
        super().__init__(*args, initial=initial, prefix=f"item-{item.pk}", **kwargs)

    def to_answer(self) -> Answer:
        data = self.cleaned_data
        return Answer(self.item, data.get("answer") or "", data.get("finding") or "",
                      data.get("photo") or None)
