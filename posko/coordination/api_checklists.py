"""Coordination API: supervision checklists of an election, read-only, with their items
and each item's responsible agencies. Pemda-wide like the pages (every signed-in user
sees them); ``?election=`` for another election than the active one."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from posko.accounts.models import Agency
from posko.coordination.api import ActiveElectionFilterMixin
from posko.coordination.models import SupervisionChecklist, SupervisionItem
from posko.core.api import ScopedReadOnlyViewSet


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


ROUTES = [
    ("checklists", SupervisionChecklistViewSet, "checklist"),
]
