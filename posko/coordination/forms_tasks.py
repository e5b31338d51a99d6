"""Forms and the FilterSet of the task pages.

Every dropdown is scoped to the user: regions through ``visible_to(user)``, the TPS
through the chosen kelurahan, the stages through the task's election. A camat's or
lurah's task is forced inside their own region; an agency operator's task belongs to
their agency."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency, Role, User
from posko.coordination.models import Task
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.forms import PlaceFieldsMixin
from posko.elections.models import Stage, Tps
from posko.regions.models import Kecamatan, Kelurahan

UPLOAD_ACCEPT = "application/pdf,image/jpeg,image/png,image/webp,.pdf,.jpg,.jpeg,.png,.webp"


def _user(request):
    return getattr(request, "user", None)


def kecamatan_choices(request):
    return Kecamatan.objects.visible_to(_user(request)).order_by("name")


def kelurahan_choices(request):
    return (Kelurahan.objects.visible_to(_user(request)).select_related("kecamatan")
            .order_by("kecamatan__name", "name"))


def agency_choices(request):
    return Agency.objects.all()


def stage_choices(request):
    return Stage.objects.visible_to(_user(request)).filter(election__is_active=True)


def kelurahan_label(kelurahan: Kelurahan) -> str:
    return f"{kelurahan.kecamatan.name} — {kelurahan.name}"


class KelurahanFilterField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class KelurahanFilter(django_filters.ModelChoiceFilter):
    field_class = KelurahanFilterField


class TaskFilter(django_filters.FilterSet):
    """Filters of the task list and the board (also prefilled by links from elsewhere:
    ``?agency=3``, ``?stage=7``, ``?kecamatan=35.73.02``, ``?kelurahan=35.73.02.1001``)."""

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    agency = django_filters.ModelChoiceFilter(queryset=agency_choices, label=_("Agency"),
                                              empty_label=_("All agencies"))
    stage = django_filters.ModelChoiceFilter(queryset=stage_choices, label=_("Stage"),
                                             empty_label=_("All stages"))
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"), empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))
    priority = django_filters.ChoiceFilter(choices=Task.Priority.choices, label=_("Priority"),
                                           empty_label=_("Any priority"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=forms.CheckboxInput,
                                           label=_("Overdue"))
    due_soon = django_filters.BooleanFilter(method="filter_due_soon", widget=forms.CheckboxInput,
                                            label=_("Due within 48 h"))
    mine = django_filters.BooleanFilter(method="filter_mine", widget=forms.CheckboxInput,
                                        label=_("Mine (assigned to me or created by me)"))

    class Meta:
        model = Task
        fields = ["search", "status", "agency", "stage", "kecamatan", "kelurahan", "priority",
                  "overdue", "due_soon", "mine"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("aria-label", str(field.label))
        self.form.fields["search"].widget.attrs.update(
            {"type": "search", "placeholder": _("Search title or description")})

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset

    def filter_due_soon(self, queryset, name, value):
        return queryset.due_within(48) if value else queryset

    def filter_mine(self, queryset, name, value):
        return mine(queryset, _user(self.request)) if value else queryset


def mine(queryset, user):
    """Tasks assigned to ``user`` or created by them."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    through = Task.assignees.through
    return queryset.filter(Q(pk__in=through.objects.filter(user_id=user.pk).values("task_id"))
                           | Q(created_by_id=user.pk))


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
        if task is not None and not kwargs.get("data") and not args:
            kwargs.setdefault("initial", {"status": task.status, "reason": task.blocked_reason,
                                          "version": task.version})
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")

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
