"""Support-request writes: create (always *diminta*), edit the details while still
*diminta*, and move the status; plus the summary per kind × status. Who may do what:
``posko.logistics.access``; the rules: ``posko.logistics.rules``. Each write validates,
saves and audits in one transaction through ``posko.core.services``.

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
from django.utils.translation import gettext as _

from posko.accounts.models import Agency
from posko.core import audit, clock, services
from posko.core.services import raise_problems
from posko.logistics.access import can_change_status, can_request, status_choices
from posko.logistics.models import SupportRequest
from posko.logistics.rules import check_note, request_problems

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

def suggest_agency(kind: str) -> Agency | None:
    """The agency that usually fulfils ``kind`` (see ``SUGGESTED_AGENCY``), if it exists."""
    for name in SUGGESTED_AGENCY.get(kind, ()):
        agency = Agency.objects.filter(Q(name__iexact=name) | Q(short_name__iexact=name)).first()
        if agency is not None:
            return agency
    return None


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
    raise_problems(request_problems(req, actor))
    req.requested_by = actor if getattr(actor, "is_authenticated", False) else None
    if req.created_at is None:
        req.created_at = clock.now()
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
    raise_problems(request_problems(req, actor))
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
    raise_problems(check_note(status, note))
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
    now = now or clock.now()
    return queryset.filter(status__in=OPEN_STATUSES,
                           needed_by__lte=now + datetime.timedelta(hours=hours))
