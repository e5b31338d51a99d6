"""Outreach writes, one file per capability: activities, turnout, targets, tasks. The names
other code calls are re-exported here (``services.save_activity``…)."""

from posko.outreach.access import can_record, may_edit, may_enter_turnout  # noqa: F401
from posko.outreach.services.activities import (  # noqa: F401
    cancel,
    delete_activity,
    mark_held,
    save_activity,
)
from posko.outreach.services.targets import save_group, set_target, update_settings  # noqa: F401
from posko.outreach.services.tasks import create_followup_task, task_source  # noqa: F401
from posko.outreach.services.turnout import save_turnout  # noqa: F401
