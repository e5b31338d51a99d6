"""Logistics as a source of derived vulnerability indicators (posko/logistics/indicators.py):
shortfall cases set logistik_kurang / logistik_rusak / logistik_terlambat at their TPS,
next to (never over) what a person entered."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from posko.core import derived
from posko.elections.models import Contest
from posko.logistics import indicators
from posko.logistics.models import Item, Shipment, Shortfall
from posko.logistics.services import requirements
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.logistics.services.shortfalls import update_shortfall
from posko.vulnerability.models import Assessment, DerivedValue
from tests.vulnerability_fixtures import effective, set_values

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
DISPATCHED = datetime.datetime(2024, 11, 25, 8, 0, tzinfo=WIB)
RECEIVED = datetime.datetime(2024, 11, 25, 14, 0, tzinfo=WIB)
AFTER_DEADLINE = datetime.datetime(2024, 11, 26, 19, 30, tzinfo=WIB)
S = Shipment.Level


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def items(world):
    Contest.objects.create(election=world.election, name="Wali Kota Malang",
                           level=Contest.Level.WALIKOTA, provinsi_id="35", kabkota_id="35.73")
    e = world.election
    result = SimpleNamespace(
        kotak=Item.objects.create(election=e, code="kotak_suara", name="Kotak suara",
                                  norm=Item.Norm.PER_CONTEST, quantity=1, order=1),
        bilik=Item.objects.create(election=e, code="bilik_suara", name="Bilik suara",
                                  norm=Item.Norm.PER_TPS, quantity=4, order=2),
    )
    requirements.recompute(e)
    return result


def ship_and_receive(world, users, items, counts, when=RECEIVED, tps=None):
    shipment = create_shipment(
        world.election, S.PPS, S.TPS, tps or world.tps_a, {items.kotak: 1, items.bilik: 4},
        seal_numbers="KPU-001", vehicle="N 1234 AB", driver="Pak Slamet",
        dispatched_at=DISPATCHED, actor=users["kelurahan_a"])
    confirm_receipt(shipment, counts, "Bu Sri (KPPS)", when, actor=users["kelurahan_a"],
                            expected_version=shipment.version)
    return shipment


def test_the_three_sources_are_registered():
    keys = {s.key: s.indicator for s in derived.sources()}
    assert keys["logistics.shortfall"] == "logistik_kurang"
    assert keys["logistics.damaged"] == "logistik_rusak"
    assert keys["logistics.late"] == "logistik_terlambat"


def test_a_receipt_with_problems_sets_the_indicators_at_its_tps(world, users, items):
    ship_and_receive(world, users, items, {items.kotak: (1, 1, ""), items.bilik: (3, 0, "")},
                     when=AFTER_DEADLINE)
    assert effective(world.tps_a, "logistik_rusak") == (None, 1, 1)
    assert effective(world.tps_a, "logistik_kurang") == (None, 1, 1)
    assert effective(world.tps_a, "logistik_terlambat") == (None, 1, 1)
    assert effective(world.tps_a2, "logistik_kurang") is None
    short = DerivedValue.objects.get(tps=world.tps_a, indicator="logistik_kurang")
    # short: bilik 3 of 4 received (dispatched 4 = required, so no "below" case)
    assert short.source == "logistics.shortfall"
    assert short.evidence == "1 shortfall case(s), 1 open"
    assert short.url == reverse("logistics:shortfall_list") + f"?kelurahan={world.kel_a.code}"


def test_a_clean_receipt_sets_nothing(world, users, items):
    ship_and_receive(world, users, items, {items.kotak: (1, 0, ""), items.bilik: (4, 0, "")})
    assert not DerivedValue.objects.exists()
    assert not Assessment.objects.filter(derived_value__isnull=False).exists()


def test_closing_a_case_keeps_the_history_and_updates_the_evidence(world, users, items):
    ship_and_receive(world, users, items, {items.kotak: (1, 1, ""), items.bilik: (4, 0, "")})
    case = Shortfall.objects.get(kind="damaged")
    update_shortfall(case, actor=users["admin"], status="resolved",
                             resolution="Diganti KPU", expected_version=case.version)
    stored = DerivedValue.objects.get(tps=world.tps_a, indicator="logistik_rusak")
    assert stored.evidence == "1 shortfall case(s), 0 open"  # still history (riwayat)
    assert effective(world.tps_a, "logistik_rusak") == (None, 1, 1)


def test_a_human_value_is_kept_next_to_the_derived_one(world, users, items):
    set_values(world.election, users["admin"], [(world.tps_a, "logistik_rusak", 0)])
    ship_and_receive(world, users, items, {items.kotak: (1, 1, ""), items.bilik: (4, 0, "")})
    assert effective(world.tps_a, "logistik_rusak") == (0, 1, 0)


def test_sources_are_set_based_and_honour_tps_ids(world, users, items):
    ship_and_receive(world, users, items, {items.kotak: (1, 1, ""), items.bilik: (4, 0, "")})
    source = derived.source("logistics.damaged")
    assert [v.tps_id for v in source.function(world.election, None)] == [world.tps_a.pk]
    assert list(source.function(world.election, [world.tps_b.pk])) == []
    indicators.changed(world.election, [])  # nothing to say: no signal, no error
