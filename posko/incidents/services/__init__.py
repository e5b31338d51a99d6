"""Incident writes, one file per capability: reports, public (intake without an account),
evidence, merging, categories, escalation, tasks, pledges, the act catalogue, cases. The names other code calls
are re-exported here (``services.create_report``…)."""

from posko.incidents.access import (  # noqa: F401
    allowed_states,
    can_comment,
    can_report,
    can_triage,
    is_follower,
)
from posko.incidents.services.acts import (  # noqa: F401
    acts_for,
    catalogue_rows,
    ensure_acts,
    save_act,
)
from posko.incidents.services.cases import (  # noqa: F401
    case_from_report,
    case_status,
    mask_name,
    save_case,
)
from posko.incidents.services.categories import (  # noqa: F401
    active_categories,
    category_in_use,
    ensure_categories,
    install_default_categories,
    settings_for,
    update_settings,
)
from posko.incidents.services.escalation import escalate, escalation_recipients  # noqa: F401
from posko.incidents.services.evidence import add_evidence  # noqa: F401
from posko.incidents.services.merging import duplicates, family, merge  # noqa: F401
from posko.incidents.services.pledges import pledge_overview, save_pledge  # noqa: F401
from posko.incidents.services.public import (  # noqa: F401
    RateLimited,
    client_hash,
    find_tps,
    kelurahan_choices,
    normalise_code,
    public_rate_limited,
    public_status,
    submit_public,
)
from posko.incidents.services.reports import (  # noqa: F401
    add_comment,
    create_report,
    set_targets,
    transition,
    update_triage,
)
from posko.incidents.services.tasks import spawn_task, task_source  # noqa: F401
