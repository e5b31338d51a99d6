"""The readiness map on a phone: Leaflet and markercluster come from the server (no tile
server configured, nothing from outside), the TPS points are drawn with their state's
shape, a click opens the TPS's items, and the filters reload the points. The H-1 board
polls itself with HTMX."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from posko.elections.models import Tps
from posko.logistics.models import Item, TpsReadiness
from posko.logistics.services import requirements
from tests.browser.conftest import LocalOnly, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mapped(world):
    Item.objects.create(election=world.election, code="kotak", name="Kotak suara", unit="buah",
                        norm=Item.Norm.PER_TPS, quantity=2, order=1)
    requirements.recompute(world.election)
    for tps, lat, lon in [(world.tps_a, "-7.977000", "112.633000"),
                          (world.tps_a2, "-7.965000", "112.637000"),
                          (world.tps_b, "-7.958000", "112.650000")]:
        Tps.objects.filter(pk=tps.pk).update(latitude=Decimal(lat), longitude=Decimal(lon))
    TpsReadiness.objects.filter(tps=world.tps_a).update(state="lengkap", percent=100)
    TpsReadiness.objects.filter(tps=world.tps_a2).update(state="bermasalah", percent=50,
                                                         open_shortfalls=1)
    return world


def test_map_draws_points_without_outside_requests(page: Page, base_url, guard: LocalOnly,
                                                   page_errors, mapped, users):
    log_in(page, base_url, "admin")
    page.goto(base_url + reverse("logistics:map"))
    map_element = page.locator("#map")
    expect(map_element).to_have_attribute("data-loaded", "true")
    expect(map_element).to_have_attribute("data-points", "3")
    # Zoomed to the points: every TPS is its own marker, with its state's shape.
    expect(page.locator(".tps-marker")).to_have_count(3)
    expect(page.locator(".tps-marker.tps-bermasalah polygon")).to_have_count(1)
    expect(page.locator(".tps-marker.tps-lengkap circle")).to_have_count(1)
    expect(page.locator(".leaflet-control-scale")).to_be_visible()
    expect(page.locator('#map-legend [data-state="3"]')).to_have_text("1")
    screenshot(page, "logistics-map.png")

    page.locator(".tps-marker.tps-bermasalah").click()
    popup = page.locator(".leaflet-popup-content .tps-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("Kotak suara")
    expect(popup).to_contain_text("Rampal Celaket")

    # Zoomed out, the points gather into one group that counts them and flags the problem.
    # The popup may still be panning into view: close it without waiting for it to settle.
    page.locator(".leaflet-popup-close-button").click(force=True)
    for _ in range(5):
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(300)
    cluster = page.locator(".tps-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster.locator("div")).to_have_text("3")
    expect(cluster.locator("b")).to_have_text("!1")
    screenshot(page, "logistics-map-clustered.png")

    page.locator('select[name="state"]').select_option("lengkap")
    expect(map_element).to_have_attribute("data-points", "1")
    assert "state=lengkap" in page.url

    assert guard.external == []
    assert page_errors == []
    assert any("/vendor/leaflet/leaflet.js" in url for url in guard.local)
    assert any("/vendor/leaflet/leaflet.markercluster.js" in url for url in guard.local)


def test_lurah_sees_only_their_point(page: Page, base_url, guard: LocalOnly, page_errors, mapped,
                                     users):
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("logistics:map"))
    expect(page.locator("#map")).to_have_attribute("data-points", "1")
    expect(page.locator(".tps-marker")).to_have_count(1)
    assert guard.external == [] and page_errors == []


def test_board_polls_with_htmx(page: Page, base_url, guard: LocalOnly, page_errors, mapped, users):
    log_in(page, base_url, "admin")
    page.goto(base_url + reverse("logistics:board"))
    rows = page.locator("#board-list tr[data-tps]")
    expect(rows).to_have_count(2)  # the complete TPS is not on the board
    TpsReadiness.objects.filter(tps=mapped.tps_b).update(state="lengkap", percent=100)
    # What the 30-second poll does, now rather than in 30 s.
    with page.expect_response(lambda r: "/papan-h1/" in r.url and
                              r.request.headers.get("hx-request") == "true"):
        page.evaluate("() => htmx.ajax('GET', window.location.pathname, "
                      "{target: '#board-list', select: '#board-list', swap: 'outerHTML'})")
    expect(rows).to_have_count(1)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    screenshot(page, "logistics-board.png")
    assert guard.external == [] and page_errors == []
