"""Who may do what with reports.

* **Report** (create): every active operator except observers (pemantau): admins anywhere
  in the Pemda, a camat inside their kecamatan, a lurah inside their kelurahan, an agency
  operator anywhere. The public reports through ``services.reports.submit_public``.
* **Triage** (verify, reject, forward, set severity, assign, merge): desk admins anywhere,
  kecamatan operators inside their kecamatan.
* **Follow up** (diteruskan → ditindaklanjuti → selesai): triagers and the operators of
  the assigned agency.
* **Comment** and add evidence: anyone who may see the report, except observers.
* **See**: the region scope (``Report.objects.visible_to``); outside it: 404.
"""

from __future__ import annotations

from posko.accounts.models import Role
from posko.incidents.models import Report, State

# --- permissions ------------------------------------------------------------------------------

# Transitions: state -> states reachable by a triager. Followers of the assigned agency
# may make the follow-up moves only.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.BARU: (State.DIVERIFIKASI, State.DITOLAK),
    State.DIVERIFIKASI: (State.DITERUSKAN, State.DITINDAKLANJUTI, State.SELESAI, State.DITOLAK),
    State.DITERUSKAN: (State.DITINDAKLANJUTI, State.SELESAI),
    State.DITINDAKLANJUTI: (State.DITERUSKAN, State.SELESAI),
    State.DITOLAK: (State.BARU,),
    State.SELESAI: (State.DITINDAKLANJUTI,),
}
FOLLOW_UP_MOVES: dict[str, tuple[str, ...]] = {
    State.DITERUSKAN: (State.DITINDAKLANJUTI, State.SELESAI),
    State.DITINDAKLANJUTI: (State.SELESAI,),
}


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_report(user) -> bool:
    return _active(user) and user.effective_role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN,
                                                      Role.AGENCY)


def can_triage(user, report: Report | None = None) -> bool:
    if not _active(user):
        return False
    role = user.effective_role
    if role == Role.ADMIN:
        return True
    if role == Role.KECAMATAN and user.kecamatan_id:
        return report is None or report.kecamatan_id == user.kecamatan_id
    return False


def is_follower(user, report: Report) -> bool:
    return (_active(user) and user.effective_role == Role.AGENCY and bool(user.agency_id)
            and user.agency_id == report.agency_id)


def can_comment(user, report: Report) -> bool:
    return _active(user) and user.effective_role != Role.PEMANTAU


def allowed_states(user, report: Report) -> list[str]:
    if report.merged_into_id:
        return []
    if can_triage(user, report):
        return list(TRANSITIONS.get(report.state, ()))
    if is_follower(user, report):
        return list(FOLLOW_UP_MOVES.get(report.state, ()))
    return []
