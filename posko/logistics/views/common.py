"""Helpers the logistics pages share: links, percentages, place names, the region drill-down."""

from __future__ import annotations

from django.http import Http404
from django.urls import NoReverseMatch, reverse

from posko.elections import drilldown
from posko.elections.drilldown import Level


def safe_url(name: str, *args) -> str:
    """The URL, or "" while the page that owns ``name`` does not exist (yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def percent(part, whole) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None


def in_election(queryset, election):
    """The rows of ``election`` (none without an election)."""
    return queryset.filter(election=election) if election else queryset.none()


def get_visible(queryset, user, pk):
    try:
        return queryset.visible_to(user).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def place_text(obj) -> str:
    """"Kec. Klojen › Kauman › TPS 001" for a shipment or a case."""
    parts = [f"Kec. {obj.kecamatan.name}"] if obj.kecamatan_id else []
    if obj.kelurahan_id:
        parts.append(obj.kelurahan.name)
    if obj.tps_id:
        parts.append(obj.tps.label)
    return " › ".join(parts)


class DrillDownView(drilldown.DrillDownView):
    """Shared by the requirement and readiness pages."""

    def scoped(self, queryset, level: Level):
        """Rows of ``queryset`` inside ``level`` that the user may see."""
        return level.narrow(queryset.visible_to(self.request.user))
