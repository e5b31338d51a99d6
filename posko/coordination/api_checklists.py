"""Coordination API: supervision checklists of an election, with their items and each
item's responsible agencies. Pemda-wide like the pages (every signed-in user sees them);
``?election=`` for another election than the active one.

``POST checklists/{id}/answers/`` (the offline field app's supervision form) saves one
region's answers under a required Idempotency-Key: ``region`` (a kelurahan code for a
kelurahan-level checklist, a kecamatan code for a kecamatan-level one) must be a region the
caller answers for, else 404; unknown items or answers are a 400 and nothing is saved."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from posko.accounts.models import Agency
from posko.coordination.api import ActiveElectionFilterMixin
from posko.coordination.models import SupervisionChecklist, SupervisionItem, SupervisionResponse
from posko.coordination.services import checklists as service
from posko.core.api import ScopedReadOnlyViewSet, service_errors_as_400
from posko.core.idempotency import header_parameter, idempotent


class ResponsibleAgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "short_name"]


class SupervisionItemSerializer(serializers.ModelSerializer):
    agencies = ResponsibleAgencySerializer(many=True, read_only=True,
                                           help_text=_("The agencies responsible for the item."))

    class Meta:
        model = SupervisionItem
        fields = ["id", "order", "text", "agencies"]


class SupervisionChecklistSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True, allow_null=True,
                                       default=None)
    items = SupervisionItemSerializer(many=True, read_only=True)

    class Meta:
        model = SupervisionChecklist
        fields = ["id", "election", "stage", "stage_name", "title", "description", "level",
                  "items"]


class AnswerEntrySerializer(serializers.Serializer):
    item = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=SupervisionResponse.Answer.choices)
    finding = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=service.FINDING_MAX)


class AnswersSerializer(serializers.Serializer):
    region = serializers.CharField(
        max_length=20, help_text=_("Kelurahan code (kelurahan-level checklist) or kecamatan "
                                   "code (kecamatan-level)."))
    answers = AnswerEntrySerializer(many=True, allow_empty=False)


class AnswersResultSerializer(serializers.Serializer):
    checklist = serializers.IntegerField()
    region = serializers.CharField()
    changed = serializers.IntegerField()
    answered = serializers.IntegerField()
    expected = serializers.IntegerField()


class ChecklistFilter(ActiveElectionFilterMixin):
    class Meta:
        model = SupervisionChecklist
        fields = ["election", "stage"]


class SupervisionChecklistViewSet(ScopedReadOnlyViewSet):
    """The supervision checklists of the active election (``?election=`` for another,
    ``?stage=`` for one stage), by stage, each with its items and their responsible
    agencies."""

    queryset = (SupervisionChecklist.objects.select_related("stage")
                .prefetch_related(Prefetch("items", queryset=SupervisionItem.objects.order_by(
                    "order", "pk").prefetch_related(Prefetch(
                        "agencies", queryset=Agency.objects.order_by("name", "pk")))))
                .order_by("stage__start_date", "title", "pk"))
    serializer_class = SupervisionChecklistSerializer
    filterset_class = ChecklistFilter

    @extend_schema(request=AnswersSerializer, responses={200: AnswersResultSerializer},
                   parameters=[header_parameter(required=True)])
    @action(detail=True, methods=["post"], serializer_class=AnswersSerializer)
    def answers(self, request, pk=None):
        """Save one region's answers (the items sent; the others stay as they were)."""
        checklist = self.get_object()
        code = str(request.data.get("region", "")) if hasattr(request.data, "get") else ""
        region = service.answerable_regions(checklist, request.user).filter(code=code).first()
        if region is None:
            raise Http404  # a region the caller does not answer for is one that does not exist
        return idempotent(request, lambda: self._answer(request, checklist, region))

    def _answer(self, request, checklist, region):
        serializer = AnswersSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        items = {i.pk: i for i in checklist.items.all()}
        entries, unknown = [], []
        for entry in serializer.validated_data["answers"]:
            item = items.get(entry["item"])
            if item is None:
                unknown.append(str(entry["item"]))
                continue
            entries.append(service.Answer(item, entry["answer"], entry["finding"]))
        if unknown:
            raise serializers.ValidationError({"answers": [
                _("These items are not in this checklist: %(items)s.") % {
                    "items": ", ".join(unknown)}]})
        with service_errors_as_400():
            changed = service.save_answers(checklist, region, entries, actor=request.user)
        answered = service.responses_for(checklist, region).count()
        return Response(AnswersResultSerializer({
            "checklist": checklist.pk, "region": region.code, "changed": changed,
            "answered": answered, "expected": len(items)}).data)


ROUTES = [
    ("checklists", SupervisionChecklistViewSet, "checklist"),
]
