"""Ballots and result forms per contest (issue 15, point 1): one catalogue line per contest,
named with the contest, in requirements, receipts, shortfalls, the H-1 board, exports, the
API and the ballots the voting module reads; the migration that splits an existing shared
line."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from posko.core import requirements as core_requirements
from posko.elections.models import Contest
from posko.logistics.models import (
    Item,
    PlannedDistribution,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import catalogue, readiness, requirements
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.regions.models import KabKota, Provinsi

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
DISPATCHED = datetime.datetime(2024, 11, 25, 8, 0, tzinfo=WIB)
RECEIVED = datetime.datetime(2024, 11, 25, 14, 0, tzinfo=WIB)
SHORTFALLS = "/api/v1/logistics/shortfalls/"
REQUIREMENTS = "/api/v1/logistics/requirements/"
MIGRATION = "posko.logistics.migrations.0005_ballots_and_forms_per_contest"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _contests(world):
    jatim = Provinsi.objects.get(code="35")
    governor = Contest.objects.create(election=world.election, name="Gubernur Jawa Timur",
                                      level="gubernur", provinsi=jatim)
    mayor = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                   level="walikota", provinsi=jatim,
                                   kabkota=KabKota.objects.get(code="35.73"))
    return governor, mayor


@pytest.fixture
def logistics(world, users):
    world.governor, world.mayor = _contests(world)
    catalogue.install_defaults(world.election, actor=users["admin"])
    world.items = {i.code: i for i in Item.objects.filter(election=world.election)}
    return world


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ship_ballots(world, users, lines):
    """A PPS → TPS A shipment of ``lines`` (code → count), received in full."""
    shipment = create_shipment(
        world.election, Shipment.Level.PPS, Shipment.Level.TPS, world.tps_a,
        {world.items[code]: n for code, n in lines.items()}, seal_numbers="S-1",
        dispatched_at=DISPATCHED, actor=users["kelurahan_a"])
    counts = {line.item_id: (line.dispatched, 0, "") for line in shipment.lines.all()}
    confirm_receipt(shipment, counts, "Bu Sri (KPPS)", RECEIVED, actor=users["kelurahan_a"],
                    expected_version=shipment.version)
    return shipment


# --- receipts and shortfalls ------------------------------------------------------------------

def test_a_receipt_for_one_contest_does_not_satisfy_the_other(logistics, users):
    """TPS A (DPT 410) needs 421 ballots per contest. 842 of the mayor's ballots (with
    everything else) are not the governor's 421: the TPS is not complete and lacks the
    governor's ballots; a later shipment of too few of them opens a case named with the
    governor's contest."""
    need = dict(Requirement.objects.filter(tps=logistics.tps_a).values_list(
        "item__code", "quantity"))
    need.pop("surat-suara-gubernur")
    need["surat-suara-walikota"] = 842
    _ship_ballots(logistics, users, need)
    assert not Shortfall.objects.filter(tps=logistics.tps_a).exists()
    row = TpsReadiness.objects.get(tps=logistics.tps_a)
    assert row.state == TpsReadiness.State.KURANG and row.percent < 100
    missing = readiness.missing_items([logistics.tps_a.pk])[logistics.tps_a.pk]
    assert missing == [{"name": "Surat suara Gubernur Jawa Timur", "unit": "lembar",
                        "missing": 421}]

    _ship_ballots(logistics, users, {"surat-suara-gubernur": 400})
    cases = list(Shortfall.objects.filter(tps=logistics.tps_a).select_related("item"))
    assert [(c.kind, c.item.name, c.quantity) for c in cases] == [
        ("below", "Surat suara Gubernur Jawa Timur", 21)]
    assert cases[0].description == (
        "Surat suara Gubernur Jawa Timur: 421 required, 400 dispatched to the TPS, "
        "400 in good condition.")
    assert cases[0].item.contest == logistics.governor
    assert TpsReadiness.objects.get(tps=logistics.tps_a).state == TpsReadiness.State.BERMASALAH


def test_a_short_receipt_names_the_contest_that_is_short(logistics, users):
    shipment = create_shipment(
        logistics.election, Shipment.Level.PPS, Shipment.Level.TPS, logistics.tps_a,
        {logistics.items["surat-suara-walikota"]: 421,
         logistics.items["surat-suara-gubernur"]: 421},
        seal_numbers="S-1", dispatched_at=DISPATCHED, actor=users["kelurahan_a"])
    mayor, governor = (logistics.items[c].pk for c in ("surat-suara-walikota",
                                                       "surat-suara-gubernur"))
    confirm_receipt(shipment, {mayor: (400, 0, ""), governor: (421, 0, "")}, "Bu Sri",
                    RECEIVED, actor=users["kelurahan_a"], expected_version=shipment.version)
    short = Shortfall.objects.select_related("item").get(shipment=shipment, kind="short")
    assert short.item.name == "Surat suara Wali Kota Malang" and short.quantity == 21
    assert short.description == "Surat suara Wali Kota Malang: 421 dispatched, 400 received."
    assert not Shortfall.objects.filter(item_id=governor).exists()


# --- board, exports, API ------------------------------------------------------------------------

def test_the_board_row_says_which_contest_lacks_what(logistics, users, personas):
    _ship_ballots(logistics, users, {"surat-suara-walikota": 421})
    _ship_ballots(logistics, users, {"surat-suara-gubernur": 400})
    client = personas["admin"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("logistics:board"))
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r.tps_id == logistics.tps_a.pk)
    lacking = {m["name"]: m["missing"] for m in row.missing_items}
    assert lacking["Surat suara Gubernur Jawa Timur"] == 21
    assert "Surat suara Wali Kota Malang" not in lacking
    assert "Surat suara Gubernur Jawa Timur: 21 lembar" in response.content.decode()


def test_the_board_costs_the_same_queries_for_more_tps(logistics, users, personas,
                                                      django_assert_max_num_queries):
    from posko.elections.models import Tps

    client = personas["admin"].client
    client.get(reverse("logistics:board"))
    with django_assert_max_num_queries(40) as first:
        client.get(reverse("logistics:board"))
    made = [Tps.objects.create(election=logistics.election, kelurahan=logistics.kel_a,
                               number=50 + n, dpt_men=100, dpt_women=100) for n in range(12)]
    requirements.recompute(logistics.election, tps_ids=[t.pk for t in made])
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(reverse("logistics:board"))
    assert len(response.context["rows"]) >= 14


def test_shortfall_export_and_api_name_the_contest(logistics, users, personas):
    _ship_ballots(logistics, users, {"surat-suara-gubernur": 400})
    client = personas["admin"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("logistics:shortfall_list"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert any("Surat suara Gubernur Jawa Timur" in row for row in rows[1:])
    data = _api(users["admin"]).get(SHORTFALLS).json()["results"]
    assert [(r["item_name"], r["contest"], r["contest_name"]) for r in data] == [
        ("Surat suara Gubernur Jawa Timur", logistics.governor.pk, "Gubernur Jawa Timur")]
    only_mayor = _api(users["admin"]).get(SHORTFALLS, {"contest": logistics.mayor.pk}).json()
    assert only_mayor["count"] == 0
    # another kelurahan's lurah does not see the case (404 on its detail)
    case = data[0]["id"]
    assert _api(users["kelurahan_b"]).get(f"{SHORTFALLS}{case}/").status_code == 404
    assert _api(users["kelurahan_a"]).get(f"{SHORTFALLS}{case}/").status_code == 200


def test_requirements_api_per_contest(logistics, users):
    client = _api(users["admin"])
    rows = client.get(REQUIREMENTS, {"tps": logistics.tps_a.pk,
                                     "contest": logistics.mayor.pk}).json()["results"]
    assert sorted((r["item_name"], r["contest_name"], r["quantity"]) for r in rows) == [
        ("Formulir Model C.Hasil-KWK Wali Kota Malang", "Wali Kota Malang", 1),
        ("Surat suara Wali Kota Malang", "Wali Kota Malang", 421)]
    assert client.get(REQUIREMENTS, {"tps": logistics.tps_outside.pk,
                                     "contest": logistics.mayor.pk}).json()["count"] == 0


# --- the catalogue's rules ----------------------------------------------------------------------

def test_a_ballots_line_needs_its_contest(logistics, users):
    item = Item(election=logistics.election, code="surat-suara-lagi", name="Surat suara",
                unit="lembar", norm=Item.Norm.BALLOTS)
    with pytest.raises(ValidationError) as exc:
        catalogue.create_item(item, actor=users["admin"])
    assert exc.value.message_dict == {
        "contest": ["Each contest has its own ballots: choose the contest of this item."]}
    assert not Item.objects.filter(code="surat-suara-lagi").exists()


def test_a_contest_of_another_election_is_refused(logistics, users):
    from posko.elections.models import Election

    other = Election.objects.create(name="Pilkada lain", voting_date=datetime.date(2029, 11, 1))
    foreign = Contest.objects.create(election=other, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    item = Item(election=logistics.election, code="surat-suara-x", name="Surat suara X",
                unit="lembar", norm=Item.Norm.BALLOTS, contest=foreign)
    with pytest.raises(ValidationError) as exc:
        catalogue.create_item(item, actor=users["admin"])
    assert exc.value.message_dict == {
        "contest": ["This contest is not one of the item's election."]}


# --- what voting reads --------------------------------------------------------------------------

def test_voting_reads_the_ballots_of_the_contest_asked(logistics):
    e, tps = logistics.election, logistics.tps_a
    assert core_requirements.ballots_required(e, tps, logistics.mayor) == 421
    assert core_requirements.ballots_required(e, tps, logistics.governor) == 421
    mayor_line = logistics.items["surat-suara-walikota"]
    mayor_line.is_active = False
    mayor_line.save()
    # the mayor's contest has no ballots line any more; the governor's still has one
    assert core_requirements.ballots_required(e, tps, logistics.mayor) is None
    assert core_requirements.ballots_required(e, tps, logistics.governor) == 421


# --- the migration for existing installs --------------------------------------------------------

def test_the_migration_splits_a_shared_line(world, users):
    """An install from before: one "Surat suara" line for both contests, with its
    requirements, a received shipment, a plan row and a shortfall case."""
    import importlib

    governor, mayor = _contests(world)
    e = world.election
    old = Item.objects.create(election=e, code="surat-suara", name="Surat suara", unit="lembar",
                              norm=Item.Norm.BALLOTS, order=10)
    forms = Item.objects.create(election=e, code="formulir-c-hasil",
                                name="Formulir Model C.Hasil-KWK", unit="set",
                                norm=Item.Norm.PER_CONTEST, order=20)
    ink = Item.objects.create(election=e, code="tinta", name="Tinta", norm=Item.Norm.PER_TPS,
                              quantity=2, order=30)
    requirements.recompute(e)  # the shared rows: 2 × 421 at a Kota Malang TPS
    assert Requirement.objects.get(tps=world.tps_a, item=old).quantity == 842
    shipment = Shipment.objects.create(
        election=e, from_level="pps", to_level="tps", kecamatan=world.kec_a, kelurahan=world.kel_a,
        tps=world.tps_a, dispatched_at=DISPATCHED, status="received", received_at=RECEIVED)
    ShipmentLine.objects.create(shipment=shipment, item=old, dispatched=843, received=841,
                                damaged=3)
    PlannedDistribution.objects.create(election=e, tps=world.tps_a, kecamatan=world.kec_a,
                                       kelurahan=world.kel_a, item=old, quantity=842,
                                       planned_date=datetime.date(2024, 11, 25))
    case = Shortfall.objects.create(election=e, kind="short", kecamatan=world.kec_a,
                                    kelurahan=world.kel_a, tps=world.tps_a, item=old, quantity=2,
                                    shipment=shipment, description="Surat suara: 2 kurang.")

    importlib.import_module(MIGRATION).split(apps, None)

    lines = {i.code: i for i in Item.objects.filter(election=e)}
    g, m = lines["surat-suara-gubernur"], lines["surat-suara-walikota"]
    assert (g.name, g.contest, m.name, m.contest) == (
        "Surat suara Gubernur Jawa Timur", governor, "Surat suara Wali Kota Malang", mayor)
    assert lines["formulir-c-hasil-walikota"].name == "Formulir Model C.Hasil-KWK Wali Kota Malang"
    assert "formulir-c-hasil" not in lines  # nothing recorded on it: deleted
    assert not Item.objects.filter(pk=forms.pk).exists()
    # requirements: each contest's share; the Kota Batu TPS has the governor's line only
    assert Requirement.objects.get(tps=world.tps_a, item=g).quantity == 421
    assert Requirement.objects.get(tps=world.tps_a, item=m).quantity == 421
    assert Requirement.objects.get(tps=world.tps_outside, item=g).quantity == 421
    assert not Requirement.objects.filter(tps=world.tps_outside, item=m).exists()
    assert not Requirement.objects.filter(item=old).exists()
    assert Requirement.objects.get(tps=world.tps_a, item=ink).quantity == 2  # untouched
    # receipts split evenly, the remainder to the first contest (by id)
    split = {line.item_id: (line.dispatched, line.received, line.damaged)
             for line in shipment.lines.all()}
    assert split == {g.pk: (422, 421, 2), m.pk: (421, 420, 1)}
    assert sorted(PlannedDistribution.objects.values_list("item_id", "quantity")) == sorted(
        [(g.pk, 421), (m.pk, 421)])
    # the case is not guessed onto a contest: it stays on the old line, kept but inactive
    old.refresh_from_db()
    case.refresh_from_db()
    assert case.item_id == old.pk
    assert not old.is_active
    assert old.name == "Surat suara (semua pemilihan, sebelum dipisah)"
    # the catalogue now matches what recompute computes, and installing adds no duplicate
    assert requirements.recompute(e) == 0
    added = catalogue.install_defaults(e, actor=users["admin"])
    assert not Item.objects.filter(election=e, code__startswith="surat-suara-").exclude(
        pk__in=[g.pk, m.pk]).exists()
    assert added == 12 - 3  # the other shared default items
