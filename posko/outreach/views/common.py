"""What the outreach pages share: an object in scope, activities in scope, bar widths."""

from __future__ import annotations

from django.http import Http404

from posko.outreach.models import (
    Activity,
)


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
