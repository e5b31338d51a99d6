"""The H-1 board, the readiness map (page, data endpoint, popup) and the logistics section
of the daily report: ordering, filters, scope (a lurah sees only their TPS, nobody sees a
TPS outside the Pemda), constant query counts, the HTMX fragment, the ETag."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from posko.core import reports
from posko.elections.models import Election, Tps
from posko.logistics import report as logistics_report
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import readiness, requirements
from tests.conftest import PERSONA_NAMES, SEES_KEL_A, SEES_KEL_A2, SEES_KEL_B, client_for

pytestmark = pytest.mark.django_db

BOARD = reverse("logistics:board")
MAP = reverse("logistics:map")
DATA = reverse("logistics:map_data")
State = TpsReadiness.State


@pytest.fixture
def items(world):
    """Two items (2 boxes and 2 bottles of ink per TPS) and the computed requirements."""
    made = [
        Item.objects.create(election=world.election, code="kotak", name="Kotak suara", unit="buah",
                            norm=Item.Norm.PER_TPS, quantity=2, order=1),
        Item.objects.create(election=world.election, code="tinta", name="Tinta", unit="botol",
                            norm=Item.Norm.PER_TPS, quantity=2, order=2),
    ]
    requirements.recompute(world.election)
    return made


def set_state(tps, state, percent=0, open_cases=0, last=None):
    TpsReadiness.objects.filter(tps=tps).update(
        state=state, percent=Decimal(percent), open_shortfalls=open_cases, last_received_at=last,
        updated_at=timezone.now())


def place(tps, lat, lon):
    Tps.objects.filter(pk=tps.pk).update(latitude=Decimal(lat), longitude=Decimal(lon))


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-tps="(\d+)"', response.content.decode())]


def en(user):
    client = client_for(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def board(world, items):
    set_state(world.tps_a, State.KURANG, 50)
    set_state(world.tps_a2, State.BERMASALAH, 75, open_cases=1)
    set_state(world.tps_b, State.BELUM, 0)
    set_state(world.tps_outside, State.BERMASALAH, 0, open_cases=1)
    return world


# --- the H-1 board -----------------------------------------------------------------------------

def test_board_lists_incomplete_tps_by_kecamatan_worst_first(board, personas):
    world = board
    extra = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=2,
                               dpt_men=10, dpt_women=10)
    readiness.refresh(world.election, [extra.pk])
    set_state(extra, State.LENGKAP, 100)
    response = personas["admin"].client.get(BOARD)
    assert response.status_code == 200
    # Blimbing before Klojen; inside Klojen the problem first; complete and outside-Pemda TPS never.
    assert listed(response) == [world.tps_b.pk, world.tps_a2.pk, world.tps_a.pk]
    body = response.content.decode()
    assert 'hx-trigger="every 30s"' in body and 'hx-select="#board-list"' in body
    assert "<form" in body and "<noscript><button>" in body


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_board_scope(board, personas, persona):
    world = board
    response = personas[persona].client.get(BOARD)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/masuk/")
        return
    expected = {pk for pk, sees in ((world.tps_a.pk, SEES_KEL_A), (world.tps_a2.pk, SEES_KEL_A2),
                                    (world.tps_b.pk, SEES_KEL_B)) if persona in sees}
    assert set(listed(response)) == expected


def test_board_filters(board, personas):
    world, client = board, personas["admin"].client
    assert listed(client.get(BOARD, {"state": State.BERMASALAH})) == [world.tps_a2.pk]
    assert listed(client.get(BOARD, {"kecamatan": world.kec_a.code})) == [world.tps_a2.pk,
                                                                          world.tps_a.pk]
    assert listed(client.get(BOARD, {"kecamatan": world.kec_b.code, "state": State.KURANG})) == []
    # A value that is not a choice (a complete state, another kab/kota's kecamatan): no rows.
    response = client.get(BOARD, {"state": State.LENGKAP})
    assert response.status_code == 200 and listed(response) == []
    assert 'role="alert"' in response.content.decode()
    assert listed(client.get(BOARD, {"kecamatan": "35.79.01"})) == []
    # A camat cannot widen their scope with a filter.
    assert listed(personas["kecamatan_a"].client.get(BOARD, {"kecamatan": world.kec_b.code})) == []


def test_board_htmx_request_gets_the_list_fragment(board, personas):
    response = personas["admin"].client.get(BOARD, {"state": State.BELUM}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "<form" not in body
    assert body.lstrip().startswith('<div id="board-list"')
    assert f'hx-get="{BOARD}?state=belum"' in body
    assert listed(response) == [board.tps_b.pk]
    assert "HX-Request" in response["Vary"]


def test_board_poll_after_logout_sends_the_page_to_the_login_form(board, personas):
    response = personas["anonymous"].client.get(BOARD, {"state": "belum"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"].startswith("/masuk/?next=")
    assert personas["anonymous"].client.get(BOARD).status_code == 302


def test_board_countdown(board, users, monkeypatch):
    world = board
    deadline = LogisticsSettings.for_election(world.election).tps_deadline()
    assert deadline == datetime.datetime(2024, 11, 26, 18, 0, tzinfo=deadline.tzinfo)
    client = en(users["admin"])
    monkeypatch.setattr(timezone, "now", lambda: deadline - datetime.timedelta(hours=5, minutes=20))
    body = client.get(BOARD).content.decode()
    assert "5 hours left" in body and "3 TPS of 3 not complete" in body
    monkeypatch.setattr(timezone, "now", lambda: deadline + datetime.timedelta(hours=3))
    assert "3 hours overdue" in client.get(BOARD).content.decode()


def test_deadline_label():
    now = timezone.now()
    with translation.override("en"):
        assert logistics_report.deadline_label(now + datetime.timedelta(hours=1), now) == "1 hour left"
        assert logistics_report.deadline_label(now + datetime.timedelta(minutes=30), now) == \
            "30 minutes left"
        assert logistics_report.deadline_label(now - datetime.timedelta(hours=26), now) == \
            "26 hours overdue"
        assert logistics_report.deadline_label(now - datetime.timedelta(hours=71), now) == \
            "71 hours overdue"
        assert logistics_report.deadline_label(now + datetime.timedelta(days=9, hours=3), now) == \
            "9 days left"
        assert logistics_report.deadline_label(now - datetime.timedelta(days=400), now) == \
            "400 days overdue"


def test_board_without_active_election(world, personas):
    world.election.is_active = False
    world.election.save()
    response = personas["admin"].client.get(BOARD)
    assert response.status_code == 200 and listed(response) == []


def _count_queries(client, url, params=None, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _more_tps(world, n):
    made = [Tps.objects.create(election=world.election, kelurahan=kel, number=10 + i,
                               dpt_men=100, dpt_women=100, latitude=Decimal("-7.97"),
                               longitude=Decimal("112.63"))
            for i in range(n) for kel in (world.kel_a, world.kel_b)]
    readiness.refresh(world.election, [t.pk for t in made])
    return made


def test_board_query_count_is_constant(board, personas):
    client = personas["admin"].client
    client.get(BOARD)  # warm up (the logistics settings row, caches)
    few = _count_queries(client, BOARD)
    _more_tps(board, 15)
    assert _count_queries(client, BOARD) == few
    assert _count_queries(client, BOARD, HTTP_HX_REQUEST="true") <= few


# --- the map ------------------------------------------------------------------------------------

@pytest.fixture
def mapped(board):
    world = board
    place(world.tps_a, "-7.977000", "112.633000")
    place(world.tps_a2, "-7.965000", "112.637000")
    place(world.tps_b, "-7.958000", "112.650000")
    place(world.tps_outside, "-7.870000", "112.520000")
    return world


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_map_data_scope(mapped, personas, persona):
    world = mapped
    response = personas[persona].client.get(DATA)
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    expected = {pk for pk, sees in ((world.tps_a.pk, SEES_KEL_A), (world.tps_a2.pk, SEES_KEL_A2),
                                    (world.tps_b.pk, SEES_KEL_B)) if persona in sees}
    assert {p[0] for p in response.json()["points"]} == expected


def test_map_data_format(mapped, users):
    world = mapped
    response = en(users["kelurahan_a"]).get(DATA)
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["fields"] == ["tps", "lat", "lon", "state", "percent"]
    assert [s["code"] for s in data["states"]] == ["lengkap", "kurang", "belum", "bermasalah"]
    assert [s["label"] for s in data["states"]] == ["Complete", "Incomplete", "Nothing received",
                                                    "Problem"]
    assert {s["shape"] for s in data["states"]} == {"circle", "triangle", "square", "diamond"}
    assert data["count"] == 1 and data["election"] == world.election.pk
    assert data["points"] == [[world.tps_a.pk, -7.977, 112.633, 1, 50.0]]
    assert b" " not in response.content.split(b'"points"')[1]  # compact


def test_map_data_only_tps_with_coordinates(mapped, personas):
    Tps.objects.filter(pk=mapped.tps_b.pk).update(latitude=None)
    ids = {p[0] for p in personas["admin"].client.get(DATA).json()["points"]}
    assert ids == {mapped.tps_a.pk, mapped.tps_a2.pk}


def test_map_data_filters(mapped, personas):
    world, client = mapped, personas["admin"].client
    assert [p[0] for p in client.get(DATA, {"state": "bermasalah"}).json()["points"]] == [
        world.tps_a2.pk]
    assert {p[0] for p in client.get(DATA, {"kecamatan": world.kec_a.code}).json()["points"]} == {
        world.tps_a.pk, world.tps_a2.pk}
    assert client.get(DATA, {"state": "rusak"}).status_code == 400
    assert client.get(DATA, {"kecamatan": "35.79.01"}).status_code == 400


def test_map_data_query_count_is_constant(mapped, personas):
    client = personas["admin"].client
    client.get(DATA)
    few = _count_queries(client, DATA)
    _more_tps(mapped, 20)
    assert _count_queries(client, DATA) == few
    assert len(client.get(DATA).json()["points"]) == 43


def test_map_data_etag(mapped, personas, users):
    client = personas["admin"].client
    first = client.get(DATA)
    etag = first["ETag"]
    assert first["Cache-Control"] == "private, no-cache"
    again = client.get(DATA, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(DATA, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    # Another user, another filter or a changed row: a new tag.
    assert personas["kelurahan_a"].client.get(DATA, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert client.get(DATA, {"state": "kurang"}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    set_state(mapped.tps_b, State.KURANG, 40)
    assert client.get(DATA, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_map_data_is_gzipped_for_browsers(mapped, personas):
    _more_tps(mapped, 10)
    response = personas["admin"].client.get(DATA, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_map_page(mapped, personas, persona):
    response = personas[persona].client.get(MAP)
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "vendor/leaflet/leaflet.js" in body and "vendor/leaflet/leaflet.markercluster.js" in body
    assert "posko/map.js" in body and 'id="map-config"' in body
    assert not re.findall(r"(src|href)=\"(https?:)?//", body)


def test_map_tile_server_comes_from_the_settings(mapped, personas, settings):
    config = re.compile(r'<script id="map-config" type="application/json">(.*?)</script>', re.S)
    body = personas["admin"].client.get(MAP).content.decode()
    assert json.loads(config.search(body).group(1))["tileUrl"] == ""
    settings.POSKO_MAP_TILE_URL = "https://peta.malangkota.go.id/tiles/{z}/{x}/{y}.png"
    settings.POSKO_MAP_TILE_ATTRIBUTION = "© Diskominfo Kota Malang"
    body = personas["admin"].client.get(MAP).content.decode()
    data = json.loads(config.search(body).group(1))
    assert data["tileUrl"].startswith("https://peta.malangkota.go.id/")
    assert data["tileAttribution"] == "© Diskominfo Kota Malang"
    assert data["dataUrl"] == DATA


def _receive(world, tps, item_counts):
    """A received PPS → TPS shipment with (item, dispatched, received, damaged) lines."""
    shipment = Shipment.objects.create(
        election=world.election, from_level=Shipment.Level.PPS, to_level=Shipment.Level.TPS,
        kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id, tps=tps,
        dispatched_at=timezone.now(), status=Shipment.Status.RECEIVED, received_at=timezone.now(),
        receiver_name="Ketua KPPS")
    for item, dispatched, received, damaged in item_counts:
        ShipmentLine.objects.create(shipment=shipment, item=item, dispatched=dispatched,
                                    received=received, damaged=damaged)
    return shipment


def test_popup_shows_required_and_good_units(world, items, users):
    kotak, tinta = items
    shipment = _receive(world, world.tps_a, [(kotak, 2, 2, 1), (tinta, 2, 2, 0)])
    Shortfall.objects.create(election=world.election, kind=Shortfall.Kind.DAMAGED,
                             kecamatan=world.kec_a, kelurahan=world.kel_a, tps=world.tps_a,
                             item=kotak, quantity=1, shipment=shipment)
    readiness.refresh(world.election, [world.tps_a.pk])
    client = en(users["kelurahan_a"])
    url = reverse("logistics:map_tps", args=[world.tps_a.pk])
    response = client.get(url, HTTP_X_REQUESTED_WITH="fetch")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    rows = re.findall(r"<tr( class=\"short\")?><td>(.*?) <small.*?</small></td><td class=\"num\">"
                      r"(\d+)</td><td class=\"num\">(\d+)</td>", body)
    assert [(name, int(req), int(good), bool(short)) for short, name, req, good in rows] == [
        ("Kotak suara", 2, 1, True), ("Tinta", 2, 2, False)]
    assert "Problem" in body and "Damaged items" in body and "75.0% ready" in body
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert client.get(url, HTTP_HX_REQUEST="true").content.decode().lstrip().startswith(
        '<div class="tps-popup"')


def test_popup_outside_the_scope_is_404(mapped, personas):
    world = mapped
    client = personas["kelurahan_a"].client
    for tps in (world.tps_b, world.tps_a2, world.tps_outside):
        url = reverse("logistics:map_tps", args=[tps.pk])
        assert client.get(url, HTTP_X_REQUESTED_WITH="fetch").status_code == 404, tps
    assert personas["admin"].client.get(
        reverse("logistics:map_tps", args=[world.tps_outside.pk])).status_code == 404
    assert personas["pemantau"].client.get(
        reverse("logistics:map_tps", args=[world.tps_b.pk])).status_code == 200
    assert personas["anonymous"].client.get(
        reverse("logistics:map_tps", args=[world.tps_a.pk])).status_code == 302
    assert personas["admin"].client.get(
        reverse("logistics:map_tps", args=[999999])).status_code == 404


# --- the daily report section ----------------------------------------------------------------

REPORT_DAY = datetime.date(2024, 11, 27)  # voting day: the H-1 18:00 deadline has passed


@pytest.fixture
def reported(board):
    world = board
    set_state(world.tps_b, State.LENGKAP, 100)
    TpsReadiness.objects.filter(tps=world.tps_a).update(required_units=4, good_units=2)
    TpsReadiness.objects.filter(tps=world.tps_a2).update(required_units=4, good_units=3)
    TpsReadiness.objects.filter(tps=world.tps_b).update(required_units=4, good_units=4)
    day = datetime.datetime(2024, 11, 27, 9, 0, tzinfo=timezone.get_current_timezone())
    for tps, kind, status, created in [
        (world.tps_a2, Shortfall.Kind.DAMAGED, Shortfall.Status.OPEN, day),
        (world.tps_a2, Shortfall.Kind.SHORT, Shortfall.Status.REPLACEMENT_SHIPPED,
         day - datetime.timedelta(days=2)),
        (world.tps_b, Shortfall.Kind.SHORT, Shortfall.Status.RESOLVED,
         day - datetime.timedelta(days=3)),
        (world.tps_outside, Shortfall.Kind.DAMAGED, Shortfall.Status.OPEN, day),
    ]:
        Shortfall.objects.create(
            election=world.election, kind=kind, status=status, created_at=created,
            kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id, tps=tps,
            closed_at=day if status == Shortfall.Status.RESOLVED else None)
    return world


def _section(user, day=REPORT_DAY):
    with translation.override("en"):
        return logistics_report.logistics_section(day, user, Election.active())


def test_report_section_for_the_whole_pemda(reported, users):
    section = _section(users["admin"])
    states, cases, late = section.tables
    assert states.header == ["Kecamatan", "TPS", "Complete", "Incomplete", "Nothing received",
                             "Problem", "Units ready (%)"]
    assert states.rows == [["Blimbing", 1, 1, 0, 0, 0, 100.0],
                           ["Klojen", 2, 0, 1, 0, 1, 62.5],
                           ["Total", 3, 1, 1, 0, 1, 75.0]]
    assert cases.rows == [["Received less than dispatched", 0, 1, 0, 1],
                          ["Damaged items", 1, 0, 1, 0]]
    assert "2 shortfall cases are still open." in section.paragraphs
    assert [row[:4] for row in late.rows] == [["Klojen", "Klojen", "TPS 001", "Incomplete"],
                                              ["Klojen", "Rampal Celaket", "TPS 001", "Problem"]]
    assert late.caption.startswith("2 TPS not complete after the deadline (26-11-2024 18:00)")


def test_report_section_is_scoped(reported, users):
    section = _section(users["kelurahan_a"])
    states, cases, late = section.tables
    assert states.rows == [["Klojen", 1, 0, 1, 0, 0, 50.0]]
    assert cases.rows == []
    assert [row[2] for row in late.rows] == ["TPS 001"] and late.rows[0][1] == "Klojen"
    lurah_b = _section(users["kelurahan_b"])
    assert lurah_b.tables[0].rows == [["Blimbing", 1, 1, 0, 0, 0, 100.0]]
    assert lurah_b.tables[2].rows == []


def test_report_before_the_deadline_lists_no_late_tps(reported, users):
    section = _section(users["admin"], datetime.date(2024, 11, 20))
    assert len(section.tables) == 2
    assert any("had not passed at the end of this date" in p and "5 days left" in p
               for p in section.paragraphs)
    assert section.tables[1].rows == [["Received less than dispatched", 0, 1, 0, 0],
                                      ["Damaged items", 1, 0, 0, 0]]


def test_report_section_is_absent_without_a_catalogue(world, users):
    assert _section(users["admin"]) is None
    world.election.is_active = False
    world.election.save()
    assert _section(users["admin"]) is None


def test_report_section_registers_after_coordination(monkeypatch):
    from posko.coordination import report as coordination_report

    monkeypatch.setattr(reports.document, "_sections", {})
    coordination_report.register()
    logistics_report.register()
    logistics_report.register()  # twice is harmless
    keys = [spec.key for spec in reports.registered_sections()]
    assert keys[-1] == "logistics.readiness" and keys.count("logistics.readiness") == 1
    assert len(keys) == 6


def test_report_section_in_the_daily_report(reported, users, monkeypatch):
    monkeypatch.setattr(reports.document, "_sections", dict(reports.document._sections))
    logistics_report.register()
    client = en(users["admin"])
    page = client.get(reverse("coordination:report"), {"date": "2024-11-27"})
    body = page.content.decode()
    assert page.status_code == 200 and "Logistics readiness" in body
    assert "TPS by readiness state" in body and "Rampal Celaket" in body


def test_report_query_count_is_constant(reported, users):
    _section(users["admin"])
    with CaptureQueriesContext(connection) as few:
        _section(users["admin"])
    _more_tps(reported, 10)
    TpsReadiness.objects.update(state=State.KURANG)
    with CaptureQueriesContext(connection) as many:
        section = _section(users["admin"])
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(section.tables[2].rows) == 23
