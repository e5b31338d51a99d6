"""Which elections and sections the public may see."""

from __future__ import annotations

from django.http import Http404

from posko.core import public
from posko.elections.models import Election
from posko.portal.models import settings_for


def public_election(election_id) -> Election:
    """The election if its portal is on, else 404 (also for an unknown id)."""
    election = Election.cached(election_id)
    if election is None or not settings_for(election.pk)["is_public"]:
        raise Http404
    return election


def shown_sections(election) -> list[public.PublicSection]:
    """The registered sections the admin made public for this election (in order); until
    the admin chooses, those public by default."""
    chosen = settings_for(election.pk)["sections"]
    return [s for s in public.sections()
            if (s.key in chosen if chosen is not None else s.public_by_default)]


def shows(election, key: str) -> bool:
    return any(s.key == key for s in shown_sections(election))


def ttl_of(sections) -> int:
    return min([s.ttl for s in sections] or [300])
