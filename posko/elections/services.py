"""Writes to elections and the TPS registry. Every write validates with the
rules, saves and audits in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, services
from posko.elections import rules
from posko.elections.models import Election, Tps
from posko.elections.signals import announce_tps_changed
from posko.regions.models import Kelurahan, Pemda


def tps_validation_errors(tps: Tps) -> dict[str, list[str]]:
    taken = (
        Tps.objects.filter(election_id=tps.election_id, kelurahan_id=tps.kelurahan_id, number=tps.number)
        .exclude(pk=tps.pk)
        .exists()
        if tps.election_id and tps.kelurahan_id and tps.number
        else False
    )
    problems = rules.tps_problems(
        election=tps.election, pemda=Pemda.current(), kelurahan_code=tps.kelurahan_id,
        number=tps.number, dpt_men=tps.dpt_men, dpt_women=tps.dpt_women,
        latitude=tps.latitude, longitude=tps.longitude,
        special_location=tps.special_location, special_location_note=tps.special_location_note,
        number_taken=taken,
    )
    errors: dict[str, list[str]] = {}
    for field, message in problems:
        errors.setdefault(field, []).append(message)
    return errors


def _check(tps: Tps, actor) -> None:
    tps.set_place()
    errors = tps_validation_errors(tps)
    if errors:
        raise ValidationError(errors)
    # The actor may only place a TPS where they may edit.

    if not Kelurahan.objects.visible_to(actor).filter(code=tps.kelurahan_id).exists() or not getattr(
        actor, "can_edit_registry", False
    ):
        raise ValidationError({"kelurahan": [_outside_scope_message()]})


def _outside_scope_message() -> str:
    return _("You may not add or change TPS in this kelurahan.")


def _changed(tps_list) -> None:
    by_election: dict = {}
    for tps in tps_list:
        by_election.setdefault(tps.election_id, []).append(tps.pk)
    for election_id, ids in by_election.items():
        announce_tps_changed(Election.objects.get(pk=election_id), ids)


@transaction.atomic
def create_tps(tps: Tps, *, actor) -> Tps:
    _check(tps, actor)
    services.create(tps, actor=actor)
    _changed([tps])
    return tps


@transaction.atomic
def update_tps(tps: Tps, *, actor, before: dict) -> Tps:
    _check(tps, actor)
    services.update(tps, actor=actor, before=before)
    _changed([tps])
    return tps


@transaction.atomic
def delete_tps(tps: Tps, *, actor) -> None:
    if not Tps.objects.editable_by(actor).filter(pk=tps.pk).exists():
        raise ValidationError({"kelurahan": [_outside_scope_message()]})
    deleted = Tps(pk=tps.pk, election_id=tps.election_id)
    services.delete(tps, actor=actor)
    # Receivers drop what they keep for the TPS (requirements, readiness, derived values).
    _changed([deleted])


@transaction.atomic
def activate_election(election: Election, *, actor) -> Election:
    """Make ``election`` the active one (and no other)."""
    for other in Election.objects.filter(is_active=True).exclude(pk=election.pk):
        before = audit.snapshot(other)
        other.is_active = False
        services.update(other, actor=actor, before=before)
    before = audit.snapshot(election)
    election.is_active = True
    return services.update(election, actor=actor, before=before)
