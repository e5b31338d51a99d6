"""The joint decree's catalogue of prohibited acts, per election: seeded from
``posko.incidents.skb2022``, edited by the Desk admin (validated, saved and audited in one
transaction; optimistic locking)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from posko.core import services
from posko.core.services import raise_problems
from posko.incidents.models import ProhibitedAct
from posko.incidents.rules import act_problems
from posko.incidents.skb2022 import ACTS


def catalogue_rows(election_id: int) -> list[dict]:
    """The decree's acts as field values for one election (the data migration uses them too)."""
    return [{"election_id": election_id, "code": code, "description": description,
             "breach_type": breach, "severity": severity, "legal_basis": basis,
             "order": (i + 1) * 10}
            for i, (code, description, breach, severity, basis) in enumerate(ACTS)]


def ensure_acts(election) -> int:
    """Install the decree's acts missing (by code) in the election's catalogue; returns how
    many. An act the admin edited or retired stays as it is."""
    if election is None:
        return 0
    existing = set(ProhibitedAct.objects.filter(election=election).values_list("code", flat=True))
    missing = [ProhibitedAct(**row) for row in catalogue_rows(election.pk)
               if row["code"] not in existing]
    ProhibitedAct.objects.bulk_create(missing)
    return len(missing)


def acts_for(election):
    """The election's acts in use (the catalogue installed on first use)."""
    if election is None:
        return ProhibitedAct.objects.none()
    if not ProhibitedAct.objects.filter(election=election).exists():
        ensure_acts(election)
    return ProhibitedAct.objects.filter(election=election, is_active=True)


@transaction.atomic
def save_act(act: ProhibitedAct, *, actor, before: dict | None = None,
             expected_version: int | None = None) -> ProhibitedAct:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    raise_problems(act_problems(act, before))
    if act.pk is None:
        return services.create(act, actor=actor)
    return services.update(act, actor=actor, before=before, expected_version=expected_version)
