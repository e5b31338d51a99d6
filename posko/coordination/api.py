"""Coordination API: agencies, stages, tasks (list, create, status, notes) and meetings.

Same rules as the pages: reads through ``visible_to(user)`` (outside it: 404), writes
only on rows in ``editable_by(user)`` (visible but not editable: 403), and every write
through ``posko.coordination.services``. A service's ValidationError is a 400 with the
same field errors; a ConflictError (someone saved the task since the caller read it)
is a 409 carrying the conflict message and the current version (core's exception
handler). Tasks use the task pages' FilterSet.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from posko.accounts.models import Agency, Role, User
from posko.coordination.filters import TaskFilter
from posko.coordination.models import (
    Attachment,
    Decision,
    Meeting,
    Task,
    TaskChecklistItem,
    TaskNote,
)
from posko.coordination.services import tasks as services
from posko.core import clock
from posko.core.api import (
    EditableInScope,
    ScopedMixin,
    ScopedModelSerializer,
    ScopedReadOnlyViewSet,
    ScopedSerializer,
)
from posko.elections.filters import election_choices
from posko.elections.models import Election, Stage, Tps
from posko.regions.models import Kecamatan, Kelurahan


class ActiveElectionFilterMixin(django_filters.FilterSet):
    """``?election=<id>``; without it, the active election's rows only."""

    election = django_filters.ModelChoiceFilter(
        queryset=election_choices, label=_("election"),
        help_text=_("Election id; the active election when left out."))

    def __init__(self, data=None, *args, **kwargs):
        # Always bound, so the default election applies to an empty query too.
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("election"):
            queryset = queryset.filter(election__is_active=True)
        return queryset


# --- agencies ---------------------------------------------------------------------------------

class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "kind", "contact_person", "phone", "email", "address"]


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """Pemda agencies and partner institutions (every signed-in user sees them all);
    filter with ``?kind=``."""

    queryset = Agency.objects.all()
    serializer_class = AgencySerializer
    filterset_fields = ["kind"]


# --- stages ------------------------------------------------------------------------------------

class StageSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text=_("From today's date: upcoming, ongoing or done."))

    class Meta:
        model = Stage
        fields = ["id", "election", "name", "start_date", "end_date", "owner", "status"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, stage) -> str:
        today = self.context.get("today") or clock.today()
        return stage.status(today)


class StageFilter(ActiveElectionFilterMixin):
    class Meta:
        model = Stage
        fields = ["election"]


class StageViewSet(ScopedReadOnlyViewSet):
    """The stages (tahapan) of the active election (``?election=`` for another)."""

    queryset = Stage.objects.all()
    serializer_class = StageSerializer
    filterset_class = StageFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": clock.today()}


# --- tasks ---------------------------------------------------------------------------------------

class TaskChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskChecklistItem
        fields = ["id", "text", "done"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class TaskNoteSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TaskNote
        fields = ["id", "task", "author", "text", "status_from", "status_to", "created_at",
                  "attachments"]


class TaskSerializer(ScopedModelSerializer):
    """A task. On create, the place may be a TPS, a kelurahan or a kecamatan (the wider
    ones follow from the narrower); a camat's or lurah's task defaults to their region,
    an agency operator's to their agency."""

    election = serializers.PrimaryKeyRelatedField(
        queryset=Election.objects.all(), required=False,
        help_text=_("Election id; the active election when left out."))
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False,
        help_text=_("Owning agency; an agency operator's own agency when left out."))
    assignees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), many=True, required=False)
    # Scoped by ScopedModelSerializer: another region's place "does not exist".
    kecamatan = serializers.PrimaryKeyRelatedField(queryset=Kecamatan.objects.all(),
                                                   required=False, allow_null=True)
    kelurahan = serializers.PrimaryKeyRelatedField(queryset=Kelurahan.objects.all(),
                                                   required=False, allow_null=True)
    tps = serializers.PrimaryKeyRelatedField(queryset=Tps.objects.all(), required=False,
                                             allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    checklist = TaskChecklistItemSerializer(many=True, read_only=True)
    checklist_items = serializers.ListField(
        child=serializers.CharField(max_length=300), write_only=True, required=False,
        help_text=_("Checklist items of a new task, one string each."))

    class Meta:
        model = Task
        fields = ["id", "election", "title", "description", "agency", "assignees", "kecamatan",
                  "kelurahan", "tps", "stage", "due_at", "priority", "status", "blocked_reason",
                  "overdue", "checklist", "checklist_items", "created_by", "created_at",
                  "updated_at", "completed_at", "version"]
        read_only_fields = ["created_by", "created_at", "updated_at", "completed_at", "version"]
        validators = []

    def validate(self, attrs):
        user = self.context["request"].user
        role = user.effective_role
        errors = {}
        if attrs.get("election") is None:
            attrs["election"] = self.context["request"].election
            if attrs["election"] is None:
                raise serializers.ValidationError(
                    {"election": _("There is no active election: choose one.")})
        if role == Role.AGENCY:
            attrs.setdefault("agency", user.agency)
            if attrs["agency"] is None or attrs["agency"].pk != user.agency_id:
                errors["agency"] = [_("An agency operator's tasks belong to their own agency.")]
        elif attrs.get("agency") is None:
            errors["agency"] = [_("This field is required.")]
        tps, kelurahan, kecamatan = attrs.get("tps"), attrs.get("kelurahan"), attrs.get("kecamatan")
        # A camat's or lurah's task stays inside their region (as on the task form).
        if role == Role.KELURAHAN and not kelurahan and not tps:
            kelurahan = attrs["kelurahan"] = user.kelurahan
        if role == Role.KECAMATAN and not (kecamatan or kelurahan or tps):
            kecamatan = attrs["kecamatan"] = user.kecamatan
        if kelurahan and kecamatan and kelurahan.kecamatan_id != kecamatan.pk:
            errors["kelurahan"] = [_("%(kelurahan)s is not in Kecamatan %(kecamatan)s.") % {
                "kelurahan": kelurahan.name, "kecamatan": kecamatan.name}]
        if tps and (tps.election_id != attrs["election"].pk
                    or (kelurahan and tps.kelurahan_id != kelurahan.pk)):
            errors["tps"] = [_("This TPS is not in the chosen kelurahan.")]
        stage = attrs.get("stage")
        if stage and stage.election_id != attrs["election"].pk:
            errors["stage"] = [_("This stage belongs to another election.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TaskDetailSerializer(TaskSerializer):
    notes = TaskNoteSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "notes"]


class TaskStatusSerializer(ScopedSerializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    blocked_reason = serializers.CharField(required=False, allow_blank=True, default="",
                                           help_text=_("Required when the status is blocked."))
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version the change was made from (as last read); "
                                 "a task saved by someone else since then gives 409."))


class TaskNoteCreateSerializer(ScopedSerializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list,
        help_text=_("Photos (JPEG, PNG, WEBP) or PDF; multipart/form-data."))


class TaskFilterWithElection(ActiveElectionFilterMixin, TaskFilter):
    """The task pages' filters, plus ``?election=`` (the active election by default)."""

    class Meta(TaskFilter.Meta):
        fields = ["election", *TaskFilter.Meta.fields]


class TaskSchema(AutoSchema):
    """PATCH of a task takes a whole TaskStatus (status and version required), not the
    all-optional "Patched" copy drf-spectacular makes of a PATCH body by default."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        if self.method == "PATCH" and isinstance(force_instance(serializer), TaskStatusSerializer):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)


class TaskViewSet(ScopedMixin, viewsets.ModelViewSet):
    """Tasks the caller may see, of the active election by default (``?election=``).

    Create needs the right to edit tasks; ``PATCH`` changes the status (and the reason
    it is blocked) and needs the ``version`` last read: a stale version is a 409.
    ``POST tasks/{id}/notes/`` adds a progress note, with files as multipart."""

    queryset = Task.objects.all()
    schema = TaskSchema()
    permission_classes = [permissions.IsAuthenticated, EditableInScope]
    filterset_class = TaskFilterWithElection
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset().prefetch_related(
            Prefetch("assignees", queryset=User.objects.only("id")), "checklist")
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch(
                "notes", queryset=TaskNote.objects.prefetch_related("attachments")))
        return qs

    def get_serializer_class(self):
        return TaskDetailSerializer if self.action == "retrieve" else TaskSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        assignees = data.pop("assignees", [])
        checklist = data.pop("checklist_items", [])
        task = services.create_task(Task(**data), actor=self.request.user,
                                    assignees=assignees, checklist=checklist)
        serializer.instance = Task.objects.prefetch_related("assignees", "checklist").get(pk=task.pk)

    @extend_schema(request=TaskStatusSerializer, responses={
        200: TaskSerializer, 400: OpenApiResponse(description=_("Invalid status change.")),
        409: OpenApiResponse(description=_("Saved by someone else since `version`."))})
    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        change = TaskStatusSerializer(data=request.data, context=self.get_serializer_context())
        change.is_valid(raise_exception=True)
        data = change.validated_data
        services.change_status(task, data["status"], actor=request.user,
                               expected_version=data["version"], reason=data["blocked_reason"])
        task = Task.objects.prefetch_related("assignees", "checklist").get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"multipart/form-data": TaskNoteCreateSerializer,
                 "application/json": TaskNoteCreateSerializer},
        responses={201: TaskNoteSerializer, 400: OpenApiResponse(description=_("Invalid note."))})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def notes(self, request, pk=None):
        task = self.get_object()
        payload = TaskNoteCreateSerializer(data=request.data,
                                           context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        note = services.add_note(task, actor=request.user, text=payload.validated_data["text"],
                                 files=payload.validated_data["files"])
        note = TaskNote.objects.prefetch_related("attachments").get(pk=note.pk)
        return Response(TaskNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# --- meetings ---------------------------------------------------------------------------------

class DecisionSerializer(serializers.ModelSerializer):
    task_status = serializers.CharField(source="task.status", read_only=True, allow_null=True,
                                        help_text=_("Status of the task made from the decision."))

    class Meta:
        model = Decision
        fields = ["id", "text", "agency", "assignee", "due_at", "task", "task_status", "order"]


class MeetingSerializer(serializers.ModelSerializer):
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "election", "title", "starts_at", "place", "chair", "agencies",
                  "attendees", "agenda", "minutes", "decisions"]


class MeetingFilter(ActiveElectionFilterMixin):
    class Meta:
        model = Meeting
        fields = ["election"]


class MeetingViewSet(ScopedReadOnlyViewSet):
    """Coordination meetings of the active election (``?election=``), newest first, with
    their decisions and the status of the tasks made from them."""

    queryset = Meeting.objects.prefetch_related(
        "agencies", Prefetch("decisions", queryset=Decision.objects.select_related("task")))
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter


ROUTES = [
    ("agencies", AgencyViewSet, "agency"),
    ("stages", StageViewSet, "stage"),
    ("tasks", TaskViewSet, "task"),
    ("meetings", MeetingViewSet, "meeting"),
]
