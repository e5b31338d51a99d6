"""What the outreach pages share: the election, an object in scope, number formatting."""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.elections.models import Election
from posko.outreach.models import (
    Activity,
)


def election_or_404(request) -> Election:
    election = request.election
    if election is None:
        raise Http404(_("There is no active election yet."))
    return election


def get_visible(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=-value.as_tuple().exponent, force_grouping=True)
    return number_format(value, force_grouping=True)


def _activities(user):
    return (Activity.objects.visible_to(user)
            .select_related("kecamatan", "kelurahan", "agency")
            .prefetch_related("target_groups"))


# --- coverage ---------------------------------------------------------------------------

def _bar(value, top) -> float:
    if not value or not top:
        return 0.0
    return round(min(100.0, float(value) * 100 / float(top)), 1)
