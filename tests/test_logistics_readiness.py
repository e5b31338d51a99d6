"""Readiness per TPS (states and percentages from shipments, lines and shortfall cases set
up directly with the models), the roll-up pages with drill-down and scope, constant query
counts, and the beranda card."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.elections.models import Tps
from posko.logistics.cards import readiness_card
from posko.logistics.models import (
    Item,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import catalogue, readiness, requirements
from posko.regions.models import Kecamatan, Kelurahan
from tests.test_logistics_requirements import _contests

pytestmark = pytest.mark.django_db

S = TpsReadiness.State
WHEN = datetime.datetime(2024, 11, 25, 9, tzinfo=datetime.UTC)


@pytest.fixture
def logistics(world, users):
    _contests(world)
    catalogue.install_defaults(world.election, actor=users["admin"])
    return world


def ship(world, tps, quantities: dict | None = None, *, received=True, damaged: dict | None = None,
         is_return=False, when=WHEN):
    """A shipment to ``tps`` with one line per item: ``quantities`` (code → count; default: the
    full requirement), received as dispatched unless ``received`` is False."""
    if quantities is None:
        quantities = dict(Requirement.objects.filter(tps=tps).values_list("item__code", "quantity"))
    shipment = Shipment.objects.create(
        election=world.election, from_level="tps" if is_return else "pps",
        to_level="pps" if is_return else "tps", is_return=is_return, kecamatan_id=tps.kecamatan_id,
        kelurahan_id=tps.kelurahan_id, tps=tps, dispatched_at=when,
        status="received" if received else "dispatched", received_at=when if received else None)
    items = dict(Item.objects.filter(election=world.election).values_list("code", "pk"))
    for code, count in quantities.items():
        ShipmentLine.objects.create(shipment=shipment, item_id=items[code], dispatched=count,
                                    received=count if received else None,
                                    damaged=(damaged or {}).get(code, 0))
    return shipment


def state(tps):
    readiness.refresh(tps.election, [tps.pk])
    return TpsReadiness.objects.get(tps=tps)


def test_states(logistics):
    w = logistics
    # Nothing received (only on the way): belum, 0 %.
    ship(w, w.tps_a, received=False)
    row = state(w.tps_a)
    assert (row.state, row.percent, row.good_units) == (S.BELUM, Decimal("0"), 0)
    assert row.required_units == sum(Requirement.objects.filter(tps=w.tps_a).values_list(
        "quantity", flat=True))

    # Everything received whole: lengkap, 100 %.
    ship(w, w.tps_a2)
    row = state(w.tps_a2)
    assert (row.state, row.percent, row.last_received_at) == (S.LENGKAP, Decimal("100.0"), WHEN)
    assert row.good_units == row.required_units

    # Part received: kurang, with the share of units.
    ship(w, w.tps_b, {"kotak-suara": 2, "bilik-suara": 4})
    row = state(w.tps_b)
    assert row.state == S.KURANG and row.good_units == 6
    assert row.percent == (Decimal(600) / row.required_units).quantize(Decimal("0.1"))

    # A damaged box with an open case: bermasalah; resolving the case leaves kurang.
    shipment = ship(w, w.tps_outside, damaged={"kotak-suara": 1})
    case = Shortfall.objects.create(election=w.election, kind="damaged",
                                    kecamatan_id=w.tps_outside.kecamatan_id,
                                    kelurahan_id=w.tps_outside.kelurahan_id, tps=w.tps_outside,
                                    shipment=shipment, quantity=1)
    row = state(w.tps_outside)
    assert (row.state, row.open_shortfalls) == (S.BERMASALAH, 1)
    assert row.good_units == row.required_units - 1
    case.status = Shortfall.Status.RESOLVED
    case.save()
    assert state(w.tps_outside).state == S.KURANG
    ship(w, w.tps_outside, {"kotak-suara": 1})  # the replacement
    row = state(w.tps_outside)
    assert (row.state, row.percent, row.open_shortfalls) == (S.LENGKAP, Decimal("100.0"), 0)


def test_surplus_is_capped_and_returns_do_not_count(logistics):
    w = logistics
    full = dict(Requirement.objects.filter(tps=w.tps_a).values_list("item__code", "quantity"))
    ship(w, w.tps_a, {**full, "segel": 100, "tinta": 1})  # more seals, less ink
    row = state(w.tps_a)
    assert row.state == S.KURANG
    assert row.good_units == row.required_units - 1  # the surplus seals do not cover the ink
    ship(w, w.tps_a, {"tinta": 1}, is_return=True)  # a return after counting: not a receipt
    assert state(w.tps_a).good_units == row.required_units - 1


def test_kelurahan_case_without_tps_does_not_mark_a_tps(logistics):
    w = logistics
    Shortfall.objects.create(election=w.election, kind="short", kecamatan=w.kec_a, kelurahan=w.kel_a)
    assert state(w.tps_a).state == S.BELUM


def test_refresh_without_change_writes_nothing_and_chunks(logistics, monkeypatch):
    w = logistics
    ship(w, w.tps_a)
    ship(w, w.tps_b, {"tinta": 2})
    assert readiness.refresh(w.election) == 2
    assert readiness.refresh(w.election) == 0
    before = TpsReadiness.objects.get(tps=w.tps_a).updated_at
    assert TpsReadiness.objects.get(tps=w.tps_a).updated_at == before
    # Ids in chunks: the same result.
    TpsReadiness.objects.all().delete()
    monkeypatch.setattr(readiness, "CHUNK", 1)
    monkeypatch.setattr(requirements, "CHUNK", 1)
    ids = [w.tps_a.pk, w.tps_b.pk, w.tps_a2.pk]
    assert readiness.refresh(w.election, ids) == 3
    assert dict(TpsReadiness.objects.values_list("tps_id", "state")) == {
        w.tps_a.pk: S.LENGKAP, w.tps_b.pk: S.KURANG, w.tps_a2.pk: S.BELUM}
    Requirement.objects.all().delete()
    assert requirements.recompute(w.election, ids) == 3 * 14  # 10 shared + 2 × 2 per contest


def test_sql_refresh_matches_the_python_rules(logistics):
    """Random receipts on many TPS: the stored states equal readiness._state()."""
    import random

    w = logistics
    rng = random.Random(7)
    for n in range(2, 30):
        Tps.objects.create(election=w.election, kelurahan=rng.choice([w.kel_a, w.kel_b]),
                           number=n, dpt_men=rng.randint(50, 300), dpt_women=rng.randint(50, 300))
    requirements.recompute(w.election)
    all_tps = list(Tps.objects.filter(election=w.election))
    for tps in all_tps:
        need = dict(Requirement.objects.filter(tps=tps).values_list("item__code", "quantity"))
        roll = rng.random()
        if roll < 0.2:
            continue
        got = {code: max(0, qty - rng.choice([0, 0, 0, 1, 5])) for code, qty in need.items()
               if rng.random() < 0.9}
        ship(w, tps, got, received=roll > 0.3,
             damaged={code: 1 for code in got if rng.random() < 0.05 and got[code]})
        if rng.random() < 0.1:
            Shortfall.objects.create(election=w.election, kind="short", kecamatan_id=tps.kecamatan_id,
                                     kelurahan_id=tps.kelurahan_id, tps=tps)
    readiness.refresh(w.election)
    for tps in all_tps:
        required = dict(Requirement.objects.filter(tps=tps).values_list("item_id", "quantity"))
        good, received_any = {}, False
        for line in ShipmentLine.objects.filter(shipment__tps=tps, shipment__status="received",
                                                shipment__is_return=False):
            good[line.item_id] = good.get(line.item_id, 0) + (line.received or 0) - line.damaged
            received_any = True
        good = {k: max(0, v) for k, v in good.items()}
        cases = Shortfall.objects.open().filter(tps=tps).count()
        row = TpsReadiness.objects.get(tps=tps)
        assert row.state == readiness._state(required, good, received_any, cases), tps
        ok = sum(min(good.get(i, 0), q) for i, q in required.items())
        assert (row.good_units, row.required_units) == (ok, sum(required.values()))
        assert abs(row.percent - Decimal(ok * 100) / sum(required.values())) <= Decimal("0.05")


# --- pages --------------------------------------------------------------------------------------

@pytest.fixture
def marked(logistics):
    """tps_a complete, tps_a2 nothing, tps_b with a problem."""
    w = logistics
    ship(w, w.tps_a)
    shipment = ship(w, w.tps_b, damaged={"kotak-suara": 1})
    Shortfall.objects.create(election=w.election, kind="damaged", kecamatan=w.kec_b,
                             kelurahan=w.kel_b, tps=w.tps_b, shipment=shipment, quantity=1)
    readiness.refresh(w.election)
    return w


def test_readiness_pemda_level(marked, personas):
    response = personas["admin"].client.get(reverse("logistics:readiness"))
    assert response.status_code == 200
    total = response.context["total"]
    assert (total["tps"], total["lengkap"], total["belum"], total["bermasalah"]) == (3, 1, 1, 1)
    rows = {r["code"]: r for r in response.context["rows"]}
    assert set(rows) == {"35.73.01", "35.73.02"}  # Kota Batu's TPS is not the Pemda's
    assert (rows["35.73.02"]["tps"], rows["35.73.02"]["lengkap"], rows["35.73.02"]["belum"]) == (2, 1, 1)
    assert rows["35.73.02"]["percent_tps"] == 50.0
    assert rows["35.73.01"]["bermasalah"] == 1
    page = response.content.decode()
    assert "?kecamatan=35.73.02" in page and 'data-testid="tps-complete">1<' in page


def test_readiness_drill_down(marked, personas):
    client = personas["admin"].client
    url = reverse("logistics:readiness")
    response = client.get(url, {"kecamatan": "35.73.02"})
    assert [r["code"] for r in response.context["rows"]] == ["35.73.02.1001", "35.73.02.1002"]
    assert "?kelurahan=35.73.02.1001" in response.content.decode()
    response = client.get(url, {"kelurahan": "35.73.02.1001"})
    rows = response.context["rows"]
    assert [(r["label"], r["state"]) for r in rows] == [("TPS 001", S.LENGKAP)]
    assert reverse("logistics:tps_logistics", args=[marked.tps_a.pk]) in response.content.decode()
    assert client.get(url, {"kelurahan": "35.73.02.1001", "state": "belum"}).context["rows"] == []


@pytest.mark.parametrize(("persona", "level", "tps"), [
    ("kelurahan_a", "kelurahan", 1), ("kecamatan_a", "kecamatan", 2), ("kelurahan_b", "kelurahan", 1),
    ("agency", "pemda", 3), ("pemantau", "pemda", 3), ("admin", "pemda", 3),
])
def test_readiness_scope(marked, personas, persona, level, tps):
    client = personas[persona].client
    response = client.get(reverse("logistics:readiness"))
    assert response.status_code == 200
    assert response.context["level"].name == level
    assert response.context["total"]["tps"] == tps


def test_readiness_outside_scope_is_404(marked, personas):
    url = reverse("logistics:readiness")
    assert personas["kelurahan_a"].client.get(url, {"kelurahan": "35.73.02.1002"}).status_code == 404
    assert personas["kelurahan_a"].client.get(url, {"kecamatan": "35.73.01"}).status_code == 404
    assert personas["kecamatan_a"].client.get(url, {"kecamatan": "35.73.01"}).status_code == 404
    assert personas["kecamatan_a"].client.get(url, {"kelurahan": "35.73.01.1001"}).status_code == 404
    assert personas["admin"].client.get(url, {"kecamatan": "35.79.01"}).status_code == 404
    assert personas["admin"].client.get(url, {"kelurahan": "nope"}).status_code == 404
    response = personas["anonymous"].client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")
    # A lurah may open their own kecamatan, and sees only their kelurahan in it.
    response = personas["kelurahan_a"].client.get(url, {"kecamatan": "35.73.02"})
    assert [r["code"] for r in response.context["rows"]] == ["35.73.02.1001"]


def test_readiness_export(marked, personas):
    response = personas["kecamatan_a"].client.get(reverse("logistics:readiness"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [r[0] for r in rows[1:]] == ["35.73.02.1001", "35.73.02.1002"]
    assert rows[1][2:5] == ["1", "1", "0"]


def test_readiness_query_count_is_constant(marked, personas):
    url = reverse("logistics:readiness")

    def counts(client):
        result = []
        for params in ({}, {"kecamatan": "35.73.02"}, {"kelurahan": "35.73.02.1001"}):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, params).status_code == 200
            result.append(len(captured))
        return result

    admin, camat = personas["admin"].client, personas["kecamatan_a"].client
    admin.get(url)  # warm-up: the Pemda is cached per process
    before = counts(admin), counts(camat)
    kec = Kecamatan.objects.create(code="35.73.03", kabkota_id="35.73", name="Kedungkandang")
    for k in range(4):
        kel = Kelurahan.objects.create(code=f"35.73.03.10{k:02d}", kecamatan=kec, name=f"K{k}")
        for n in range(1, 4):
            Tps.objects.create(election=marked.election, kelurahan=kel, number=n, dpt_men=100)
    for n in range(2, 8):
        Tps.objects.create(election=marked.election, kelurahan=marked.kel_a, number=n, dpt_men=100)
    requirements.recompute(marked.election)
    for tps in Tps.objects.filter(election=marked.election, kelurahan=marked.kel_a, number__gt=4):
        ship(marked, tps)
    readiness.refresh(marked.election)
    assert (counts(admin), counts(camat)) == before
    assert admin.get(url).context["total"]["tps"] == 3 + 12 + 6


def test_tps_page_query_count_is_constant(marked, personas):
    url = reverse("logistics:tps_logistics", args=[marked.tps_a.pk])
    client = personas["admin"].client
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    before = len(captured)
    for _ in range(5):
        ship(marked, marked.tps_a, {"tinta": 1})
    Shortfall.objects.create(election=marked.election, kind="short", kecamatan=marked.kec_a,
                             kelurahan=marked.kel_a, tps=marked.tps_a)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    assert len(captured) == before


def test_no_catalogue_pages_still_work(world, personas):
    for name in ("logistics:readiness", "logistics:requirement_summary", "logistics:item_list"):
        response = personas["admin"].client.get(reverse(name))
        assert response.status_code == 200, name
    response = personas["admin"].client.get(reverse("logistics:tps_logistics", args=[world.tps_a.pk]))
    assert response.status_code == 200 and response.context["rows"] == []


# --- beranda card -------------------------------------------------------------------------------

def _logistics_card(cards):
    return next((c for c in cards if c.url == reverse("logistics:readiness")), None)


def test_home_card(marked, world, personas, users, monkeypatch):
    from posko.core import dashboard

    # What LogisticsConfig.ready() registers (set here too, so the test does not depend on it).
    monkeypatch.setitem(dashboard._builders, "logistics_readiness", (20, readiness_card))
    admin = _logistics_card(personas["admin"].client.get(reverse("home")).context["module_cards"])
    assert admin is not None and admin.alert
    card = readiness_card(users["admin"], world.election)
    assert (card.url, card.alert) == (reverse("logistics:readiness"), True)
    assert card.value.split()[0] == "1" and card.value.split()[-1] == "3"
    lurah = readiness_card(users["kelurahan_a"], world.election)
    assert lurah.value.split()[0] == "1" and lurah.value.split()[-1] == "1" and not lurah.alert
    camat = readiness_card(users["kecamatan_a"], world.election)
    assert camat.value.split()[-1] == "2"
    assert readiness_card(users["kelurahan_b"], world.election).alert


def test_no_home_card_without_catalogue(world, users):
    assert readiness_card(users["admin"], world.election) is None
