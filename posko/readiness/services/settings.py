"""Saving the weights and thresholds (versioned, audited), then re-evaluating the index."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, jobs, services
from posko.core import readiness as registry
from posko.readiness.services.compute import REEVALUATE_JOB


def update_settings(obj, *, actor, weights: dict, ready_threshold, component_threshold,
                    forecast_window, expected_version: int):
    with transaction.atomic():
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
        known = {c.key for c in registry.components()}
        obj.weights = {**{k: v for k, v in (obj.weights or {}).items() if k not in known},
                       **{k: int(v) for k, v in weights.items() if k in known}}
        obj.ready_threshold = ready_threshold
        obj.component_threshold = component_threshold
        obj.forecast_window = forecast_window
        services.update(obj, actor=actor, before=before, expected_version=expected_version)
        election_id = obj.election_id
        transaction.on_commit(lambda: jobs.enqueue(
            REEVALUATE_JOB, label=_("Recompute the readiness index"), user=actor,
            params={"election": election_id}))
    return obj
