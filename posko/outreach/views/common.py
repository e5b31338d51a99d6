"""What the outreach pages share: an object in scope, activities in scope, bar widths."""

from __future__ import annotations

from django.http import Http404

from posko.outreach.models import (
    Activity,
)
from posko.regions.models import Kecamatan


def get_visible(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def activities_in_scope(user):
    return (Activity.objects.visible_to(user)
            .select_related("kecamatan", "kelurahan", "agency")
            .prefetch_related("target_groups"))


def bar(value, top) -> float:
    if not value or not top:
        return 0.0
    return round(min(100.0, float(value) * 100 / float(top)), 1)


def kecamatan_in_scope(request) -> str | None:
    """The ``?kecamatan=`` code of a roll-up page, if the user may see it (otherwise 404)."""
    code = request.GET.get("kecamatan") or None
    if code and not Kecamatan.objects.visible_to(request.user).filter(code=code).exists():
        raise Http404
    return code
