"""Receipts: the receiving side confirms what arrived of a shipment (one, or every pending
TPS shipment of a kelurahan at once); the discrepancies become shortfall cases
(``services.shortfalls.flag_discrepancies``).

A receipt confirmed twice (a second click, or someone else first) is a ConflictError that
names who confirmed it and when; nothing is saved on any error."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock, services
from posko.core.services import ConflictError, raise_problems
from posko.core.uploads import PHOTO_KINDS, check_upload
from posko.logistics.access import may_receive
from posko.logistics.labels import check_box_codes
from posko.logistics.models import Shipment, ShipmentLine
from posko.logistics.rules import LineCount, fmt, receipt_header_problems, receipt_problems
from posko.logistics.services import readiness
from posko.logistics.services.shipments import lines_snapshot, user_label
from posko.logistics.services.shortfalls import flag_discrepancies


def already_confirmed_message(shipment: Shipment) -> str:
    return _("This shipment was already confirmed by %(user)s at %(time)s (received by "
             "%(receiver)s); a receipt cannot be confirmed twice.") % {
        "user": user_label(shipment.received_by),
        "time": fmt(shipment.received_at) if shipment.received_at else "-",
        "receiver": shipment.receiver_name or "-"}


def _lock_fresh(shipment: Shipment) -> Shipment:
    """The shipment as stored now, its row locked until the transaction ends."""
    return Shipment.objects.select_for_update(of=("self",)).get(pk=shipment.pk)


def _check_receivable(fresh: Shipment, actor) -> None:
    if fresh.status == Shipment.Status.RECEIVED:
        raise ConflictError(already_confirmed_message(fresh), current_version=fresh.version)
    if not may_receive(actor, fresh):
        raise PermissionDenied(_("Only the receiving side of this shipment can confirm it."))


@dataclass
class _Prepared:
    shipment: Shipment
    lines: list[ShipmentLine]
    counts: dict[int, LineCount]
    expected_version: int | None
    photo: object = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    box_codes: str = ""
    seal_numbers: str = ""


def _prepare(shipment, counts, receiver_name, received_at, photo, *, actor, expected_version,
             now, box_codes="", seal_numbers="") -> _Prepared:
    fresh = _lock_fresh(shipment)
    _check_receivable(fresh, actor)
    lines = list(fresh.lines.select_related("item"))
    parsed, errors = receipt_problems(fresh, lines, counts)
    for key, messages in receipt_header_problems(fresh, receiver_name, received_at, now).items():
        errors.setdefault(key, []).extend(messages)
    checked = None
    if photo:
        try:
            checked = check_upload(photo, PHOTO_KINDS)
        except ValidationError as exc:
            errors.setdefault("photo", []).extend(exc.messages)
    codes = ""
    if (box_codes or "").strip():
        codes, problems = check_box_codes(box_codes, fresh, actor=actor,
                                          dispatched=fresh.box_codes)
        if problems:
            errors.setdefault("box_codes", []).extend(problems)
    seals = " ".join((seal_numbers or "").split())
    if len(seals) > 300:
        errors.setdefault("seal_numbers", []).append(_("At most 300 characters."))
    return _Prepared(fresh, lines, parsed, expected_version, checked, errors, codes, seals)


def _claim(prepared: _Prepared) -> None:
    """The optimistic lock: a receipt confirmed (or the shipment changed) since the page was
    loaded fails here with the clear message of what happened."""
    shipment = prepared.shipment
    try:
        services.bump_version(shipment, prepared.expected_version)
    except ConflictError:
        current = Shipment.objects.select_related("received_by").get(pk=shipment.pk)
        if current.status == Shipment.Status.RECEIVED:
            raise ConflictError(already_confirmed_message(current),
                                current_version=current.version) from None
        raise


def _write_receipt(prepared: _Prepared, receiver_name, received_at, *, actor, note) -> list:
    shipment, lines = prepared.shipment, prepared.lines
    before = {**audit.snapshot(shipment), "lines": lines_snapshot(lines)}
    before["version"] = shipment.version - 1
    for line in lines:
        count = prepared.counts[line.item_id]
        line.received, line.damaged, line.explanation = (count.received, count.damaged,
                                                         count.explanation)
    ShipmentLine.objects.bulk_update(lines, ["received", "damaged", "explanation"])
    shipment.status = Shipment.Status.RECEIVED
    shipment.received_at = received_at
    shipment.received_by = actor if getattr(actor, "is_authenticated", False) else None
    shipment.receiver_name = receiver_name.strip()
    shipment.received_box_codes = prepared.box_codes
    shipment.received_seal_numbers = prepared.seal_numbers
    if note and note.strip():
        shipment.note = "\n".join(filter(None, [shipment.note, note.strip()]))
    stored = None
    if prepared.photo is not None:
        item = prepared.photo
        shipment.handover_photo.save(f"{item.token}{item.kind.extension}", item.file, save=False)
        stored = shipment.handover_photo.name
    try:
        shipment.save()
        audit.record("update", shipment, actor=actor, before=before,
                     after={**audit.snapshot(shipment), "lines": lines_snapshot(lines)},
                     message=_("receipt confirmed: %(lines)s") % {"lines": "; ".join(
                         f"{line.item.name} {line.received}/{line.dispatched}"
                         + (f" ({_('damaged')} {line.damaged})" if line.damaged else "")
                         for line in lines)})
        return flag_discrepancies(shipment, lines, actor=actor)
    except Exception:
        if stored:
            shipment.handover_photo.storage.delete(stored)
        raise


@transaction.atomic
def confirm_receipt(shipment: Shipment, counts: Mapping, receiver_name: str,
                    received_at: datetime.datetime | None = None, photo=None, *, actor,
                    expected_version: int | None, note: str = "", box_codes: str = "",
                    seal_numbers: str = "") -> Shipment:
    """Confirm what arrived of ``shipment``.

    ``counts`` maps each item of the shipment (``Item`` or pk) to ``(received, damaged,
    explanation)``: whole numbers ≥ 0, damaged ≤ received, an explanation required when
    more arrived than was dispatched. ``received_at`` defaults to now; ``photo`` (an
    uploaded image of the signed hand-over record) is optional and checked by content.
    ``expected_version`` is the version the confirming page was loaded with (None: the
    current one). ``box_codes`` are the box labels scanned at receipt (each must be a box
    of this shipment's place and, when boxes were scanned at dispatch, one of them);
    ``seal_numbers`` the seals read at receipt (compared with dispatch on the detail page).

    Raises ConflictError (naming who confirmed it and when) for a second
    confirmation, ConflictError if the shipment changed meanwhile, PermissionDenied for a
    user who may not act at the destination, ValidationError (keys ``received_<pk>``,
    ``damaged_<pk>``, ``explanation_<pk>``, ``lines``, ``receiver_name``,
    ``received_at``, ``photo``) for bad input. Nothing is saved on any of these.
    Flags the discrepancies (``flag_discrepancies``) and refreshes the TPS's readiness."""
    now = clock.now()
    received_at = received_at or now
    prepared = _prepare(shipment, counts, receiver_name, received_at, photo, actor=actor,
                        expected_version=expected_version, now=now, box_codes=box_codes,
                        seal_numbers=seal_numbers)
    raise_problems(prepared.errors)
    _claim(prepared)
    _write_receipt(prepared, receiver_name, received_at, actor=actor, note=note)
    fresh = prepared.shipment
    if fresh.tps_id:
        readiness.refresh(fresh.election, [fresh.tps_id])
    # The caller's object follows the stored row.
    for attr in ("status", "received_at", "received_by_id", "receiver_name", "handover_photo",
                 "note", "version", "received_box_codes", "received_seal_numbers"):
        setattr(shipment, attr, getattr(fresh, attr))
    return shipment


class BatchError(ValidationError):
    """Some shipments of a batch receipt could not be confirmed; none was.
    ``by_shipment`` maps shipment pk to its ValidationError (or ConflictError)."""

    def __init__(self, by_shipment: dict[int, ValidationError], header: dict | None = None):
        self.by_shipment = by_shipment
        self.header = header or {}
        messages = [m for exc in by_shipment.values() for m in exc.messages]
        messages += [m for msgs in self.header.values() for m in msgs]
        super().__init__(messages or [_("Nothing was confirmed.")])

    @property
    def has_conflict(self) -> bool:
        return any(isinstance(exc, ConflictError) for exc in self.by_shipment.values())


@transaction.atomic
def confirm_receipts(entries: Iterable[tuple[Shipment, Mapping, int | None]],
                     receiver_name: str, received_at: datetime.datetime | None = None, *,
                     actor, note: str = "") -> list[Shipment]:
    """Confirm several shipments at once (the fast receipt entry): ``entries`` are
    ``(shipment, counts, expected_version)`` as for :func:`confirm_receipt`, with one
    receiver name and time for all. All or nothing: if any shipment fails, none is
    confirmed and :class:`BatchError` tells which and why (``header`` holds the
    problems of the receiver name and time)."""
    now = clock.now()
    received_at = received_at or now
    entries = list(entries)
    if not entries:
        raise ValidationError({"lines": [_("Choose at least one shipment to confirm.")]})
    failures: dict[int, ValidationError] = {}
    header: dict[str, list[str]] = {}
    prepared_all = []
    for shipment, counts, version in entries:
        try:
            prepared = _prepare(shipment, counts, receiver_name, received_at, None, actor=actor,
                                expected_version=version, now=now)
        except ValidationError as exc:  # already confirmed
            failures[shipment.pk] = exc
            continue
        except PermissionDenied:
            failures[shipment.pk] = ValidationError(_("You may not confirm this shipment."))
            continue
        for key in ("receiver_name", "received_at"):
            if key in prepared.errors:
                header.setdefault(key, prepared.errors.pop(key))
        if prepared.errors:
            failures[shipment.pk] = ValidationError(prepared.errors)
        prepared_all.append(prepared)
    if failures or header:
        raise BatchError(failures, header)
    for prepared in prepared_all:
        try:
            _claim(prepared)
        except ConflictError as exc:
            failures[prepared.shipment.pk] = exc
    if failures:
        raise BatchError(failures)
    tps_ids = set()
    for prepared in prepared_all:
        _write_receipt(prepared, receiver_name, received_at, actor=actor, note=note)
        if prepared.shipment.tps_id:
            tps_ids.add(prepared.shipment.tps_id)
    done = [prepared.shipment for prepared in prepared_all]
    if tps_ids:
        readiness.refresh(done[0].election, sorted(tps_ids))
    return done
