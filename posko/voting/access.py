"""Who may report for a TPS on voting day: the Desk admin, the camat's office for its
kecamatan, the lurah's office for its kelurahan (operators who may edit the registry)."""

from __future__ import annotations

from posko.core.scope import may_edit_at


def may_report(user, tps) -> bool:
    return may_edit_at(user, tps)
