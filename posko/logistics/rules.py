"""The logistics rules: each check returns the problems it finds, as ``(field, message)``
pairs or ``{field: [messages]}`` (``posko.core.services.raise_problems`` turns either into
one ValidationError). The services call these before they write anything.

* catalogue items and the logistics settings;
* shipments (route and region) and receipts (counts, receiver, time);
* support requests (place, region, quantity, description, agency, rejection note).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.elections.models import Tps, place_codes
from posko.logistics.access import (
    FORWARD,
    PLACE_MODELS,
    RETURNS,
    allowed_routes,
    may_act_at,
    place_level,
)
from posko.logistics.models import Item, LogisticsSettings, Shipment, ShipmentLine, SupportRequest
from posko.regions.models import Pemda

Level = Shipment.Level

#: The largest count one line may carry (a kecamatan's ballots are a few hundred thousand).
MAX_COUNT = 10_000_000
#: How far a phone's clock may run ahead before a time counts as "in the future".
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)
#: The largest quantity of a catalogue item's norm.
MAX_QUANTITY = 10_000
#: The TPS deadline is at most this many days before voting day.
MAX_DEADLINE_DAYS = 30
_DIGITS = re.compile(r"\s*\d+\s*")


def add(errors: dict, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def fmt(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M")


# --- catalogue and settings ------------------------------------------------------------------

def item_problems(item: Item) -> list[tuple[str, str]]:
    """What is wrong with ``item`` as ``[(field, message)]``."""
    problems = []
    if item.norm == Item.Norm.PER_VOTERS and not item.voters_per_block:
        problems.append(("voters_per_block", _(
            "Give the number of voters per block for the per-voters norm.")))
    if item.norm != Item.Norm.BALLOTS and not (item.quantity or 0) >= 1:
        problems.append(("quantity", _("The quantity must be at least 1.")))
    if item.norm == Item.Norm.BALLOTS and item.is_active and not item.contest_id:
        problems.append(("contest", _(
            "Each contest has its own ballots: choose the contest of this item.")))
    if item.contest_id and item.election_id and item.contest.election_id != item.election_id:
        problems.append(("contest", _("This contest is not one of the item's election.")))
    if (item.quantity or 0) > MAX_QUANTITY:
        problems.append(("quantity", _("The quantity cannot be more than %(max)s.")
                         % {"max": f"{MAX_QUANTITY:,}"}))
    if item.election_id and item.code and Item.objects.filter(
            election_id=item.election_id, code=item.code).exclude(pk=item.pk).exists():
        problems.append(("code", _("Another item of this election already has the code %(code)s.")
                         % {"code": item.code}))
    return problems


def settings_problems(obj: LogisticsSettings) -> list[tuple[str, str]]:
    days = obj.tps_deadline_days
    if days is None or not 0 <= days <= MAX_DEADLINE_DAYS:
        return [("tps_deadline_days", _("Give a number of days from 0 to %(max)s.")
                 % {"max": MAX_DEADLINE_DAYS})]
    return []


# --- counts ------------------------------------------------------------------------------------

def whole_number(value) -> int | None:
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


def count_problem(item_name: str, value, *, allow_blank: bool = False) -> tuple[int | None, str]:
    """Parse one count: (number, "") or (None, message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_blank:
            return 0, ""
        return None, _("%(item)s: enter how many were received.") % {"item": item_name}
    number = whole_number(value)
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


def item_key(key) -> int | None:
    if isinstance(key, Item):
        return key.pk
    number = whole_number(key)
    return number if number and number > 0 else None


# --- shipments ---------------------------------------------------------------------------------

def place_fields(level: str, place) -> dict:
    """The kecamatan, kelurahan and TPS a shipment records for ``place`` at ``level``."""
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
        add(errors, "route", _("Your role cannot record shipments."))
        return errors
    if (from_level, to_level) not in (RETURNS if is_return else FORWARD):
        labels = dict(Level.choices)
        add(errors, "route", _(
            "%(from)s → %(to)s is not a step of the chain (KPU warehouse → PPK → PPS → TPS; "
            "returns go the other way).") % {"from": labels.get(from_level, from_level),
                                             "to": labels.get(to_level, to_level)})
        return errors
    level = place_level(from_level, to_level, is_return)
    model = PLACE_MODELS[level]
    if not isinstance(place, model):
        add(errors, "place", _("Choose the %(kind)s of this shipment.") % {
            "kind": model._meta.verbose_name})
        return errors
    if isinstance(place, Tps) and place.election_id != election.pk:
        add(errors, "place", _("This TPS belongs to another election."))
        return errors
    fields = place_fields(level, place)
    kec, kel = _origin(from_level, is_return, fields)
    if not model.objects.editable_by(actor).filter(pk=place.pk).exists():
        scope = {"scope": getattr(actor, "scope_label", "")}
        add(errors, "place", _(
            "The place this return comes from is outside your region (%(scope)s): a return can "
            "only be recorded inside the sender's region.") % scope if is_return else _(
            "The chosen destination is outside your region (%(scope)s): a shipment can only go "
            "to a place inside the sender's region.") % scope)
    elif not may_act_at(actor, from_level, kec, kel):
        add(errors, "route", _("As %(role)s you cannot send on behalf of %(level)s.") % {
            "role": getattr(actor, "role_label", "-"), "level": Level(from_level).label})
    return errors


# --- receipts ----------------------------------------------------------------------------------

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
        pk = item_key(key)
        if pk is None and isinstance(key, str):
            pk = codes.get(key.strip())
        if pk is None:
            add(errors, "lines", _("%(item)s is not an item of this shipment.") % {"item": key})
        else:
            given[pk] = value
    by_item = {line.item_id: line for line in lines}
    for pk in given:
        if pk not in by_item:
            add(errors, "lines", _("Item %(item)s was not in this shipment.") % {"item": pk})
    parsed: dict[int, LineCount] = {}
    for line in lines:
        name = line.item.name
        if line.item_id not in given:
            add(errors, f"received_{line.item_id}", _(
                "%(item)s: enter how many were received.") % {"item": name})
            continue
        raw_received, raw_damaged, explanation = _unpack(given[line.item_id])
        explanation = str(explanation or "").strip()
        received, problem = count_problem(name, raw_received)
        if problem:
            add(errors, f"received_{line.item_id}", problem)
        damaged, problem_d = count_problem(name, raw_damaged, allow_blank=True)
        if problem_d:
            add(errors, f"damaged_{line.item_id}", problem_d)
        if problem or problem_d:
            continue
        if damaged > received:
            add(errors, f"damaged_{line.item_id}", _(
                "%(item)s: damaged (%(damaged)s) cannot be more than received (%(received)s).") % {
                "item": name, "damaged": damaged, "received": received})
        if received > line.dispatched and not explanation:
            add(errors, f"explanation_{line.item_id}", _(
                "%(item)s: %(received)s received but only %(dispatched)s dispatched. Explain "
                "the difference to accept it.") % {
                "item": name, "received": received, "dispatched": line.dispatched})
        if len(explanation) > 300:
            add(errors, f"explanation_{line.item_id}", _(
                "%(item)s: the explanation is too long (at most 300 characters).") % {"item": name})
        parsed[line.item_id] = LineCount(received, damaged, explanation)
    return parsed, errors


def receipt_header_problems(shipment, receiver_name, received_at, now) -> dict:
    errors: dict[str, list[str]] = {}
    if not (receiver_name or "").strip():
        add(errors, "receiver_name", _("Enter the name of the person who received the items."))
    elif len(receiver_name.strip()) > 150:
        add(errors, "receiver_name", _("The receiver's name is too long (at most 150 characters)."))
    if received_at > now + CLOCK_TOLERANCE:
        add(errors, "received_at", _("The time of receipt cannot be in the future."))
    elif received_at < shipment.dispatched_at:
        add(errors, "received_at", _(
            "The time of receipt cannot be before the shipment was dispatched (%(time)s).") % {
            "time": fmt(shipment.dispatched_at)})
    return errors


# --- support requests --------------------------------------------------------------------------

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
    if kind == SupportRequest.Kind.LAINNYA and not (description or "").strip():
        return [("description", _("Say what is needed when the kind is \"other\"."))]
    return []


def check_agency(req: SupportRequest) -> list[tuple[str, str]]:
    if not req.agency_id:
        return [("agency", _("Choose the agency that fulfils this request."))]
    return []


def check_note(status: str, note: str) -> list[tuple[str, str]]:
    if status == SupportRequest.Status.REJECTED and not (note or "").strip():
        return [("note", _("Say why the request is rejected."))]
    return []


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
