"""The short SMS format read forgivingly (case, spacing, punctuation, O/0 and l/I/1 in numbers,
the kelurahan code with or without dots), and every malformed message refused with a reason."""

from __future__ import annotations

import pytest
from django.utils import translation

from posko.sms.parser import ParseError, ResultsSms, StatusSms, parse

KEL = "35.73.01.1001"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("text", [
    "T 3573011001 005 BUKA 0712",
    "t 3573011001 5 buka 07:12",
    "T 35.73.01.1001 005 BUKA 07.12",
    "  T   3573011001   005   BUKA   0712  ",
    "T,3573011001,005,BUKA,0712",
    "T;3573011001;TPS 005;Buka;7.12",
    "T 3573011001 TPS005 DIBUKA 712",
    "T3573011001 005 BUKA 0712",
    "T 357301100l 0O5 BUKA O7l2",
    "T 35.73.O1.IOO1 oo5 buka jam 07:12.",
    "status 3573011001 5 buka 0712",
    "T-3573011001-005-BUKA-0712",
    "T 3573011001 #5 BUKA 0712!",
])
def test_status_variants_read_the_same(text):
    assert parse(text) == StatusSms(KEL, 5, "dibuka", (7, 12))


@pytest.mark.parametrize("word,state", [
    ("SIAP", "siap"), ("buka", "dibuka"), ("Mulai", "pemungutan"), ("TUTUP", "ditutup"),
    ("ditutup", "ditutup"), ("HITUNG", "penghitungan"), ("selesai", "selesai")])
def test_every_state_word(word, state):
    assert parse(f"T 3573011001 5 {word}") == StatusSms(KEL, 5, state, None)


@pytest.mark.parametrize("text", [
    "H 3573011001 005 W 120 98 201 S 419 TS 12",
    "h 3573011001 5 w 120 98 201 s 419 ts 12",
    "H 35.73.01.1001 005 W 120, 98, 201 S 419 TS 12",
    "H 357301l00l 0O5 W l20 98 20l S 4l9 TS l2",
    "H 3573011001 005 WALIKOTA 120 98 201 SAH 419 TIDAK SAH 12",
    "HASIL 3573011001 TPS 5 W 120/98/201 S=419 TS=12",
    "H 3573011001 005 W 120 98 201 TS 12 S 419",
])
def test_results_variants_read_the_same(text):
    assert parse(text) == ResultsSms(KEL, 5, "walikota", {1: 120, 2: 98, 3: 201}, 419, 12)


def test_results_with_voters_contest_and_reason():
    sms = parse("H 3573011001 7 G 10 20 S 30 TS 1 P 31 alasan Salah ketik: 17 bukan 817")
    assert (sms.contest, sms.votes, sms.valid, sms.invalid, sms.voters, sms.tps) == (
        "gubernur", {1: 10, 2: 20}, 30, 1, 31, 7)
    assert sms.reason == "Salah ketik: 17 bukan 817"  # its own case and punctuation
    assert parse("H 3573011001 7 B 0 0 S 0 TS 0").contest == "bupati"


@pytest.mark.parametrize("text,message", [
    ("", "The message is empty."),
    ("   ,;  ", "The message is empty."),
    ("HALO PAK", "Start with T (TPS status) or H (results)."),
    ("T", "The kelurahan code is missing."),
    ("T 357301100 5 BUKA", "The kelurahan code must have 10 digits (e.g. 3573011001 or "
                            "35.73.01.1001), not “357301100”."),
    ("T 3573011001", "The TPS number is missing."),
    ("T 3573011001 X5 BUKA", "The TPS number must be a number, not “X5”."),
    ("T 3573011001 0 BUKA", "The TPS number must be 1 or more."),
    ("T 3573011001 1000 BUKA", "The TPS number: 1000 is too large (at most 999)."),
    ("T 3573011001 5", "The state is missing (SIAP, BUKA, MULAI, TUTUP, HITUNG or SELESAI)."),
    ("T 3573011001 5 TIDUR", "Unknown state “TIDUR”: use SIAP, BUKA, MULAI, TUTUP, HITUNG or "
                             "SELESAI."),
    ("T 3573011001 5 BUKA 2599", "2599 is not a time of day."),
    ("T 3573011001 5 BUKA PAGI", "The time must be written as HHMM (e.g. 0712), not “PAGI”."),
    ("T 3573011001 5 BUKA 0712 OK", "Unexpected “OK” after the time."),
    ("H 3573011001 5", "The contest is missing: W (wali kota), B (bupati) or G (gubernur)."),
    ("H 3573011001 5 X 1 2", "Unknown contest “X”: use W (wali kota), B (bupati) or G "
                             "(gubernur)."),
    ("H 3573011001 5 W S 3 TS 1", "The votes of the pairs are missing (after the contest, in "
                                  "ballot order)."),
    ("H 3573011001 5 W 1 2X S 3 TS 0", "The votes of pair 2 must be a number, not “2X”."),
    ("H 3573011001 5 W 1 2 TS 3", "The valid votes are missing: write S <number>."),
    ("H 3573011001 5 W 1 2 S 3", "The invalid votes are missing: write TS <number>."),
    ("H 3573011001 5 W 1 2 S 3 TS", "The invalid votes (TS) must be a number, not “”."),
    ("H 3573011001 5 W 1 2 S 3 S 3 TS 0", "“S” is given twice."),
    ("H 3573011001 5 W 1 2 S 3 TS 0 X 5", "Unexpected “X”: after the pairs' votes write S "
                                          "<valid> TS <invalid>."),
    ("H 3573011001 5 W 1 200000 S 3 TS 0", "The votes of pair 2: 200000 is too large "
                                           "(at most 100000)."),
    ("T 3573011001 5 BUKA " + "x" * 500, "The message is too long."),
])
def test_malformed_messages_are_refused_with_the_reason(text, message):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert str(caught.value) == message
