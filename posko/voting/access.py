"""Who may report for a TPS on voting day: the Desk admin, the camat's office for its
kecamatan, the lurah's office for its kelurahan (operators who may edit the registry)."""

from __future__ import annotations

from types import SimpleNamespace

from posko.core.prepared import Prepared
from posko.core.scope import may_edit_at, pemda_filter
from posko.elections.models import Tps


def may_report(user, tps) -> bool:
    return may_edit_at(user, tps)


def _tps_query(election, pk, place, *, kind, bound, pemda):
    """The TPS ``pk`` of ``election`` with its day, as ``Tps.objects.visible_to`` gives it to
    a user whose scope is ``kind`` (kelurahan / kecamatan / none) at ``place``."""
    user = SimpleNamespace(is_authenticated=True, is_active=True, is_region_bound=bound,
                           scope_kelurahan_id=place if kind == "kelurahan" else None,
                           scope_kecamatan_id=place if kind == "kecamatan" else None)
    return Tps.objects.visible_to(user).filter(election_id=election, pk=pk) \
        .select_related("day").order_by()[:1]


#: Compiled once per process and kind of scope (a field submission's hot lookup).
_TPS = Prepared(_tps_query, (int, int, str))


def visible_tps(user, election_id: int, pk: int) -> Tps | None:
    """The TPS with its day (``select_related("day")``) if ``user`` may see it, else None."""
    if not (user.is_authenticated and user.is_active) or pk > 2 ** 63 - 1:
        return None
    kelurahan = getattr(user, "scope_kelurahan_id", None)
    kecamatan = getattr(user, "scope_kecamatan_id", None)
    kind = "kelurahan" if kelurahan else "kecamatan" if kecamatan else "none"
    shape = (("bound", bool(getattr(user, "is_region_bound", False))), ("kind", kind),
             ("pemda", repr(pemda_filter(Tps.scope))))
    found = _TPS.run(election_id, pk, kelurahan or kecamatan or "", shape=shape)
    return found[0] if found else None
