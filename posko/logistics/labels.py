"""Box labels of the chain of custody: the code printed as a QR on every box of a TPS, read
back by the phone camera (``static/posko/scan.js``) when the box is shipped and received.

The code (documented in docs/user-guide/logistics.md) is plain text::

    POSKO:<election id>:<kelurahan code>-<TPS number>:<item code>:<box number>
    POSKO:1:35.73.01.1001-005:kotak-suara-walikota:2

Items counted in pieces (unit "buah": ballot boxes, voting booths) get one label per piece
("2/4"); any other item (a ream of ballots, a set of forms, a bottle pack) is one package
per TPS and gets one label. Everything here is parsed and checked on the server: a label
of another TPS, another election or a place outside the user's region is a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posko.elections.models import Tps

PREFIX = "POSKO"
PIECE_UNITS = {"buah", "unit", "pcs"}
MAX_PIECES = 20  # a piece item needing more than this is packed, one label per TPS
CODE_RE = re.compile(
    r"^POSKO:(?P<election>\d{1,9}):(?P<kelurahan>\d{2}(?:\.\d{2}){2}\.\d{4})-(?P<tps>\d{1,3})"
    r":(?P<item>[A-Za-z0-9_-]{1,40}):(?P<n>\d{1,3})$", re.IGNORECASE)
SPLIT_RE = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class BoxLabel:
    election_id: int
    kelurahan_code: str
    tps_number: int
    item_code: str
    n: int

    @property
    def code(self) -> str:
        return label_code(self.election_id, self.kelurahan_code, self.tps_number,
                          self.item_code, self.n)

    @property
    def tps_text(self) -> str:
        return f"TPS {self.tps_number:03d} ({self.kelurahan_code})"


def label_code(election_id: int, kelurahan_code: str, tps_number: int, item_code: str,
               n: int) -> str:
    """The text a box label's QR encodes."""
    return f"{PREFIX}:{election_id}:{kelurahan_code}-{tps_number:03d}:{item_code}:{n}"


def labels_per_item(item, quantity: int) -> int:
    """How many labels a TPS needs for ``quantity`` units of ``item``."""
    if quantity <= 0:
        return 0
    if (item.unit or "").strip().lower() in PIECE_UNITS and quantity <= MAX_PIECES:
        return quantity
    return 1


def parse_label(text: str) -> BoxLabel:
    """The label read from a scanned or typed code; ValidationError if it is not one."""
    raw = (text or "").strip()
    match = CODE_RE.match(raw)
    if not match:
        raise ValidationError(
            _("“%(code)s” is not a Posko box label (expected POSKO:election:kelurahan-TPS:"
              "item:number).") % {"code": raw[:80]}, code="malformed")
    n = int(match["n"])
    number = int(match["tps"])
    if n < 1 or number < 1:
        raise ValidationError(_("“%(code)s” is not a Posko box label (expected POSKO:election:"
                                "kelurahan-TPS:item:number).") % {"code": raw[:80]},
                              code="malformed")
    return BoxLabel(int(match["election"]), match["kelurahan"], number, match["item"], n)


def split_codes(text: str) -> list[str]:
    """The codes of a field holding several (one per line, or separated by commas/spaces),
    each once, in the order scanned."""
    seen, codes = set(), []
    for part in SPLIT_RE.split(text or ""):
        if part and part.upper() not in seen:
            seen.add(part.upper())
            codes.append(part)
    return codes


def _tps_of(election, labels: Iterable[BoxLabel]) -> dict[tuple[str, int], Tps]:
    wanted = {(label.kelurahan_code, label.tps_number) for label in labels}
    if not wanted:
        return {}
    found = Tps.objects.filter(election=election, kelurahan_id__in={k for k, _n in wanted},
                               number__in={n for _k, n in wanted}).select_related("kelurahan")
    return {(t.kelurahan_id, t.number): t for t in found}


def tps_in_place(tps: Tps, place) -> bool:
    """Whether ``tps`` lies in the shipment's place (its TPS, kelurahan or kecamatan)."""
    if place.tps_id:
        return tps.pk == place.tps_id
    if place.kelurahan_id:
        return tps.kelurahan_id == place.kelurahan_id
    return tps.kecamatan_id == place.kecamatan_id


def place_label(place) -> str:
    if place.tps_id:
        tps = place.tps
        return f"{tps.label} {tps.kelurahan.name}" if tps else str(place.tps_id)
    if place.kelurahan_id:
        return str(place.kelurahan)
    return str(place.kecamatan)


def check_box_codes(text: str, shipment, *, actor, dispatched: str | None = None
                    ) -> tuple[str, list[str]]:
    """The box codes of ``text`` checked against ``shipment`` (saved or not yet): returns
    ``(normalised codes one per line, problems)``. A code must be a Posko label of the
    shipment's election, of a TPS in the user's region (when there is a user) and inside the
    shipment's place; with ``dispatched`` (the codes recorded at dispatch, if any), it must
    be one of them."""
    problems: list[str] = []
    labels: list[BoxLabel] = []
    for code in split_codes(text):
        try:
            labels.append(parse_label(code))
        except ValidationError as exc:
            problems.extend(exc.messages)
    election = shipment.election
    tps_by_key = _tps_of(election, [la for la in labels if la.election_id == election.pk])
    visible = None
    if actor is not None and getattr(actor, "is_authenticated", False) and tps_by_key:
        visible = set(Tps.objects.visible_to(actor).filter(
            pk__in=[t.pk for t in tps_by_key.values()]).values_list("pk", flat=True))
    item_codes = set(election.logistics_items.filter(
        code__in={la.item_code for la in labels}).values_list("code", flat=True))
    sent = {c.upper() for c in split_codes(dispatched or "")}
    for label in labels:
        tps = tps_by_key.get((label.kelurahan_code, label.tps_number))
        if label.election_id != election.pk:
            problems.append(_("Box label %(code)s is for another election.") % {
                "code": label.code})
        elif tps is None or (visible is not None and tps.pk not in visible):
            problems.append(_("Box label %(code)s names a TPS outside your region.") % {
                "code": label.code})
        elif not tps_in_place(tps, shipment):
            problems.append(_("Box label %(code)s is for %(tps)s %(kelurahan)s, not for this "
                              "shipment's %(place)s.") % {
                "code": label.code, "tps": tps.label, "kelurahan": tps.kelurahan.name,
                "place": place_label(shipment)})
        elif label.item_code not in item_codes:
            problems.append(_("Box label %(code)s names an item that is not in this "
                              "election's catalogue.") % {"code": label.code})
        elif sent and label.code.upper() not in sent:
            problems.append(_("Box %(code)s was not dispatched with this shipment.") % {
                "code": label.code})
    return "\n".join(label.code for label in labels), problems


def box_comparison(shipment) -> dict:
    """Boxes recorded at dispatch and at receipt: which arrived, which are missing."""
    sent = split_codes(shipment.box_codes)
    got = {c.upper() for c in split_codes(shipment.received_box_codes)}
    return {"sent": sent, "received": [c for c in sent if c.upper() in got],
            "missing": [c for c in sent if c.upper() not in got] if shipment.received_at
            and got else [],
            "scanned_at_receipt": bool(got)}


def seal_set(text: str) -> set[str]:
    return {part.upper() for part in SPLIT_RE.split(text or "") if part}


def seal_difference(shipment) -> dict | None:
    """Seals read at receipt against those written at dispatch (None: nothing to compare)."""
    if not (shipment.seal_numbers and shipment.received_seal_numbers):
        return None
    sent, got = seal_set(shipment.seal_numbers), seal_set(shipment.received_seal_numbers)
    return {"missing": sorted(sent - got), "unexpected": sorted(got - sent),
            "match": sent == got}
