"""Writes of the workers module, one file per capability: ``registry`` (workers, replacement,
reveal), ``screening``, ``bpjs``, ``incidents``, ``claims``, ``duty``,
``settings``. Each validates with the
rules, saves and writes its audit row in one transaction; views, the API and the imports only
call these."""

from posko.workers.services.bpjs import contribution_cost, set_coverage
from posko.workers.services.claims import save_claim
from posko.workers.services.duty import duty_alert_recipients, log_duty
from posko.workers.services.incidents import record_incident, update_incident
from posko.workers.services.registry import (
    DERIVED_KEY,
    PERSONAL_FIELDS,
    apply_flags,
    copy_place,
    create_worker,
    derived_changed,
    months_between,
    personal_values,
    replace_worker,
    reveal,
    set_place,
    snapshot,
    update_worker,
    validate,
)
from posko.workers.services.screening import record_screening
from posko.workers.services.settings import update_settings

__all__ = [
    "DERIVED_KEY", "PERSONAL_FIELDS", "apply_flags", "contribution_cost", "copy_place", "create_worker",
    "derived_changed", "duty_alert_recipients", "log_duty", "months_between", "personal_values", "record_incident",
    "record_screening", "replace_worker", "reveal", "save_claim", "set_coverage", "set_place",
    "snapshot", "update_incident", "update_settings", "update_worker", "validate",
]
