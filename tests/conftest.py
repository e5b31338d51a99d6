"""Shared fixtures: a small two-kecamatan Pemda and one user per persona.

Persona matrix (ARCHITECTURE.md): admin, operator kecamatan A, operator
kelurahan A (in kecamatan A), operator kelurahan B (in kecamatan B), agency
operator, pemantau, anonymous. Module tests supply their own rows placed in
kelurahan A / B and ask the ``personas`` fixture who should see them.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.test import Client

from posko.accounts.models import Agency, Role, User
from posko.core import clock, constants
from posko.elections.models import Election, Tps
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi
from tests import timeouts

PASSWORD = "rahasia-posko-123"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Every test (setup, call, teardown) within a time limit (tests/timeouts.py): a hang
    fails that test, with every thread's stack on stderr, instead of the whole CI run."""
    browser = item.get_closest_marker("browser") is not None
    limit = timeouts.BROWSER_LIMIT_S if browser else timeouts.TEST_LIMIT_S
    with timeouts.within(limit, item.nodeid, dump=True):
        yield


@pytest.fixture(autouse=True)
def _reset_process_constants():
    """Each test starts with an empty per-process cache (the last test's rows were rolled
    back, which no signal announces)."""
    constants.forget()
    clock.assume_real()
    yield
    constants.forget()


@dataclass
class World:
    pemda: Pemda
    kec_a: Kecamatan
    kec_b: Kecamatan
    kel_a: Kelurahan
    kel_a2: Kelurahan
    kel_b: Kelurahan
    kel_outside: Kelurahan  # in another kab/kota: outside the Pemda
    election: Election
    tps_a: Tps
    tps_a2: Tps
    tps_b: Tps
    tps_outside: Tps


@pytest.fixture
def world(db) -> World:
    jatim = Provinsi.objects.create(code="35", name="Jawa Timur")
    malang = KabKota.objects.create(code="35.73", provinsi=jatim, name="Kota Malang")
    batu = KabKota.objects.create(code="35.79", provinsi=jatim, name="Kota Batu")
    kec_a = Kecamatan.objects.create(code="35.73.02", kabkota=malang, name="Klojen")
    kec_b = Kecamatan.objects.create(code="35.73.01", kabkota=malang, name="Blimbing")
    kec_batu = Kecamatan.objects.create(code="35.79.01", kabkota=batu, name="Batu")
    kel_a = Kelurahan.objects.create(code="35.73.02.1001", kecamatan=kec_a, name="Klojen")
    kel_a2 = Kelurahan.objects.create(code="35.73.02.1002", kecamatan=kec_a, name="Rampal Celaket")
    kel_b = Kelurahan.objects.create(code="35.73.01.1001", kecamatan=kec_b, name="Jodipan")
    kel_out = Kelurahan.objects.create(code="35.79.01.2001", kecamatan=kec_batu, name="Oro-Oro Ombo")
    pemda = Pemda.objects.create(kabkota=malang, name="Pemerintah Kota Malang")
    election = Election.objects.create(
        name="Pilkada Serentak 2024", voting_date=datetime.date(2024, 11, 27), is_active=True)

    def tps(kel, number, men=200, women=210):
        return Tps.objects.create(election=election, kelurahan=kel, number=number,
                                  dpt_men=men, dpt_women=women, address=f"Jl. Contoh {number}")

    return World(pemda, kec_a, kec_b, kel_a, kel_a2, kel_b, kel_out, election,
                 tps(kel_a, 1), tps(kel_a2, 1), tps(kel_b, 1), tps(kel_out, 1))


@dataclass
class Persona:
    name: str
    user: User | None
    client: Client


PERSONA_NAMES = ["admin", "kecamatan_a", "kelurahan_a", "kelurahan_b", "agency", "pemantau",
                 "anonymous"]


@pytest.fixture
def users(world) -> dict[str, User | None]:
    agency = Agency.objects.create(name="Dinas Kesehatan", short_name="Dinkes")

    def make(username, role, **extra):
        return User.objects.create_user(username=username, password=PASSWORD, role=role,
                                        first_name=username.replace("_", " ").title(), **extra)

    return {
        "admin": make("admin", Role.ADMIN),
        "kecamatan_a": make("kecamatan_a", Role.KECAMATAN, kecamatan=world.kec_a),
        "kelurahan_a": make("kelurahan_a", Role.KELURAHAN, kelurahan=world.kel_a),
        "kelurahan_b": make("kelurahan_b", Role.KELURAHAN, kelurahan=world.kel_b),
        "agency": make("agency", Role.AGENCY, agency=agency),
        "pemantau": make("pemantau", Role.PEMANTAU),
        "anonymous": None,
    }


@pytest.fixture
def personas(users) -> dict[str, Persona]:
    result = {}
    for name, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        result[name] = Persona(name, user, client)
    return result


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# Who sees a row placed in each kelurahan of the world (anonymous sees nothing).
SEES_KEL_A = {"admin", "kecamatan_a", "kelurahan_a", "agency", "pemantau"}
SEES_KEL_A2 = {"admin", "kecamatan_a", "agency", "pemantau"}
SEES_KEL_B = {"admin", "kelurahan_b", "agency", "pemantau"}
SEES_OUTSIDE: set[str] = set()
# Who may change a row placed in each kelurahan.
EDITS_KEL_A = {"admin", "kecamatan_a", "kelurahan_a"}
EDITS_KEL_B = {"admin", "kelurahan_b"}


def content_of(response) -> bytes:
    """The body of a download, streamed or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def table(data: bytes, kind: str) -> list[list]:
    """The rows of an exported CSV (with its BOM) or XLSX (first sheet)."""
    if kind == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx_bytes(header, rows) -> bytes:
    """An XLSX as openpyxl (and Excel) write it: one sheet, the header, then the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
