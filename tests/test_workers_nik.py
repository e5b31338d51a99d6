"""The one NIK function, against a reference generator (hypothesis)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posko.workers.nik import (
    NikError,
    check_nik,
    mask_nik,
    mask_phone,
    national_kecamatan_codes,
    validate_nik,
)

TODAY = datetime.date(2024, 11, 27)
KECAMATAN = sorted(national_kecamatan_codes())


def make_nik(prefix: str, birth: datetime.date, sex: str, serial: int) -> str:
    """Reference generator: the structure described in shared/domain."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"{prefix}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


people = st.tuples(
    st.sampled_from(KECAMATAN),
    # Within 99 years of TODAY, so the two-digit year is not ambiguous.
    st.dates(min_value=datetime.date(1926, 11, 28), max_value=TODAY),
    st.sampled_from(["L", "P"]),
    st.integers(min_value=1, max_value=9999),
)


def test_national_list_is_complete():
    assert len(KECAMATAN) == 7285
    assert "357301" in KECAMATAN and "357305" in KECAMATAN


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(people)
def test_every_generated_nik_is_valid_and_decodes(person):
    prefix, birth, sex, serial = person
    nik = make_nik(prefix, birth, sex, serial)
    info = validate_nik(nik, birth_date=birth, sex=sex, today=TODAY)
    assert (info.birth_date, info.sex, info.serial) == (birth, sex, f"{serial:04d}")
    assert info.kecamatan_code.replace(".", "") == prefix
    # Without a birth date the most recent century not in the future is taken.
    assert validate_nik(nik, today=TODAY).birth_date.strftime("%m%d%y") == birth.strftime("%m%d%y")


@settings(max_examples=150, deadline=None)
@given(people)
def test_the_other_sex_is_refused_with_its_own_message(person):
    prefix, birth, sex, serial = person
    nik = make_nik(prefix, birth, sex, serial)
    with translation.override("en"):
        _info, problems = check_nik(nik, sex="L" if sex == "P" else "P", birth_date=birth, today=TODAY)
    assert [f for f, _m in problems] == ["sex"]
    assert ("woman's" in problems[0][1]) == (sex == "P")


@settings(max_examples=150, deadline=None)
@given(people, st.integers(min_value=1, max_value=400))
def test_a_different_birth_date_is_refused(person, shift):
    prefix, birth, sex, serial = person
    nik = make_nik(prefix, birth, sex, serial)
    other = birth - datetime.timedelta(days=shift)
    with translation.override("en"):
        _info, problems = check_nik(nik, birth_date=other, sex=sex, today=TODAY)
    assert problems and problems[0][0] == "birth_date"
    assert "differs from the one entered" in problems[0][1]


@pytest.mark.django_db
@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789", min_size=6, max_size=6).filter(lambda p: p not in KECAMATAN))
def test_unknown_region_codes_are_refused(prefix):
    nik = f"{prefix}0101900001"
    with translation.override("en"):
        _info, problems = check_nik(nik, today=TODAY)
    assert any("is not a kab/kota + kecamatan code" in m for _f, m in problems)


@pytest.mark.parametrize("nik, message", [
    ("357301310290001", "must have 16 digits, not 15"),
    ("35730131029000012", "must have 16 digits, not 17"),
    ("3573013102900A01", "only digits are allowed"),
    ("", "this value is required"),
    ("3573013102900001", "birth date 31/02 does not exist"),
    ("3573017102900001", "birth date 31/02 does not exist"),  # a woman's 31/02 (71)
    ("3573013502900001", "day 35 is neither a day of birth"),
    ("3573010013900001", "day 00 is neither"),
    ("3573011513900001", "month of birth 13 does not exist"),
    ("3573011502900000", "serial number 0000 is not valid"),
    ("9999011502900001", "999901 is not a kab/kota + kecamatan code"),
])
def test_each_failure_has_its_own_message(nik, message, db):
    with translation.override("en"):
        with pytest.raises(NikError) as exc:
            validate_nik(nik, today=TODAY)
    assert any(message in m for m in exc.value.messages), exc.value.messages


def test_messages_are_translated_to_indonesian(db):
    with translation.override("id"):
        _info, problems = check_nik("3573013102900001", today=TODAY)
    assert problems and problems[0][1].startswith("NIK")


def test_leap_day_and_century():
    assert validate_nik("3573012902000001", today=TODAY).birth_date == datetime.date(2000, 2, 29)
    # 29/02/00 as a woman's date, and 1900 not being a leap year does not matter.
    assert validate_nik("3573016902000001", today=TODAY).sex == "P"
    with pytest.raises(NikError):
        validate_nik("3573012902010001", today=TODAY)  # 2001 and 1901: no 29 Feb


def test_masking():
    assert mask_nik("3573014508800001") == "3573••••••••0001"
    assert mask_phone("081234567890") == "0812•••••890"
    assert mask_nik("") == ""
