"""Chain of custody: shipments between the stages of the chain (KPU warehouse → PPK
(kecamatan) → PPS (kelurahan) → KPPS (TPS), and returns after counting), the receiving
side's confirmation, the discrepancies it reveals, and the shortfall cases they become.

Every write validates, saves and audits in one transaction and refreshes the readiness
of the TPS it touched. Views, the fast receipt entry, the API and the demo call these
functions only.

Who may do what
---------------
* A shipment is recorded by its **sender**: the Desk Pilkada admin for the KPU
  warehouse (and anything else), a camat's operator for their PPK and the PPS/TPS of
  their kecamatan, a lurah's operator for their PPS and its TPS (returns: from the TPS
  and the PPS of their region). The destination must be inside the sender's region
  (``editable_by``) — otherwise a clear message and nothing saved.
* A receipt is confirmed by whoever may act at the **destination** (same rules).

Discrepancies (``Shortfall`` cases, one per shipment + item + kind)
-------------------------------------------------------------------
* SHORT (received < dispatched), DAMAGED (damaged > 0), SURPLUS (received >
  dispatched, accepted only with an explanation), for every shipment;
* LATE: a TPS shipment received after ``LogisticsSettings.tps_deadline()`` (one per
  shipment, no item);
* BELOW_REQUIREMENT: after a TPS receipt, for each item of the shipment, when the TPS
  holds fewer good units than its requirement *and* less than the requirement was
  dispatched to it (a gap caused by loss or damage on the way is already the SHORT or
  DAMAGED case of that shipment, and resolving that case must let the TPS leave
  "bermasalah"). One open case per TPS + item; a later receipt updates its quantity, or
  resolves it automatically once the requirement is dispatched or met.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.core import audit, services
from posko.core.services import ConflictError
from posko.core.uploads import PHOTO_KINDS, check_upload
from posko.elections.models import Tps
from posko.logistics import indicators, readiness
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
)
from posko.regions.models import Kecamatan, Kelurahan

Level = Shipment.Level

#: Forward legs of the chain; a return runs the same legs backwards.
FORWARD = {(Level.KPU, Level.PPK), (Level.PPK, Level.PPS), (Level.PPS, Level.TPS)}
RETURNS = {(b, a) for a, b in FORWARD}
#: Which place a level stands for (the KPU warehouse is the Pemda's, it has no place).
PLACE_MODELS = {Level.PPK: Kecamatan, Level.PPS: Kelurahan, Level.TPS: Tps}
#: The largest count one line may carry (a kecamatan's ballots are a few hundred thousand).
MAX_COUNT = 10_000_000
#: How far a phone's clock may run ahead before a time counts as "in the future".
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)
_DIGITS = re.compile(r"\s*\d+\s*")


class AlreadyConfirmed(ConflictError):
    """The shipment's receipt was confirmed already (by someone else, or a second click)."""


# --- who may act where --------------------------------------------------------------------

def place_level(from_level: str, to_level: str, is_return: bool) -> str:
    """The level whose place a shipment records: the destination, or for a return the origin."""
    return from_level if is_return else to_level


def pending_tps_shipments(election, kelurahan_code: str, extra_ids=()) -> list[Shipment]:
    """Forward TPS shipments of a kelurahan still on the way, ordered by TPS, each with
    ``pending_lines`` (its lines with their items). ``extra_ids`` adds shipments a
    submitted page named, so one confirmed meanwhile is reported rather than skipped."""
    lines = ShipmentLine.objects.select_related("item").order_by("item__order", "item__name")
    shipments = list(Shipment.objects.filter(
        election=election, kelurahan_id=kelurahan_code, to_level=Level.TPS, is_return=False,
    ).filter(Q(status=Shipment.Status.DISPATCHED) | Q(pk__in=list(extra_ids))).select_related(
        "tps", "received_by").prefetch_related(Prefetch("lines", queryset=lines)).order_by(
        "tps__number", "dispatched_at", "pk"))
    for shipment in shipments:
        shipment.pending_lines = list(shipment.lines.all())
    return shipments


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


# --- small parsers shared by the services ------------------------------------------------

def _whole_number(value) -> int | None:
    """An int from an int, an integral Decimal/float or a string of digits; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            return int(value) if value == int(value) else None
        except (ValueError, OverflowError, ArithmeticError):
            return None  # NaN, infinity
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
            return -int(text[1:])
        if _DIGITS.fullmatch(text):
            return int(text)
    return None


def _count_problem(item_name: str, value, *, allow_blank: bool = False) -> tuple[int | None, str]:
    """Parse one count: (number, "") or (None, message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_blank:
            return 0, ""
        return None, _("%(item)s: enter how many were received.") % {"item": item_name}
    number = _whole_number(value)
    if number is None:
        return None, _("%(item)s: %(value)s is not a whole number.") % {
            "item": item_name, "value": value}
    if number < 0:
        return None, _("%(item)s: a count cannot be negative (%(value)s).") % {
            "item": item_name, "value": number}
    if number > MAX_COUNT:
        return None, _("%(item)s: %(value)s is more than %(max)s.") % {
            "item": item_name, "value": number, "max": MAX_COUNT}
    return number, ""


def _item_key(key) -> int | None:
    if isinstance(key, Item):
        return key.pk
    number = _whole_number(key)
    return number if number and number > 0 else None


def _fmt(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M")


def _user_label(user) -> str:
    if user is None:
        return _("an unknown user")
    return user.get_full_name() or user.get_username()


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _lines_snapshot(lines) -> dict:
    return {line.item.code: {"dispatched": line.dispatched, "received": line.received,
                             "damaged": line.damaged, "explanation": line.explanation}
            for line in lines}


# --- shipments -----------------------------------------------------------------------------

def _place_fields(level: str, place) -> dict:
    model = PLACE_MODELS.get(level)
    if model is None or not isinstance(place, model):
        return {}
    if level == Level.PPK:
        return {"kecamatan_id": place.pk, "kelurahan_id": None, "tps": None}
    if level == Level.PPS:
        return {"kecamatan_id": place.kecamatan_id, "kelurahan_id": place.pk, "tps": None}
    return {"kecamatan_id": place.kecamatan_id, "kelurahan_id": place.kelurahan_id, "tps": place}


def _origin(from_level: str, is_return: bool, fields: dict) -> tuple[str | None, str | None]:
    """(kecamatan, kelurahan) of the sender's place."""
    if is_return or from_level == Level.KPU:
        return fields.get("kecamatan_id"), fields.get("kelurahan_id")
    if from_level == Level.PPK:  # to a PPS of that kecamatan
        return fields.get("kecamatan_id"), None
    return fields.get("kecamatan_id"), fields.get("kelurahan_id")  # PPS to one of its TPS


def shipment_problems(election, from_level, to_level, place, *, actor, is_return) -> dict:
    """The route and region checks of a new shipment, as ``{field: [messages]}``."""
    errors: dict[str, list[str]] = {}
    if not allowed_routes(actor):
        _add(errors, "route", _("Your role cannot record shipments."))
        return errors
    if (from_level, to_level) not in (RETURNS if is_return else FORWARD):
        labels = dict(Level.choices)
        _add(errors, "route", _(
            "%(from)s → %(to)s is not a step of the chain (KPU warehouse → PPK → PPS → TPS; "
            "returns go the other way).") % {"from": labels.get(from_level, from_level),
                                             "to": labels.get(to_level, to_level)})
        return errors
    level = place_level(from_level, to_level, is_return)
    model = PLACE_MODELS[level]
    if not isinstance(place, model):
        _add(errors, "place", _("Choose the %(kind)s of this shipment.") % {
            "kind": model._meta.verbose_name})
        return errors
    if isinstance(place, Tps) and place.election_id != election.pk:
        _add(errors, "place", _("This TPS belongs to another election."))
        return errors
    fields = _place_fields(level, place)
    kec, kel = _origin(from_level, is_return, fields)
    if not model.objects.editable_by(actor).filter(pk=place.pk).exists():
        scope = {"scope": getattr(actor, "scope_label", "")}
        _add(errors, "place", _(
            "The place this return comes from is outside your region (%(scope)s): a return can "
            "only be recorded inside the sender's region.") % scope if is_return else _(
            "The chosen destination is outside your region (%(scope)s): a shipment can only go "
            "to a place inside the sender's region.") % scope)
    elif not may_act_at(actor, from_level, kec, kel):
        _add(errors, "route", _("As %(role)s you cannot send on behalf of %(level)s.") % {
            "role": getattr(actor, "role_label", "-"), "level": Level(from_level).label})
    return errors


def _normalise_lines(election, lines: Mapping, errors: dict) -> list[tuple[Item, int]]:
    by_pk, by_code = {}, {}
    for key, value in (lines or {}).items():
        pk = _item_key(key)
        if pk is not None:
            by_pk[pk] = value
        elif isinstance(key, str) and key.strip():
            by_code[key.strip()] = value
        else:
            _add(errors, "lines", _("%(item)s is not a logistics item.") % {"item": key})
    catalogue = Item.objects.filter(election=election)
    items = {i.pk: i for i in catalogue.filter(pk__in=list(by_pk))}
    for item in catalogue.filter(code__in=list(by_code)):
        items[item.pk] = item
        by_pk[item.pk] = by_code.pop(item.code)
    for code in by_code:
        _add(errors, "lines", _("Item %(item)s is not in this election's catalogue.") % {
            "item": code})
    result = []
    for pk, value in by_pk.items():
        item = items.get(pk)
        if item is None:
            _add(errors, "lines", _("Item %(item)s is not in this election's catalogue.") % {
                "item": pk})
            continue
        number, problem = _count_problem(item.name, value, allow_blank=True)
        if problem:
            _add(errors, f"count_{pk}", problem)
        elif number:
            result.append((item, number))
    if not errors and not result:
        _add(errors, "lines", _("A shipment needs at least one item with a count above 0."))
    return result


@transaction.atomic
def create_shipment(election, from_level: str, to_level: str, place, lines: Mapping,
                    seal_numbers: str = "", vehicle: str = "", driver: str = "",
                    dispatched_at: datetime.datetime | None = None, *, actor,
                    is_return: bool = False, note: str = "") -> Shipment:
    """Record a shipment dispatched by ``actor``.

    ``place`` is the Kecamatan (PPK), Kelurahan (PPS) or Tps of the destination — for a
    return, of the origin. ``lines`` maps items (``Item`` or pk) to the counts
    dispatched (whole numbers ≥ 0; at least one above 0; zeros are left out).
    Raises ValidationError (keys: route, place, lines, count_<item pk>, dispatched_at and
    model fields) and saves nothing on any problem."""
    errors = shipment_problems(election, from_level, to_level, place, actor=actor,
                               is_return=is_return)
    normalised = _normalise_lines(election, lines, errors)
    now = timezone.now()
    if dispatched_at is None:
        dispatched_at = now
    elif dispatched_at > now + CLOCK_TOLERANCE:
        _add(errors, "dispatched_at", _("The dispatch time cannot be in the future."))
    _raise(errors)
    level = place_level(from_level, to_level, is_return)
    shipment = Shipment(
        election=election, is_return=is_return, from_level=from_level, to_level=to_level,
        seal_numbers=(seal_numbers or "").strip(), vehicle=(vehicle or "").strip(),
        driver=(driver or "").strip(), dispatched_at=dispatched_at, note=(note or "").strip(),
        dispatched_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now, **_place_fields(level, place))
    shipment.full_clean()
    shipment.save()
    created = ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, item=item, dispatched=count) for item, count in normalised])
    for line, (item, _count) in zip(created, normalised, strict=True):
        line.item = item
    audit.record("create", shipment, actor=actor,
                 after={**audit.snapshot(shipment), "lines": _lines_snapshot(created)},
                 message=_("dispatched: %(lines)s") % {"lines": _lines_text(created)})
    if shipment.tps_id:
        readiness.refresh(election, [shipment.tps_id])
    return shipment


def _lines_text(lines) -> str:
    return "; ".join(f"{line.item.name} × {line.dispatched}" for line in lines)


# --- receipts -------------------------------------------------------------------------------

def already_confirmed_message(shipment: Shipment) -> str:
    return _("This shipment was already confirmed by %(user)s at %(time)s (received by "
             "%(receiver)s); a receipt cannot be confirmed twice.") % {
        "user": _user_label(shipment.received_by),
        "time": _fmt(shipment.received_at) if shipment.received_at else "-",
        "receiver": shipment.receiver_name or "-"}


@dataclass
class LineCount:
    received: int
    damaged: int
    explanation: str


def _unpack(value) -> tuple:
    if isinstance(value, Mapping):
        return value.get("received"), value.get("damaged"), value.get("explanation", "")
    if isinstance(value, list | tuple):
        padded = [*value, None, None, ""][:3]
        return padded[0], padded[1], padded[2]
    return value, 0, ""


def receipt_problems(shipment: Shipment, lines: list[ShipmentLine], counts: Mapping,
                     ) -> tuple[dict[int, LineCount], dict[str, list[str]]]:
    """Check the counts of a receipt. ``counts`` maps items (Item or pk) to
    ``(received, damaged, explanation)`` (or a dict with those keys). Errors are keyed
    ``received_<item pk>``, ``damaged_<item pk>``, ``explanation_<item pk>``, ``lines``."""
    errors: dict[str, list[str]] = {}
    given = {}
    codes = {line.item.code: line.item_id for line in lines}
    for key, value in (counts or {}).items():
        pk = _item_key(key)
        if pk is None and isinstance(key, str):
            pk = codes.get(key.strip())
        if pk is None:
            _add(errors, "lines", _("%(item)s is not an item of this shipment.") % {"item": key})
        else:
            given[pk] = value
    by_item = {line.item_id: line for line in lines}
    for pk in given:
        if pk not in by_item:
            _add(errors, "lines", _("Item %(item)s was not in this shipment.") % {"item": pk})
    parsed: dict[int, LineCount] = {}
    for line in lines:
        name = line.item.name
        if line.item_id not in given:
            _add(errors, f"received_{line.item_id}", _(
                "%(item)s: enter how many were received.") % {"item": name})
            continue
        raw_received, raw_damaged, explanation = _unpack(given[line.item_id])
        explanation = str(explanation or "").strip()
        received, problem = _count_problem(name, raw_received)
        if problem:
            _add(errors, f"received_{line.item_id}", problem)
        damaged, problem_d = _count_problem(name, raw_damaged, allow_blank=True)
        if problem_d:
            _add(errors, f"damaged_{line.item_id}", problem_d)
        if problem or problem_d:
            continue
        if damaged > received:
            _add(errors, f"damaged_{line.item_id}", _(
                "%(item)s: damaged (%(damaged)s) cannot be more than received (%(received)s).") % {
                "item": name, "damaged": damaged, "received": received})
        if received > line.dispatched and not explanation:
            _add(errors, f"explanation_{line.item_id}", _(
                "%(item)s: %(received)s received but only %(dispatched)s dispatched. Explain "
                "the difference to accept it.") % {
                "item": name, "received": received, "dispatched": line.dispatched})
        if len(explanation) > 300:
            _add(errors, f"explanation_{line.item_id}", _(
                "%(item)s: the explanation is too long (at most 300 characters).") % {"item": name})
        parsed[line.item_id] = LineCount(received, damaged, explanation)
    return parsed, errors


def _receipt_header_problems(shipment, receiver_name, received_at, now) -> dict:
    errors: dict[str, list[str]] = {}
    if not (receiver_name or "").strip():
        _add(errors, "receiver_name", _("Enter the name of the person who received the items."))
    elif len(receiver_name.strip()) > 150:
        _add(errors, "receiver_name", _("The receiver's name is too long (at most 150 characters)."))
    if received_at > now + CLOCK_TOLERANCE:
        _add(errors, "received_at", _("The time of receipt cannot be in the future."))
    elif received_at < shipment.dispatched_at:
        _add(errors, "received_at", _(
            "The time of receipt cannot be before the shipment was dispatched (%(time)s).") % {
            "time": _fmt(shipment.dispatched_at)})
    return errors


def _lock_fresh(shipment: Shipment) -> Shipment:
    """The shipment as stored now, its row locked until the transaction ends."""
    return Shipment.objects.select_for_update(of=("self",)).get(pk=shipment.pk)


def _check_receivable(fresh: Shipment, actor) -> None:
    if fresh.status == Shipment.Status.RECEIVED:
        raise AlreadyConfirmed(already_confirmed_message(fresh))
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


def _prepare(shipment, counts, receiver_name, received_at, photo, *, actor, expected_version,
             now) -> _Prepared:
    fresh = _lock_fresh(shipment)
    _check_receivable(fresh, actor)
    lines = list(fresh.lines.select_related("item"))
    parsed, errors = receipt_problems(fresh, lines, counts)
    for key, messages in _receipt_header_problems(fresh, receiver_name, received_at, now).items():
        errors.setdefault(key, []).extend(messages)
    checked = None
    if photo:
        try:
            checked = check_upload(photo, PHOTO_KINDS)
        except ValidationError as exc:
            errors.setdefault("photo", []).extend(exc.messages)
    return _Prepared(fresh, lines, parsed, expected_version, checked, errors)


def _claim(prepared: _Prepared) -> None:
    """The optimistic lock: a receipt confirmed (or the shipment changed) since the page was
    loaded fails here with the clear message of what happened."""
    shipment = prepared.shipment
    try:
        services.bump_version(shipment, prepared.expected_version)
    except ConflictError:
        current = Shipment.objects.select_related("received_by").get(pk=shipment.pk)
        if current.status == Shipment.Status.RECEIVED:
            raise AlreadyConfirmed(already_confirmed_message(current)) from None
        raise


def _write_receipt(prepared: _Prepared, receiver_name, received_at, *, actor, note) -> list:
    shipment, lines = prepared.shipment, prepared.lines
    before = {**audit.snapshot(shipment), "lines": _lines_snapshot(lines)}
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
                     after={**audit.snapshot(shipment), "lines": _lines_snapshot(lines)},
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
                    expected_version: int | None, note: str = "") -> Shipment:
    """Confirm what arrived of ``shipment``.

    ``counts`` maps each item of the shipment (``Item`` or pk) to ``(received, damaged,
    explanation)``: whole numbers ≥ 0, damaged ≤ received, an explanation required when
    more arrived than was dispatched. ``received_at`` defaults to now; ``photo`` (an
    uploaded image of the signed hand-over record) is optional and checked by content.
    ``expected_version`` is the version the confirming page was loaded with (None: the
    current one).

    Raises :class:`AlreadyConfirmed` (naming who confirmed it and when) for a second
    confirmation, ConflictError if the shipment changed meanwhile, PermissionDenied for a
    user who may not act at the destination, ValidationError (keys ``received_<pk>``,
    ``damaged_<pk>``, ``explanation_<pk>``, ``lines``, ``receiver_name``,
    ``received_at``, ``photo``) for bad input. Nothing is saved on any of these.
    Flags the discrepancies (``flag_discrepancies``) and refreshes the TPS's readiness."""
    now = timezone.now()
    received_at = received_at or now
    prepared = _prepare(shipment, counts, receiver_name, received_at, photo, actor=actor,
                        expected_version=expected_version, now=now)
    _raise(prepared.errors)
    _claim(prepared)
    _write_receipt(prepared, receiver_name, received_at, actor=actor, note=note)
    fresh = prepared.shipment
    if fresh.tps_id:
        readiness.refresh(fresh.election, [fresh.tps_id])
    # The caller's object follows the stored row.
    for attr in ("status", "received_at", "received_by_id", "receiver_name", "handover_photo",
                 "note", "version"):
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
    now = timezone.now()
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


# --- discrepancies ---------------------------------------------------------------------------

def _case(shipment: Shipment, kind: str, *, item=None, quantity=0, description="",
          actor, tps=None) -> Shortfall | None:
    """Create the case unless this shipment already has it (one per shipment + item + kind)."""
    if Shortfall.objects.filter(shipment=shipment, item=item, kind=kind).exists():
        return None
    case = Shortfall(election_id=shipment.election_id, kind=kind, kecamatan_id=shipment.kecamatan_id,
                     kelurahan_id=shipment.kelurahan_id, tps_id=shipment.tps_id, item=item,
                     quantity=quantity, shipment=shipment, description=description,
                     created_at=timezone.now())
    case.save()
    audit.record("create", case, actor=actor, after=audit.snapshot(case),
                 message=_("flagged at the receipt of shipment #%(pk)s") % {"pk": shipment.pk})
    return case


def flag_discrepancies(shipment: Shipment, lines: list[ShipmentLine], *, actor) -> list[Shortfall]:
    """Flag what the receipt of ``shipment`` revealed (see the module docstring)."""
    cases = []
    for line in lines:
        received = line.received or 0
        facts = {"item": line.item.name, "dispatched": line.dispatched, "received": received,
                 "damaged": line.damaged}
        if received < line.dispatched:
            cases.append(_case(shipment, Shortfall.Kind.SHORT, item=line.item, actor=actor,
                               quantity=line.dispatched - received, description=_(
                                   "%(item)s: %(dispatched)s dispatched, %(received)s received.")
                               % facts))
        if received > line.dispatched:
            cases.append(_case(shipment, Shortfall.Kind.SURPLUS, item=line.item, actor=actor,
                               quantity=received - line.dispatched, description=_(
                                   "%(item)s: %(dispatched)s dispatched, %(received)s received. "
                                   "Explanation: %(explanation)s") % {
                                   **facts, "explanation": line.explanation}))
        if line.damaged:
            cases.append(_case(shipment, Shortfall.Kind.DAMAGED, item=line.item, actor=actor,
                               quantity=line.damaged, description=_(
                                   "%(item)s: %(damaged)s of %(received)s received are damaged.")
                               % facts))
    if shipment.to_level == Level.TPS and not shipment.is_return:
        deadline = LogisticsSettings.for_election(shipment.election).tps_deadline()
        if shipment.received_at and shipment.received_at > deadline:
            late_by = shipment.received_at - deadline
            hours = int(late_by.total_seconds() // 3600)
            cases.append(_case(shipment, Shortfall.Kind.LATE, actor=actor, description=_(
                "Received %(received)s; the deadline for TPS was %(deadline)s (%(hours)s h late).")
                % {"received": _fmt(shipment.received_at), "deadline": _fmt(deadline),
                   "hours": hours}))
        cases.extend(check_requirements(shipment, [line.item for line in lines], actor=actor))
    indicators.changed(shipment.election, [shipment.tps_id])  # derived vulnerability indicators
    return [c for c in cases if c is not None]


def check_requirements(shipment: Shipment, items, *, actor) -> list[Shortfall]:
    """BELOW_REQUIREMENT for the TPS of ``shipment`` and ``items``: open, update or resolve
    the one case per TPS + item so that it is open exactly while the TPS holds fewer good
    units than required and less than required was dispatched to it."""
    tps_id = shipment.tps_id
    list(Tps.objects.select_for_update(of=("self",)).filter(pk=tps_id).values_list("pk"))
    items = {item.pk: item for item in items}
    required = dict(Requirement.objects.filter(tps_id=tps_id, item_id__in=list(items))
                    .values_list("item_id", "quantity"))
    totals = {row["item_id"]: row for row in ShipmentLine.objects.filter(
        shipment__tps_id=tps_id, shipment__to_level=Level.TPS, shipment__is_return=False,
        shipment__status=Shipment.Status.RECEIVED, item_id__in=list(items),
    ).values("item_id").annotate(dispatched=Sum("dispatched"), received=Sum("received"),
                                 damaged=Sum("damaged")).order_by()}
    open_cases = {case.item_id: case for case in Shortfall.objects.open().filter(
        tps_id=tps_id, kind=Shortfall.Kind.BELOW_REQUIREMENT, item_id__in=list(items))}
    created = []
    for item_id, item in items.items():
        need = required.get(item_id)
        if need is None:
            continue
        row = totals.get(item_id) or {}
        dispatched = row.get("dispatched") or 0
        good = max(0, (row.get("received") or 0) - (row.get("damaged") or 0))
        facts = {"item": item.name, "required": need, "good": good, "dispatched": dispatched,
                 "shipment": shipment.pk}
        below = good < need and dispatched < need
        case = open_cases.get(item_id)
        if below and case is None:
            case = Shortfall(
                election_id=shipment.election_id, kind=Shortfall.Kind.BELOW_REQUIREMENT,
                kecamatan_id=shipment.kecamatan_id, kelurahan_id=shipment.kelurahan_id,
                tps_id=tps_id, item=item, quantity=need - good, shipment=None,
                created_at=timezone.now(), description=_(
                    "%(item)s: %(required)s required, %(dispatched)s dispatched to the TPS, "
                    "%(good)s in good condition.") % facts)
            case.save()
            audit.record("create", case, actor=actor, after=audit.snapshot(case),
                         message=_("flagged at the receipt of shipment #%(pk)s") % {
                             "pk": shipment.pk})
            created.append(case)
        elif below and case.quantity != need - good:
            before = audit.snapshot(case)
            case.quantity = need - good
            case.description = _(
                "%(item)s: %(required)s required, %(dispatched)s dispatched to the TPS, "
                "%(good)s in good condition.") % facts
            services.update(case, actor=actor, before=before, expected_version=case.version,
                            message=_("after the receipt of shipment #%(pk)s") % {"pk": shipment.pk})
        elif not below and case is not None:
            before = audit.snapshot(case)
            case.status = Shortfall.Status.RESOLVED
            case.closed_at = timezone.now()
            case.closed_by = actor if getattr(actor, "is_authenticated", False) else None
            case.resolution = _(
                "Resolved automatically after the receipt of shipment #%(shipment)s: "
                "%(required)s required, %(dispatched)s dispatched, %(good)s in good condition."
            ) % facts
            services.update(case, actor=actor, before=before, expected_version=case.version,
                            message=_("resolved automatically"))
    return created


# --- shortfall cases -------------------------------------------------------------------------

_UNCHANGED = object()


def may_edit_shortfall(user, case: Shortfall) -> bool:
    return Shortfall.objects.editable_by(user).filter(pk=case.pk).exists()


@transaction.atomic
def update_shortfall(case: Shortfall, *, actor, status: str, resolution: str = "",
                     owner=_UNCHANGED, expected_version: int | None) -> Shortfall:
    """Move a case to ``status`` (open / replacement shipped / resolved). Resolving needs a
    ``resolution`` text; only the Desk Pilkada admin may set the ``owner`` (an Agency or
    None). Optimistic lock on the case's version; refreshes the TPS's readiness (a
    resolved case lets the TPS leave "bermasalah")."""
    if not may_edit_shortfall(actor, case):
        raise PermissionDenied(_("Only the Desk Pilkada admin and the operators of the region "
                                 "can change this case."))
    errors: dict[str, list[str]] = {}
    if status not in Shortfall.Status.values:
        _add(errors, "status", _("%(value)s is not a status of a shortfall case.") % {
            "value": status})
    resolution = (resolution or "").strip()
    if status == Shortfall.Status.RESOLVED and not resolution:
        _add(errors, "resolution", _("Say how the case was resolved."))
    if owner is not _UNCHANGED and getattr(owner, "pk", owner) != case.owner_id \
            and not getattr(actor, "is_desk_admin", False):
        _add(errors, "owner", _("Only the Desk Pilkada admin can set the owner of a case."))
    _raise(errors)
    before = audit.snapshot(case)
    if owner is not _UNCHANGED:
        case.owner = owner
    was_resolved = case.status == Shortfall.Status.RESOLVED
    case.status = status
    case.resolution = resolution
    if status == Shortfall.Status.RESOLVED and not was_resolved:
        case.closed_at = timezone.now()
        case.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    elif status != Shortfall.Status.RESOLVED:
        case.closed_at = None
        case.closed_by = None
    services.update(case, actor=actor, before=before, expected_version=expected_version)
    if case.tps_id:
        readiness.refresh(case.election, [case.tps_id])
        indicators.changed(case.election, [case.tps_id])  # derived vulnerability indicators
    return case
