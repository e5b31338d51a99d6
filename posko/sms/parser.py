"""The short SMS format (docs/modules/sms.md), read forgivingly; pure, no database.

    T <kelurahan> <tps> <state> [<HHMM>]
    H <kelurahan> <tps> <contest> <votes of pair 1> <pair 2> … S <valid> TS <invalid>
      [P <voters>] [ALASAN <reason…>]

Forgiving: any case; spaces, commas, semicolons, slashes, dashes, ``#`` and ``=`` between
words; the kelurahan code with or without dots (3573011001, 35.73.01.1001); in a number,
the letter O is read as 0 and I or l as 1; ``TPS`` before the TPS number; a time as 0712,
07:12, 07.12 or 7.12. A message that cannot be read raises :class:`ParseError` with a
message (gettext, English msgid) for the reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

STATUS_WORDS = {
    "SIAP": "siap",
    "BUKA": "dibuka", "DIBUKA": "dibuka", "BUKAN": "dibuka",
    "MULAI": "pemungutan", "PEMUNGUTAN": "pemungutan", "COBLOS": "pemungutan",
    "TUTUP": "ditutup", "DITUTUP": "ditutup",
    "HITUNG": "penghitungan", "PENGHITUNGAN": "penghitungan",
    "SELESAI": "selesai", "BERES": "selesai",
}
CONTEST_WORDS = {
    "W": "walikota", "WALIKOTA": "walikota", "WALKOT": "walikota",
    "B": "bupati", "BUPATI": "bupati",
    "G": "gubernur", "GUB": "gubernur", "GUBERNUR": "gubernur",
}
VERIFY_KEYS = {"DAFTAR", "VERIFIKASI"}
STATUS_KEYS = {"T", "STATUS"}
RESULTS_KEYS = {"H", "HASIL"}
VALID_KEYS = {"S", "SAH"}
INVALID_KEYS = {"TS", "TIDAKSAH"}
VOTERS_KEYS = {"P", "PEMILIH"}
REASON_KEYS = {"ALASAN", "KOREKSI"}
MAX_COUNT = 100_000
MAX_TEXT = 480

_SEPARATORS = re.compile(r"[\s,;/\\\-_#=|*+()\[\]\"'!?]+")
_REASON = re.compile(r"\b(ALASAN|KOREKSI)\b", re.IGNORECASE)
_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class ParseError(Exception):
    """The message cannot be read; ``str(error)`` is the reason for the reply."""


@dataclass(frozen=True)
class StatusSms:
    kelurahan: str  # "35.73.01.1001"
    tps: int
    state: str  # core.field_commands.STATES
    time: tuple[int, int] | None  # (hour, minute) local; None: when it was received


@dataclass(frozen=True)
class ResultsSms:
    kelurahan: str
    tps: int
    contest: str  # walikota | bupati | gubernur
    votes: dict = field(default_factory=dict)  # ballot number -> votes
    valid: int = 0
    invalid: int = 0
    voters: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class VerifySms:
    code: str  # the six digits shown in Posko


def example() -> str:
    return "T 3573011001 005 BUKA 0712 / H 3573011001 005 W 120 98 201 S 419 TS 12"


def _tokens(text: str) -> list[str]:
    text = (text or "").upper().replace("TIDAK SAH", "TIDAKSAH")
    return [t.strip(".:") for t in _SEPARATORS.split(text) if t.strip(".:")]


def _number(token: str | None, what: str, *, maximum: int = MAX_COUNT) -> int:
    raw = (token or "").translate(_DIGITS).strip(".:")
    if not raw.isdigit():
        raise ParseError(_("%(what)s must be a number, not “%(token)s”.") % {
            "what": what, "token": token or ""})
    number = int(raw)
    if number > maximum:
        raise ParseError(_("%(what)s: %(number)s is too large (at most %(max)s).") % {
            "what": what, "number": number, "max": maximum})
    return number


def _kelurahan(token: str | None) -> str:
    raw = (token or "").translate(_DIGITS).replace(".", "")
    if len(raw) != 10 or not raw.isdigit():
        raise ParseError(_("The kelurahan code must have 10 digits (e.g. 3573011001 or "
                           "35.73.01.1001), not “%(token)s”.") % {"token": token or ""})
    return f"{raw[:2]}.{raw[2:4]}.{raw[4:6]}.{raw[6:]}"


def _place(tokens: list[str]) -> tuple[str, int, list[str]]:
    """(kelurahan code, TPS number, the remaining tokens) after the keyword."""
    if not tokens:
        raise ParseError(_("The kelurahan code is missing."))
    kelurahan, rest = _kelurahan(tokens[0]), tokens[1:]
    if rest and rest[0] == "TPS":
        rest = rest[1:]
    if rest and rest[0].startswith("TPS") and len(rest[0]) > 3:
        rest = [rest[0][3:], *rest[1:]]
    if not rest:
        raise ParseError(_("The TPS number is missing."))
    number = _number(rest[0], _("The TPS number"), maximum=999)
    if number == 0:
        raise ParseError(_("The TPS number must be 1 or more."))
    return kelurahan, number, rest[1:]


def _time(token: str) -> tuple[int, int]:
    raw = token.translate(_DIGITS)
    if re.fullmatch(r"\d{1,2}[.:]\d{2}", raw):
        hour, minute = (int(part) for part in re.split(r"[.:]", raw))
    elif re.fullmatch(r"\d{3,4}", raw):
        hour, minute = int(raw[:-2]), int(raw[-2:])
    else:
        raise ParseError(_("The time must be written as HHMM (e.g. 0712), not “%(token)s”.")
                         % {"token": token})
    if hour > 23 or minute > 59:
        raise ParseError(_("%(token)s is not a time of day.") % {"token": token})
    return hour, minute


def _status(tokens: list[str]) -> StatusSms:
    kelurahan, number, rest = _place(tokens)
    if not rest:
        raise ParseError(_("The state is missing (SIAP, BUKA, MULAI, TUTUP, HITUNG or "
                           "SELESAI)."))
    state = STATUS_WORDS.get(rest[0])
    if state is None:
        raise ParseError(_("Unknown state “%(word)s”: use SIAP, BUKA, MULAI, TUTUP, HITUNG or "
                           "SELESAI.") % {"word": rest[0]})
    rest = rest[1:]
    if rest and rest[0] in ("JAM", "PUKUL", "PK"):
        rest = rest[1:]
    time = _time(rest[0]) if rest else None
    if len(rest) > 1:
        raise ParseError(_("Unexpected “%(word)s” after the time.") % {"word": rest[1]})
    return StatusSms(kelurahan, number, state, time)


def _results(tokens: list[str]) -> ResultsSms:
    kelurahan, number, rest = _place(tokens)
    if not rest:
        raise ParseError(_("The contest is missing: W (wali kota), B (bupati) or G "
                           "(gubernur)."))
    contest = CONTEST_WORDS.get(rest[0])
    if contest is None:
        raise ParseError(_("Unknown contest “%(word)s”: use W (wali kota), B (bupati) or G "
                           "(gubernur).") % {"word": rest[0]})
    rest, votes = rest[1:], {}
    while rest and rest[0] not in VALID_KEYS | INVALID_KEYS | VOTERS_KEYS | REASON_KEYS:
        votes[len(votes) + 1] = _number(rest.pop(0), _("The votes of pair %(n)s") % {
            "n": len(votes) + 1})
    if not votes:
        raise ParseError(_("The votes of the pairs are missing (after the contest, in ballot "
                           "order)."))
    found = {}
    while rest:
        key = rest.pop(0)
        if key in REASON_KEYS:
            found["reason"] = " ".join(rest).strip()
            break
        name = ("valid" if key in VALID_KEYS else "invalid" if key in INVALID_KEYS
                else "voters" if key in VOTERS_KEYS else None)
        if name is None:
            raise ParseError(_("Unexpected “%(word)s”: after the pairs' votes write S <valid> "
                               "TS <invalid>.") % {"word": key})
        if name in found:
            raise ParseError(_("“%(word)s” is given twice.") % {"word": key})
        label = {"valid": _("The valid votes (S)"), "invalid": _("The invalid votes (TS)"),
                 "voters": _("The voters (P)")}[name]
        found[name] = _number(rest.pop(0) if rest else None, label)
    if "valid" not in found:
        raise ParseError(_("The valid votes are missing: write S <number>."))
    if "invalid" not in found:
        raise ParseError(_("The invalid votes are missing: write TS <number>."))
    return ResultsSms(kelurahan, number, contest, votes, found["valid"], found["invalid"],
                      found.get("voters"), found.get("reason", ""))


def parse(text: str) -> StatusSms | ResultsSms | VerifySms:
    """The message read, or :class:`ParseError`."""
    if len(text or "") > MAX_TEXT:
        raise ParseError(_("The message is too long."))
    # The reason keeps its own case and punctuation: cut it off before reading the numbers.
    parts = _REASON.split(text or "", maxsplit=1)
    head, keyword, reason = parts if len(parts) == 3 else (text or "", "", "")
    tokens = _tokens(head)
    if not tokens:
        raise ParseError(_("The message is empty."))
    key, rest = tokens[0], tokens[1:]
    # "T3573011001": the keyword stuck to the code.
    for keys in (STATUS_KEYS, RESULTS_KEYS):
        for word in keys:
            if key.startswith(word) and key[len(word):].translate(_DIGITS).replace(".", "") \
                    .isdigit():
                key, rest = word, [key[len(word):], *rest]
    if key in VERIFY_KEYS:
        code = "".join(rest).translate(_DIGITS)
        if not (len(code) == 6 and code.isdigit()):
            raise ParseError(_("Write DAFTAR and the six-digit code shown in Posko (SMS → My "
                               "number)."))
        return VerifySms(code)
    if key in STATUS_KEYS:
        return _status(rest)
    if key in RESULTS_KEYS:
        if keyword:
            rest = [*rest, "ALASAN"]
        sms = _results(rest)
        return ResultsSms(**{**sms.__dict__, "reason": " ".join(reason.split())[:500]})
    raise ParseError(_("Start with T (TPS status) or H (results)."))
