"""Task forms: create/edit, status change, notes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import Task
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.forms import PlaceFieldsMixin
from posko.elections.models import Stage, Tps
from posko.regions.filters import kelurahan_label
from posko.regions.models import Kecamatan, Kelurahan

UPLOAD_ACCEPT = "application/pdf,image/jpeg,image/png,image/webp,.pdf,.jpg,.jpeg,.png,.webp"


# --- create / edit --------------------------------------------------------------------------

class AssigneeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name() or user.get_username()
        return f"{name} ({user.get_username()}) · {user.role_label} · {user.scope_label}"


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class TpsField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} {obj.kelurahan.name}" + (f" — {obj.address}" if obj.address else "")


def assignee_queryset():
    """Active users of the Pemda (this instance serves one Pemda)."""
    return (User.objects.filter(is_active=True).select_related("kecamatan", "kelurahan", "agency")
            .order_by("first_name", "last_name", "username"))


class TaskForm(PlaceFieldsMixin, ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    assignees = AssigneeField(queryset=User.objects.none(), required=False, label=_("Assignees"),
                              help_text=_("A camat or lurah can only be given tasks in their own "
                                          "region."))
    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.none(), required=False,
                                       label=_("Kecamatan"))
    kelurahan = KelurahanField(queryset=Kelurahan.objects.none(), required=False,
                               label=_("Kelurahan"))
    tps = TpsField(queryset=Tps.objects.none(), required=False, label=_("TPS"))
    checklist = forms.CharField(
        required=False, label=_("Checklist"), help_text=_("One item per line."),
        widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Task
        fields = ["title", "description", "agency", "assignees", "kecamatan", "kelurahan", "tps",
                  "stage", "due_at", "priority", "status", "blocked_reason"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "blocked_reason": forms.Textarea(attrs={"rows": 2}),
            "due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        task = self.instance
        is_new = task.pk is None
        role = user.effective_role
        fields = self.fields

        if is_new:
            del fields["version"]
        else:
            del fields["checklist"]
            self.initial["version"] = task.version

        fields["agency"].queryset = Agency.objects.all()
        if role == Role.AGENCY:
            # An agency operator's new tasks belong to their agency; an existing task keeps its own.
            agency_id = task.agency_id if not is_new else user.agency_id
            fields["agency"].queryset = Agency.objects.filter(pk=agency_id)
            fields["agency"].disabled = True
            self.initial["agency"] = agency_id

        fields["assignees"].queryset = assignee_queryset()
        # A camat's or lurah's task stays inside their region: the region is preset and locked.
        self.setup_place_fields(user, task.election_id)
        fields["stage"].queryset = Stage.objects.filter(election_id=task.election_id)
        fields["stage"].empty_label = _("— no stage —")
        fields["due_at"].help_text = _("Date and time (WIB).")
        fields["assignees"].widget.attrs["size"] = 6

    def clean(self):
        data = super().clean()
        kecamatan, kelurahan, tps = data.get("kecamatan"), data.get("kelurahan"), data.get("tps")
        if kelurahan and kecamatan and kelurahan.kecamatan_id != kecamatan.pk:
            self.add_error("kelurahan", _("%(kelurahan)s is not in Kecamatan %(kecamatan)s.") % {
                "kelurahan": kelurahan.name, "kecamatan": kecamatan.name})
        if tps and kelurahan and tps.kelurahan_id != kelurahan.pk:
            self.add_error("tps", _("This TPS is not in the chosen kelurahan."))
        if data.get("status") != Task.Status.TERHAMBAT:
            data["blocked_reason"] = ""
        return data

    def checklist_lines(self) -> list[str]:
        text = self.cleaned_data.get("checklist") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class TaskStatusForm(forms.Form):
    """Move a task to another status; carries the version the page was rendered with."""

    status = forms.ChoiceField(choices=Task.Status.choices, label=_("Status"))
    reason = forms.CharField(required=False, label=_("Reason (when blocked)"),
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, task=None, **kwargs):
        self.task = task
        if task is not None and not kwargs.get("data") and not args:
            kwargs.setdefault("initial", {"status": task.status, "reason": task.blocked_reason,
                                          "version": task.version})
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")

    def save(self, commit=False):
        """The task itself: the status service applies the change (``ObjectEditView``)."""
        return self.task

    def add_service_errors(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                target = {"blocked_reason": "reason", "status": "status"}.get(field)
                for message in errors:
                    self.add_error(target, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


class TaskNoteForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """A progress note; its files are read from ``request.FILES.getlist("files")``."""

    text = forms.CharField(required=False, label=_("Progress note"),
                           widget=forms.Textarea(attrs={"rows": 3}))
