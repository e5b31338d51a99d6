"""The election's worker norms and rules."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from posko.core import services as core_services
from posko.workers.models import WorkerSettings


def update_settings(obj: WorkerSettings, *, actor, before: dict,
                    expected_version: int | None = None) -> WorkerSettings:
    """Save the Desk admin's change; a stale version raises ``ConflictError``."""
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    return core_services.update(obj, actor=actor, before=before, expected_version=expected_version)
