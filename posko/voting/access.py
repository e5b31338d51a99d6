"""Who may report for a TPS on voting day: the Desk admin, the camat's office for its
kecamatan, the lurah's office for its kelurahan (operators who may edit the registry)."""

from __future__ import annotations

from posko.accounts.models import Role


def may_report(user, tps) -> bool:
    if not (user is not None and user.is_authenticated and user.is_active
            and user.can_edit_registry):
        return False
    if user.is_desk_admin:
        return True
    if user.effective_role == Role.KECAMATAN:
        return tps.kecamatan_id == user.kecamatan_id
    return tps.kelurahan_id == user.kelurahan_id
