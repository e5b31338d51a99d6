"""The whole application once in Indonesian on a 360 px phone (issue 5).

An admin and a lurah open the main page of every module (the list comes from the URL
confs) with data whose numbers have decimals and thousands. A page fails on any console
error, uncaught JavaScript error, failed request (4xx/5xx, or a request that did not
complete), request outside the server, or sideways scrolling wider than the screen. On the
turnout page the scatter's points must be drawn: circles with numeric coordinates, inside
the chart, in Indonesian.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import get_resolver, resolve, reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, LocalOnly, log_in, screenshot
from tests.test_localisation_markup import build_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A px of rounding; a table or chart wider than the screen must scroll inside its own box.
TOLERANCE = 1


def module_pages(world, *, admin: bool) -> list[str]:
    """The main page of every module, as the navigation and the modules' tabs link them."""
    pages = [
        reverse("home"),
        reverse("elections:tps_list"), reverse("regions:kecamatan_list"),
        reverse("regions:kelurahan_detail", args=[world.kel_a.code]),
        reverse("coordination:task_list"), reverse("coordination:task_board"),
        reverse("coordination:meeting_list"), reverse("coordination:checklist_list"),
        reverse("coordination:report"), reverse("coordination:notifications"),
        reverse("logistics:readiness"), reverse("logistics:requirement_summary"),
        reverse("logistics:shipment_list"), reverse("logistics:shortfall_list"),
        reverse("logistics:support_list"), reverse("logistics:item_list"),
        reverse("logistics:map"), reverse("logistics:board"),
        reverse("vulnerability:overview"), reverse("vulnerability:kelurahan_list"),
        reverse("vulnerability:grid", args=[world.kel_a.code]), reverse("vulnerability:map"),
        reverse("vulnerability:action_list"),
        reverse("workers:worker_list"), reverse("workers:coverage"), reverse("workers:staffing"),
        reverse("incidents:report_list"), reverse("incidents:situation"), reverse("incidents:map"),
        reverse("outreach:activity_list"), reverse("outreach:coverage"),
        reverse("outreach:turnout"), reverse("outreach:early_warning"),
        reverse("voting:board"), reverse("voting:tally"),
        reverse("voting:tps", args=[world.tps_a.pk]), reverse("voting:reconcile_queue"),
        reverse("voting:anomalies"), reverse("voting:quick_count_index"),
        reverse("voting:photos"),
        reverse("readiness:overview"), reverse("readiness:forecast"),
        reverse("elections:executive"),
        reverse("elections:tps_detail", args=[world.tps_a.pk]),
        reverse("logistics:labels"), reverse("sms:message_list"), reverse("sms:phone"),
        reverse("fieldapp:app"),
        reverse("api:docs"), reverse("accounts:profile"),
    ]
    if admin:
        pages += [reverse("audit_log"), reverse("accounts:user_list"),
                  reverse("voting:kpu_import"), reverse("readiness:settings"),
                  reverse("portal:settings_active")]
    return pages


def test_the_sweep_covers_every_module(world):
    """A new module (URL namespace) must join the sweep."""
    covered = {resolve(path).namespace for path in module_pages(world, admin=True)}
    assert set(get_resolver().namespace_dict) - covered == set()


class Problems:
    """Everything that went wrong on the current page, by kind."""

    def __init__(self, page: Page, guard: LocalOnly):
        self.items: list[str] = []
        self.guard = guard
        page.on("console", lambda message: self.items.append(
            f"console {message.type}: {message.text}") if message.type == "error" else None)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("response", lambda response: self.items.append(
            f"HTTP {response.status} {response.url}") if response.status >= 400 else None)
        page.on("requestfailed", lambda request: self.items.append(
            f"failed {request.url}: {request.failure}") if guard.is_local(request.url) else None)

    def take(self) -> list[str]:
        found = self.items + [f"outside request {url}" for url in self.guard.external]
        self.items, self.guard.external = [], []
        return found


def settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    for selector in ("#map", "#vmap"):
        element = page.locator(f"{selector}[data-loaded]")
        if element.count():
            expect(element).not_to_have_attribute("data-loaded", "false")


def sideways(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.fixture
def scene(world, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_scene(world, users)


@pytest.mark.parametrize("username", ["admin", "kelurahan_a"])
def test_every_module_in_indonesian_on_a_phone(page: Page, base_url, guard: LocalOnly, scene,
                                               username):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "id",
                               "url": base_url}])
    problems = Problems(page, guard)
    log_in(page, base_url, username)
    assert page.viewport_size == PHONE
    found: dict[str, list[str]] = {}
    for path in module_pages(scene, admin=username == "admin"):
        response = page.goto(base_url + path)
        settle(page)
        page_problems = problems.take()
        if response is None or response.status != 200:
            page_problems.insert(0, f"status {response.status if response else None}")
        # Swagger UI (the API docs) has no Indonesian: it is the one English page.
        if path != reverse("api:docs") and page.evaluate(
                "() => document.documentElement.lang") != "id":
            page_problems.append("not in Indonesian")
        width = sideways(page)
        if width > PHONE["width"] + TOLERANCE:
            page_problems.append(f"scrollWidth {width}px on a {PHONE['width']}px screen")
        if page_problems:
            found[path] = page_problems
    assert found == {}


def test_the_scatter_is_drawn_in_indonesian(page: Page, base_url, guard: LocalOnly, scene):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "id",
                               "url": base_url}])
    problems = Problems(page, guard)
    log_in(page, base_url, "admin")
    page.goto(base_url + reverse("outreach:turnout"))
    expect(page.locator("h1")).to_contain_text("Partisipasi")
    chart = page.get_by_test_id("scatter")
    circles = chart.locator("circle")
    expect(circles).to_have_count(3)
    box = chart.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]  # it shrinks to the screen
    for i in range(3):
        circle = circles.nth(i)
        for attribute in ("cx", "cy"):
            value = circle.get_attribute(attribute)
            assert value is not None and "," not in value
            float(value)
        dot = circle.bounding_box()
        # drawn: a dot of a few px inside the chart (a bad attribute draws it at 0,0 or not)
        assert dot is not None and dot["width"] > 0
        assert box["x"] <= dot["x"] <= box["x"] + box["width"]
        assert box["y"] <= dot["y"] <= box["y"] + box["height"]
    # the tick labels people read stay Indonesian (grouping with a dot)
    labels = chart.locator("text").all_text_contents()
    assert "Jangkauan per 1.000 pemilih" in labels and "Partisipasi (%)" in labels, labels
    assert any(label.startswith("target 83") and label.endswith("%") for label in labels)
    screenshot(page, "turnout-scatter-id.png")
    assert problems.take() == []


@pytest.mark.parametrize("name, element", [("logistics:map", "#map"), ("vulnerability:map", "#vmap"),
                                           ("incidents:map", "#map")])
def test_maps_draw_the_approximate_kelurahan_areas_without_tiles(page: Page, base_url,
                                                                 guard: LocalOnly, scene, name,
                                                                 element):
    """No tile server configured: the base layer (approximate kelurahan areas from the TPS
    points, issue 8) is drawn under the points, named, said to be an approximation, and
    loaded from the server alone."""
    problems = Problems(page, guard)
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse(name))
    map_element = page.locator(element)
    expect(map_element).to_have_attribute("data-areas", "4")  # 3 kelurahan + the outlines
    expect(page.locator(f"{element} path.wilayah-kelurahan")).to_have_count(3)
    expect(page.locator(f"{element} path.wilayah-kecamatan")).to_have_count(1)
    expect(page.locator(f"{element} .leaflet-control-attribution")).to_contain_text(
        "bukan batas resmi")
    expect(page.locator(".leaflet-tile")).to_have_count(0)
    # the areas lie under the points: their pane is below the overlay and marker panes
    assert page.evaluate("""() => {
        const z = name => Number(getComputedStyle(document.querySelector(
            '.leaflet-' + name + '-pane')).zIndex);
        return z('wilayah') < z('overlay') && z('wilayah') < z('marker');
    }""")
    # fitted to the TPS, the map is zoomed in: the kelurahan names are labels
    labels = page.locator(".wilayah-label")
    expect(labels.first).to_be_attached()
    assert "Klojen" in labels.all_text_contents()
    for _ in range(4):  # zoomed out, the labels make way (a tooltip still names the area)
        page.locator(f"{element} .leaflet-control-zoom-out").click()
        page.wait_for_timeout(350)
    expect(labels).to_have_count(0)
    screenshot(page, f"base-layer-{name.split(':')[0]}.png")
    page.wait_for_load_state("networkidle")
    assert problems.take() == []
