"""Pemda support logistics: requests for tents, chairs, tables, generators, lights,
ambulances on standby and transport, per TPS, kelurahan or kecamatan, fulfilled by an
agency. Rules, visibility, permissions and the writes (validated, saved and audited in
one transaction through ``posko.core.services``).

Who may do what:

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

When the agency is left empty it is suggested from the kind (``SUGGESTED_AGENCY``):
transport → Dinas Perhubungan, ambulance → Dinas Kesehatan, tent / generator / lights →
BPBD (the Pemda's emergency stock). Chairs, tables and other items have no default: the
requester names the agency.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Agency, Role
from posko.core import audit, services
from posko.core.scope import region_filter
from posko.elections.models import place_codes
from posko.logistics.models import SupportRequest
from posko.regions.models import Pemda

Kind = SupportRequest.Kind
Status = SupportRequest.Status

OPEN_STATUSES = (Status.REQUESTED, Status.APPROVED)

# kind -> agency names tried in order (full name or short name, case-insensitive).
SUGGESTED_AGENCY: dict[str, tuple[str, ...]] = {
    Kind.KENDARAAN: ("Dinas Perhubungan", "Dishub"),
    Kind.AMBULANS: ("Dinas Kesehatan", "Dinkes"),
    Kind.TENDA: ("Badan Penanggulangan Bencana Daerah", "BPBD"),
    Kind.GENSET: ("Badan Penanggulangan Bencana Daerah", "BPBD"),
    Kind.LAMPU: ("Badan Penanggulangan Bencana Daerah", "BPBD"),
}

# Moves an operator of the fulfilling agency may make; admins may make any move.
AGENCY_MOVES: dict[str, tuple[str, ...]] = {
    Status.REQUESTED: (Status.APPROVED, Status.FULFILLED, Status.REJECTED),
    Status.APPROVED: (Status.FULFILLED, Status.REJECTED),
    Status.FULFILLED: (),
    Status.REJECTED: (),
}


def suggest_agency(kind: str) -> Agency | None:
    """The agency that usually fulfils ``kind`` (see ``SUGGESTED_AGENCY``), if it exists."""
    for name in SUGGESTED_AGENCY.get(kind, ()):
        agency = Agency.objects.filter(Q(name__iexact=name) | Q(short_name__iexact=name)).first()
        if agency is not None:
            return agency
    return None


# --- visibility and permissions -------------------------------------------------------------

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


# --- rules (each returns [(field, message)]) --------------------------------------------------

def derive_place(req: SupportRequest) -> list[tuple[str, str]]:
    """Fill kelurahan and kecamatan from the TPS / kelurahan, or say why they disagree."""
    problems = []
    if req.tps_id:
        tps = req.tps
        if req.kelurahan_id and req.kelurahan_id != tps.kelurahan_id:
            problems.append(("tps", _("This TPS is not in the chosen kelurahan.")))
        else:
            req.kelurahan_id = tps.kelurahan_id
    if req.kelurahan_id:
        kecamatan = place_codes(req.kelurahan_id)[0]
        if req.kecamatan_id and req.kecamatan_id != kecamatan:
            problems.append(("kelurahan", _("This kelurahan is not in the chosen kecamatan.")))
        else:
            req.kecamatan_id = kecamatan
    if not req.kecamatan_id:
        problems.append(("kecamatan", _(
            "Choose the kecamatan, kelurahan or TPS the support is for.")))
    return problems


def check_inside_pemda(req: SupportRequest) -> list[tuple[str, str]]:
    pemda = Pemda.current()
    if req.kecamatan_id and (pemda is None or not req.kecamatan_id.startswith(f"{pemda.code}.")):
        return [("kecamatan", _("This place is outside the Pemda."))]
    return []


def check_tps_election(req: SupportRequest) -> list[tuple[str, str]]:
    if req.tps_id and req.tps.election_id != req.election_id:
        return [("tps", _("This TPS belongs to another election."))]
    return []


def check_actor_region(req: SupportRequest, actor) -> list[tuple[str, str]]:
    role = actor.effective_role
    if role == Role.KELURAHAN and req.kelurahan_id != actor.kelurahan_id:
        return [("kelurahan", _(
            "You can request support only for your own kelurahan or one of its TPS."))]
    if role == Role.KECAMATAN and req.kecamatan_id != actor.kecamatan_id:
        return [("kecamatan", _("You can request support only inside your own kecamatan."))]
    return []


def check_quantity(quantity) -> list[tuple[str, str]]:
    if quantity is None or quantity < 1:
        return [("quantity", _("The quantity must be at least 1."))]
    return []


def check_description(kind: str, description: str) -> list[tuple[str, str]]:
    if kind == Kind.LAINNYA and not (description or "").strip():
        return [("description", _("Say what is needed when the kind is \"other\"."))]
    return []


def check_agency(req: SupportRequest) -> list[tuple[str, str]]:
    if not req.agency_id:
        return [("agency", _("Choose the agency that fulfils this request."))]
    return []


def check_note(status: str, note: str) -> list[tuple[str, str]]:
    if status == Status.REJECTED and not (note or "").strip():
        return [("note", _("Say why the request is rejected."))]
    return []


def _raise(problems: list[tuple[str, str]]) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field, []).append(message)
        raise ValidationError(errors)


def request_problems(req: SupportRequest, actor) -> list[tuple[str, str]]:
    problems = derive_place(req)
    if not problems:
        problems += check_inside_pemda(req)
        problems += check_actor_region(req, actor)
    problems += check_tps_election(req)
    problems += check_quantity(req.quantity)
    problems += check_description(req.kind, req.description)
    problems += check_agency(req)
    problems += check_note(req.status, req.note)
    return problems


# --- writes -----------------------------------------------------------------------------------

@transaction.atomic
def create_request(req: SupportRequest, *, actor) -> SupportRequest:
    """A new request (always *diminta*) by ``actor`` inside their region; the agency is
    suggested from the kind when it is empty."""
    if not can_request(actor):
        raise PermissionDenied
    req.status = Status.REQUESTED
    if not req.agency_id:
        req.agency = suggest_agency(req.kind)
    _raise(request_problems(req, actor))
    req.requested_by = actor if getattr(actor, "is_authenticated", False) else None
    if req.created_at is None:
        req.created_at = timezone.now()
    return services.create(req, actor=actor)


@transaction.atomic
def update_request(req: SupportRequest, *, actor, before: dict,
                   expected_version: int) -> SupportRequest:
    """Save edited details. ``before`` is the snapshot taken before the edit; only a
    request still *diminta* can be edited, by an admin or an operator of its region."""
    if before.get("status") != Status.REQUESTED:
        raise ValidationError(_(
            "Only a request that is still requested can be changed; this one is %(status)s."
        ) % {"status": Status(before.get("status")).label})
    if not can_request(actor):
        raise PermissionDenied
    req.status = Status.REQUESTED
    if not req.agency_id:
        req.agency = suggest_agency(req.kind)
    _raise(request_problems(req, actor))
    return services.update(req, actor=actor, before=before, expected_version=expected_version)


@transaction.atomic
def change_status(req: SupportRequest, status: str, *, actor, expected_version: int,
                  note: str = "") -> SupportRequest:
    """Approve, fulfil, reject (with a note) or reopen a request."""
    if not can_change_status(actor, req):
        raise PermissionDenied
    if status not in status_choices(actor, req):
        raise ValidationError({"status": _(
            "A request that is %(current)s cannot be moved to %(status)s.") % {
            "current": Status(req.status).label,
            "status": Status(status).label if status in Status.values else status}})
    note = (note or "").strip()
    _raise(check_note(status, note))
    before = audit.snapshot(req)
    req.status = status
    if note:
        req.note = note
    return services.update(req, actor=actor, before=before, expected_version=expected_version,
                           message=_("status: %(from)s → %(to)s") % {
                               "from": before.get("status"), "to": status})


# --- summaries ----------------------------------------------------------------------------------

def summary(queryset) -> dict:
    """Counts and quantities per kind × status of ``queryset`` (one grouped query):
    ``{"rows": [{"kind", "label", "cells": [{"status", "count", "quantity"}], "count",
    "quantity"}], "totals": [...], "count", "quantity"}`` — kinds without requests left out."""
    grouped = {(kind, status): (n, qty or 0) for kind, status, n, qty in
               queryset.order_by().values_list("kind", "status").annotate(
                   n=Count("pk"), qty=Sum("quantity")).values_list("kind", "status", "n", "qty")}
    rows = []
    totals = {s: [0, 0] for s in Status.values}
    for kind, label in Kind.choices:
        cells = []
        for status in Status.values:
            n, qty = grouped.get((kind, status), (0, 0))
            totals[status][0] += n
            totals[status][1] += qty
            cells.append({"status": status, "count": n, "quantity": qty})
        count = sum(c["count"] for c in cells)
        if count:
            rows.append({"kind": kind, "label": label, "cells": cells, "count": count,
                         "quantity": sum(c["quantity"] for c in cells)})
    return {
        "rows": rows,
        "totals": [{"status": s, "count": totals[s][0], "quantity": totals[s][1]}
                   for s in Status.values],
        "count": sum(v[0] for v in totals.values()),
        "quantity": sum(v[1] for v in totals.values()),
    }


def needed_soon(queryset, hours: int = 48, now=None):
    """Open requests (requested or approved) needed within ``hours`` — or already overdue."""
    now = now or timezone.now()
    return queryset.filter(status__in=OPEN_STATUSES,
                           needed_by__lte=now + datetime.timedelta(hours=hours))
