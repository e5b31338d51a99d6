"""Who may record, edit and enter turnout."""

from __future__ import annotations

from posko.accounts.models import Role
from posko.core.scope import may_edit_at
from posko.outreach.models import Activity

Organiser = Activity.OrganiserKind

# --- permissions ----------------------------------------------------------------------

def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_record(user) -> bool:
    if not _active(user):
        return False
    role = user.effective_role
    return role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN) or (
        role == Role.AGENCY and bool(user.agency_id))


def may_edit(user, activity: Activity) -> bool:
    """Inside the user's region (agency operators: their agency's activities)."""
    if not can_record(user):
        return False
    role = user.effective_role
    if role == Role.ADMIN:
        return True
    if role == Role.KECAMATAN:
        return bool(activity.kecamatan_id) and activity.kecamatan_id == user.kecamatan_id
    if role == Role.KELURAHAN:
        return bool(activity.kelurahan_id) and activity.kelurahan_id == user.kelurahan_id
    return activity.organiser_kind == Organiser.AGENCY and activity.agency_id == user.agency_id


def may_enter_turnout(user, tps) -> bool:
    return may_edit_at(user, tps)
