"""Who may do what in logistics: act along the chain of custody, change a shortfall case,
see, request, edit and move support requests.

Chain of custody
----------------
* A shipment is recorded by its **sender**: the Desk Pilkada admin for the KPU
  warehouse (and anything else), a camat's operator for their PPK and the PPS/TPS of
  their kecamatan, a lurah's operator for their PPS and its TPS (returns: from the TPS
  and the PPS of their region). The destination must be inside the sender's region
  (``editable_by``) — otherwise a clear message and nothing saved.
* A receipt is confirmed by whoever may act at the **destination** (same rules).

Support requests
----------------
* **Request** (create): Desk Pilkada admins anywhere in the Pemda; a camat for their
  kecamatan (or one of its kelurahan or TPS); a lurah for their kelurahan or one of its
  TPS. Agency operators and observers do not request.
* **Edit the details** (kind, quantity, place, agency, needed by): admins and the
  operators of the request's region, only while the request is still *diminta*.
* **Change the status**: admins (any move) and the operators of the fulfilling agency
  (``Role.AGENCY`` with ``user.agency == request.agency``): approve, fulfil or reject an
  open request. Reopening (back to *diminta*) is for admins. A rejection needs a note.
* **See**: the region scope (``SupportRequest.objects.visible_to``) within the Pemda,
  plus every request the operator's agency fulfils (``visible_support``). Outside: 404.
"""

from __future__ import annotations

from django.db.models import Q

from posko.accounts.models import Role
from posko.core.scope import region_filter
from posko.elections.models import Tps
from posko.logistics.models import Shipment, Shortfall, SupportRequest
from posko.regions.models import Kecamatan, Kelurahan, Pemda

Level = Shipment.Level
Status = SupportRequest.Status

#: Forward legs of the chain; a return runs the same legs backwards.
FORWARD = {(Level.KPU, Level.PPK), (Level.PPK, Level.PPS), (Level.PPS, Level.TPS)}
RETURNS = {(b, a) for a, b in FORWARD}
#: Which place a level stands for (the KPU warehouse is the Pemda's, it has no place).
PLACE_MODELS = {Level.PPK: Kecamatan, Level.PPS: Kelurahan, Level.TPS: Tps}

# Moves an operator of the fulfilling agency may make; admins may make any move.
AGENCY_MOVES: dict[str, tuple[str, ...]] = {
    Status.REQUESTED: (Status.APPROVED, Status.FULFILLED, Status.REJECTED),
    Status.APPROVED: (Status.FULFILLED, Status.REJECTED),
    Status.FULFILLED: (),
    Status.REJECTED: (),
}


# --- chain of custody --------------------------------------------------------------------------

def place_level(from_level: str, to_level: str, is_return: bool) -> str:
    """The level whose place a shipment records: the destination, or for a return the origin."""
    return from_level if is_return else to_level


def may_act_at(user, level: str, kecamatan_id: str | None = None,
               kelurahan_id: str | None = None) -> bool:
    """May ``user`` send or receive on behalf of ``level`` at that place? Admins anywhere
    (the KPU warehouse only they); a camat's operator for the PPK, PPS and TPS of their
    kecamatan; a lurah's operator for the PPS and TPS of their kelurahan. The Pemda
    boundary is checked separately (``editable_by`` of the place)."""
    if user is None or not getattr(user, "can_edit_registry", False):
        return False
    if user.is_desk_admin:
        return True
    if level == Level.KPU:
        return False
    if user.scope_kelurahan_id:
        return level in (Level.PPS, Level.TPS) and kelurahan_id == user.scope_kelurahan_id
    if user.scope_kecamatan_id:
        return kecamatan_id is not None and kecamatan_id == user.scope_kecamatan_id
    return False


def destination(shipment: Shipment) -> tuple[str, str | None, str | None]:
    """(level, kecamatan code, kelurahan code) of the place that receives ``shipment``."""
    level = shipment.to_level
    if not shipment.is_return:
        return level, shipment.kecamatan_id, shipment.kelurahan_id
    # A return's recorded place is its origin; the destination is one step up.
    if level == Level.PPS:
        return level, shipment.kecamatan_id, shipment.kelurahan_id
    if level == Level.PPK:
        return level, shipment.kecamatan_id, None
    return level, None, None


def may_receive(user, shipment: Shipment) -> bool:
    """May ``user`` confirm the receipt of ``shipment`` (act at its destination)?"""
    if not Shipment.objects.visible_to(user).filter(pk=shipment.pk).exists():
        return False
    level, kec, kel = destination(shipment)
    return may_act_at(user, level, kec, kel)


def allowed_routes(user) -> list[tuple[str, str, bool]]:
    """The legs ``user`` may record as sender: (from, to, is_return)."""
    role = user.effective_role if getattr(user, "can_edit_registry", False) else None
    if role == Role.ADMIN:
        senders = {Level.KPU, Level.PPK, Level.PPS, Level.TPS}
    elif role == Role.KECAMATAN:
        senders = {Level.PPK, Level.PPS, Level.TPS}
    elif role == Role.KELURAHAN:
        senders = {Level.PPS, Level.TPS}
    else:
        return []
    order = [(Level.KPU, Level.PPK, False), (Level.PPK, Level.PPS, False),
             (Level.PPS, Level.TPS, False), (Level.TPS, Level.PPS, True),
             (Level.PPS, Level.PPK, True), (Level.PPK, Level.KPU, True)]
    return [(a, b, r) for a, b, r in order if a in senders]


def may_edit_shortfall(user, case: Shortfall) -> bool:
    return Shortfall.objects.editable_by(user).filter(pk=case.pk).exists()


# --- support requests --------------------------------------------------------------------------

def _pemda_q() -> Q:
    pemda = Pemda.current()
    if pemda is None:
        return Q(pk__in=[])
    # kecamatan codes start with the Pemda's code (35.73.02 in 35.73); no join needed.
    return Q(kecamatan__code__startswith=f"{pemda.code}.")


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def visible_support(user, queryset=None):
    """The support requests ``user`` may see: the region scope within the Pemda, plus
    those the user's agency fulfils. Detail pages fetch through this (outside: 404)."""
    qs = queryset if queryset is not None else SupportRequest.objects.all()
    if not _active(user):
        return qs.none()
    condition = region_filter(SupportRequest.scope, user)
    # An empty Q means "no restriction"; OR-ing it would drop it, so only narrowed scopes widen.
    if condition and user.effective_role == Role.AGENCY and user.agency_id:
        condition |= Q(agency_id=user.agency_id)
    return qs.filter(condition).filter(_pemda_q())


def can_request(user) -> bool:
    return _active(user) and user.effective_role in (Role.ADMIN, Role.KECAMATAN, Role.KELURAHAN)


def _covers(user, req: SupportRequest) -> bool:
    """Is the request inside the region ``user`` operates (admins: the whole Pemda)?"""
    role = user.effective_role
    if role == Role.ADMIN:
        return True
    if role == Role.KECAMATAN:
        return bool(user.kecamatan_id) and req.kecamatan_id == user.kecamatan_id
    if role == Role.KELURAHAN:
        return bool(user.kelurahan_id) and req.kelurahan_id == user.kelurahan_id
    return False


def can_edit_details(user, req: SupportRequest) -> bool:
    return (can_request(user) and req.status == Status.REQUESTED and _covers(user, req))


def status_choices(user, req: SupportRequest) -> list[str]:
    """The statuses ``user`` may move ``req`` to (empty: no status form)."""
    if not _active(user):
        return []
    role = user.effective_role
    if role == Role.ADMIN:
        return [s for s in Status.values if s != req.status]
    if role == Role.AGENCY and user.agency_id and user.agency_id == req.agency_id:
        return list(AGENCY_MOVES.get(req.status, ()))
    return []


def can_change_status(user, req: SupportRequest) -> bool:
    """May ``user`` change the status at all (admin, or an operator of the fulfilling agency)?"""
    if not _active(user):
        return False
    role = user.effective_role
    return role == Role.ADMIN or (role == Role.AGENCY and bool(user.agency_id)
                                  and user.agency_id == req.agency_id)
