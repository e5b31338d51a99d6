"""TPS rules. Each rule is one function returning a list of (field, message)
problems; the edit form, the API serializer and the import all call these,
so a rule and its message exist once."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

# Indonesia's bounding box (with a small margin): Sabang to Merauke, Miangas to Rote.
LAT_MIN, LAT_MAX = Decimal("-11.2"), Decimal("6.3")
LON_MIN, LON_MAX = Decimal("94.7"), Decimal("141.1")

Problems = list[tuple[str, str]]


def check_dpt(men: int | None, women: int | None, max_voters: int) -> Problems:
    problems: Problems = []
    for field, value in (("dpt_men", men), ("dpt_women", women)):
        if value is not None and value < 0:
            problems.append((field, _("The number of voters cannot be negative.")))
    if problems:
        return problems
    total = (men or 0) + (women or 0)
    if total > max_voters:
        problems.append(("dpt_total", _(
            "DPT total %(total)s exceeds the maximum of %(max)s voters per TPS for this election."
        ) % {"total": total, "max": max_voters}))
    return problems


def check_coordinates(latitude: Decimal | None, longitude: Decimal | None) -> Problems:
    if latitude is None and longitude is None:
        return []
    if latitude is None or longitude is None:
        field = "latitude" if latitude is None else "longitude"
        return [(field, _("Fill in both latitude and longitude, or neither."))]
    if not (LAT_MIN <= latitude <= LAT_MAX and LON_MIN <= longitude <= LON_MAX):
        return [("latitude", _(
            "Coordinates %(lat)s, %(lon)s are outside Indonesia (latitude -11.2 to 6.3, "
            "longitude 94.7 to 141.1). Check that latitude and longitude are not swapped."
        ) % {"lat": latitude, "lon": longitude})]
    return []


def check_kelurahan_in_pemda(kelurahan_code: str | None, pemda) -> Problems:
    if not kelurahan_code:
        return [("kelurahan", _("Choose a kelurahan."))]
    if pemda is None or not kelurahan_code.startswith(f"{pemda.code}."):
        return [("kelurahan", _(
            "Kelurahan %(code)s is not part of %(pemda)s."
        ) % {"code": kelurahan_code, "pemda": pemda or "-"})]
    return []


def check_number_free(number: int | None, taken: bool) -> Problems:
    if number is not None and taken:
        return [("number", _(
            "TPS %(number)03d already exists in this kelurahan for this election."
        ) % {"number": number})]
    return []


def check_special_location(kind: str, note: str) -> Problems:
    if kind == "lainnya" and not note.strip():
        return [("special_location_note", _("Describe the special location."))]
    return []


def tps_problems(*, election, pemda, kelurahan_code, number, dpt_men, dpt_women, latitude,
                 longitude, special_location="", special_location_note="",
                 number_taken: bool) -> Problems:
    """All rules for one TPS, given values already parsed to their types."""
    return [
        *check_kelurahan_in_pemda(kelurahan_code, pemda),
        *check_number_free(number, number_taken),
        *check_dpt(dpt_men, dpt_women, election.max_voters_per_tps),
        *check_coordinates(latitude, longitude),
        *check_special_location(special_location or "", special_location_note or ""),
    ]
