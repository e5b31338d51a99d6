"""NIK (Nomor Induk Kependudukan) validation: the ONE function the worker form, the API and
the imports call, plus masking of NIK and phone numbers (UU PDP 27/2022).

A NIK has 16 digits: 1–6 the kab/kota + kecamatan code where it was issued (357301 for
Blimbing, Kota Malang), 7–12 the date of birth DDMMYY with 40 added to the day for
women, 13–16 a serial number that is never 0000.

The kecamatan codes come from the national list bundled with ``posko.regions``
(``regions/data/districts.csv``, 7,285 kecamatan), read once per process, so a NIK
issued anywhere in Indonesia validates even when only one kab/kota is loaded into the
region tables. A code missing from the file but present in the Kecamatan table (a newer
list loaded by an admin) is accepted too.
"""

from __future__ import annotations

import csv
import datetime
import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posko.core import clock
from posko.core.personal import BULLET, mask_nik, mask_phone  # noqa: F401 (the masks live in core)
from posko.regions.importer import DATA_DIR
from posko.regions.models import Kecamatan

MALE = "L"
FEMALE = "P"


@dataclass(frozen=True)
class NikInfo:
    nik: str
    kecamatan_code: str  # "35.73.01"
    birth_date: datetime.date
    sex: str  # "L" or "P"
    serial: str


class NikError(ValidationError):
    """``problems`` is the list of (field, message); the messages are the error list."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        by_field: dict[str, list[str]] = {}
        for field, message in problems:
            by_field.setdefault(field, []).append(message)
        super().__init__(by_field)


@functools.cache
def national_kecamatan_codes() -> frozenset[str]:
    """Every kecamatan code of the bundled national list as NIK prefixes ("357301")."""

    codes = set()
    with (DATA_DIR / "districts.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if row:
                codes.add(row[0].replace(".", ""))
    return frozenset(codes)


def _known_prefix(prefix: str) -> bool:
    if prefix in national_kecamatan_codes():
        return True

    return Kecamatan.objects.filter(code=f"{prefix[:2]}.{prefix[2:4]}.{prefix[4:6]}").exists()


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def check_nik(nik: str, *, birth_date: datetime.date | None = None, sex: str | None = None,
              today: datetime.date | None = None) -> tuple[NikInfo | None, list[tuple[str, str]]]:
    """(info, problems). ``info`` is None when the NIK itself is invalid; ``problems``
    lists (field, message) for every failure, the NIK's own ones first, then those where
    the entered birth date or sex disagrees with it. ``field`` is "nik", "birth_date" or
    "sex"."""
    today = today or clock.today()
    raw = "" if nik is None else str(nik)
    text = raw.strip().replace(" ", "").replace(".", "")
    problems: list[tuple[str, str]] = []
    if not text:
        return None, [("nik", _("NIK: this value is required."))]
    if not text.isascii() or not text.isdigit():
        return None, [("nik", _("NIK: only digits are allowed (%(value)s).") % {"value": mask_nik(text)})]
    if len(text) != 16:
        return None, [("nik", _("NIK: must have 16 digits, not %(count)s.") % {"count": len(text)})]
    prefix = text[:6]
    known = _known_prefix(prefix)
    fast = _valid_birth_part(text[6:12], birth_date, today) if text[12:] != "0000" else None
    if fast is not None and known:
        # A valid NIK (the common case): the date part's reading is cached, as thousands of
        # workers share a birth date. Invalid ones take the path below, which words each problem.
        info = NikInfo(text, _kecamatan_code(prefix), fast[0], fast[1], text[12:])
        return info, _mismatches(info, birth_date, sex)
    if not known:
        problems.append(("nik", _(
            "NIK: %(code)s is not a kab/kota + kecamatan code of the national list.") % {
            "code": prefix}))
    day, month, yy = int(text[6:8]), int(text[8:10]), int(text[10:12])
    found_sex = FEMALE if day > 40 else MALE
    real_day = day - 40 if day > 40 else day
    found_date = None
    if real_day < 1 or real_day > 31 or (31 < day < 41):
        problems.append(("nik", _(
            "NIK: day %(day)s is neither a day of birth (01–31) nor a woman's (41–71).") % {
            "day": text[6:8]}))
    elif month < 1 or month > 12:
        problems.append(("nik", _("NIK: month of birth %(month)s does not exist.") % {
            "month": text[8:10]}))
    else:
        # Two-digit year: the most recent century that gives a real date not in the future,
        # unless the entered birth date picks the other one.
        candidates = [d for d in (_date(2000 + yy, month, real_day), _date(1900 + yy, month, real_day))
                      if d is not None and d <= today]
        if birth_date is not None and birth_date in candidates:
            found_date = birth_date
        elif candidates:
            found_date = candidates[0]
        elif _date(2000 + yy, month, real_day) or _date(1900 + yy, month, real_day):
            problems.append(("nik", _("NIK: birth date %(date)s is in the future.") % {
                "date": f"{real_day:02d}/{month:02d}/{yy:02d}"}))
        else:
            problems.append(("nik", _("NIK: birth date %(date)s does not exist.") % {
                "date": f"{real_day:02d}/{month:02d}"}))
    if text[12:] == "0000":
        problems.append(("nik", _("NIK: serial number 0000 is not valid.")))
    if problems:
        return None, problems
    info = NikInfo(text, _kecamatan_code(prefix), found_date, found_sex, text[12:])
    return info, _mismatches(info, birth_date, sex)


@functools.lru_cache(maxsize=8192)
def _kecamatan_code(prefix: str) -> str:
    return f"{prefix[:2]}.{prefix[2:4]}.{prefix[4:6]}"


@functools.lru_cache(maxsize=100_000)
def _valid_birth_part(ddmmyy: str, birth_date: datetime.date | None,
                      today: datetime.date) -> tuple[datetime.date, str] | None:
    """(birth date, sex) read from digits 7–12 exactly as :func:`check_nik` does, or None
    when they have a problem (check_nik then words it)."""
    day, month, yy = int(ddmmyy[0:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    real_day = day - 40 if day > 40 else day
    if real_day < 1 or real_day > 31 or (31 < day < 41) or month < 1 or month > 12:
        return None
    candidates = [d for d in (_date(2000 + yy, month, real_day), _date(1900 + yy, month, real_day))
                  if d is not None and d <= today]
    if not candidates:
        return None
    found = birth_date if birth_date is not None and birth_date in candidates else candidates[0]
    return found, FEMALE if day > 40 else MALE


def _mismatches(info: NikInfo, birth_date, sex) -> list[tuple[str, str]]:
    """Where the entered birth date or sex disagrees with the NIK."""
    problems: list[tuple[str, str]] = []
    if birth_date is not None and birth_date != info.birth_date:
        problems.append(("birth_date", _(
            "NIK: the date of birth in the NIK (%(nik_date)s) differs from the one entered "
            "(%(entered)s).") % {"nik_date": info.birth_date.strftime("%d-%m-%Y"),
                                  "entered": birth_date.strftime("%d-%m-%Y")}))
    if sex and sex != info.sex:
        problems.append(("sex", _(
            "NIK: the NIK is a woman's (day of birth + 40) but the sex entered is male.")
            if info.sex == FEMALE else _(
            "NIK: the NIK is a man's but the sex entered is female.")))
    return problems


def validate_nik(nik: str, *, birth_date: datetime.date | None = None, sex: str | None = None,
                 today: datetime.date | None = None) -> NikInfo:
    """The NIK's info, or :class:`NikError` with every problem."""
    info, problems = check_nik(nik, birth_date=birth_date, sex=sex, today=today)
    if problems:
        raise NikError(problems)
    return info
