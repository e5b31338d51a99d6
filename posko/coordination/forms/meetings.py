from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency, User
from posko.coordination.models import Decision, Meeting
from posko.coordination.rules import decision_problems
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Election

DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.get_username()}) — {obj.scope_label}"


class MeetingForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    # The version the editor loaded: saving fails if someone saved the meeting since.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Meeting
        fields = ["election", "title", "starts_at", "place", "chair", "agencies", "attendees",
                  "agenda", "minutes"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
            "agencies": forms.CheckboxSelectMultiple,
            "attendees": forms.Textarea(attrs={"rows": 4}),
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, user=None, election=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["election"].queryset = Election.objects.visible_to(user)
        self.fields["agencies"].queryset = Agency.objects.order_by("name")
        self.fields["agencies"].widget.attrs.pop("class", None)  # checkboxes, not text inputs
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        elif not self.instance.election_id and not self.initial.get("election"):
            self.initial["election"] = election.pk if election else None

    def clean(self):
        data = super().clean()
        if self.instance.pk and not data.get("version"):
            self.add_error(None, _("The form is missing its version: reload the page and edit "
                                   "the meeting again."))
        return data


class DecisionForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False,
                                 label=_("Person responsible"))

    class Meta:
        model = Decision
        fields = ["text", "agency", "assignee", "due_at", "order"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "due_at": forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
        }

    def __init__(self, *args, user=None, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        if meeting is not None and not self.instance.meeting_id:
            self.instance.meeting = meeting
        self.fields["agency"].queryset = Agency.objects.order_by("name")
        self.fields["assignee"].queryset = (User.objects.filter(is_active=True)
                                            .select_related("kecamatan", "kelurahan", "agency")
                                            .order_by("first_name", "last_name", "username"))
        self.fields["order"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["agency"].help_text = _("Needed to make the decision a task.")

    def _post_clean(self):
        super()._post_clean()
        if not self.instance.meeting_id:
            return
        for field, errors in decision_problems(self.instance).items():
            for message in errors:
                self.add_error(field if field in self.fields else None, message)
