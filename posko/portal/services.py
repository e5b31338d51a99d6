"""Writes of the portal module: the per-election switch and section choice, audited."""

from __future__ import annotations

from posko.core import services
from posko.portal.models import PortalSettings


def settings_for(election) -> PortalSettings:
    return PortalSettings.for_election(election)


def update_settings(obj: PortalSettings, *, actor, before: dict, expected_version=None):
    """Save the switch and the sections (optimistic lock, audit row in the same transaction);
    the portal's cache moves on at once (the model is watched by ``core.constants``)."""
    obj.sections = sorted(set(obj.sections or []))
    obj.sections_chosen = True
    return services.update(obj, actor=actor, before=before, expected_version=expected_version)
