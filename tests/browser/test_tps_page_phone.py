"""The TPS page and the executive dashboard in a real browser on a 360 px phone, as a lurah
(issue 17): every module's panel is drawn, nothing scrolls sideways, no JavaScript error,
no request outside the server and no Content-Security-Policy violation (the session-wide
``csp_watch``). The dashboard's TV mode has larger type on a TV-sized screen."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from posko.readiness.services import compute
from tests.browser.conftest import PHONE, LocalOnly, log_in, screenshot
from tests.test_tps_page import MODULE_PANELS, fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_the_tps_page_on_a_phone_as_a_lurah(page: Page, base_url, guard: LocalOnly,
                                            page_errors, world, users):
    fill(world, world.tps_a, 4)
    compute.refresh(world.election)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(page, base_url, "kelurahan_a")
    response = page.goto(base_url + reverse("elections:tps_detail", args=[world.tps_a.pk]))
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    for key in [*MODULE_PANELS, "readiness"]:
        panel = page.locator(f'section[data-panel="{key}"]')
        panel.scroll_into_view_if_needed()
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, key
    assert page.viewport_size == PHONE
    assert width(page) <= PHONE["width"] + 1, f"scrollWidth {width(page)}px"
    # The in-page index jumps to a panel.
    page.locator('.tps-panel-index a[href="#panel-incidents"]').click()
    expect(page.locator('section[data-panel="incidents"]')).to_be_in_viewport()
    assert failed == [] and page_errors == [] and guard.external == []
    screenshot(page, "phone-tps-page.png")
    # Another kelurahan's TPS is not there for this lurah.
    other = page.goto(base_url + reverse("elections:tps_detail", args=[world.tps_b.pk]))
    assert other is not None and other.status == 404


def test_the_executive_dashboard_on_a_phone_and_a_tv(page: Page, browser, base_url,
                                                     guard: LocalOnly, page_errors, world, users):
    fill(world, world.tps_a, 3)
    compute.refresh(world.election)
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("elections:executive"))
    page.wait_for_load_state("networkidle")
    expect(page.locator('[data-testid="h-label"]')).to_be_visible()
    expect(page.locator('[data-section="readiness"]')).to_be_visible()
    assert width(page) <= PHONE["width"] + 1, f"scrollWidth {width(page)}px"
    # The poll swaps the live part in place (here at once, instead of after a minute).
    page.evaluate("""() => htmx.ajax('GET', location.pathname,
        {target: '#exec-live', select: '#exec-live', swap: 'outerHTML'})""")
    page.wait_for_load_state("networkidle")
    expect(page.locator('#exec-live [data-testid="h-label"]')).to_have_count(1)
    assert page_errors == [] and guard.external == []
    screenshot(page, "phone-executive.png")
    normal = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.exec')).fontSize)")

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.route("**/*", guard)
    tv = context.new_page()
    log_in(tv, base_url, "pemantau")
    tv.goto(base_url + reverse("elections:executive") + "?tv=1")
    expect(tv.locator(".exec-tv")).to_be_visible()
    big = tv.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.exec')).fontSize)")
    assert big >= 1.4 * normal
    assert tv.evaluate("() => document.documentElement.scrollWidth") <= 1920
    screenshot(tv, "tv-executive.png")
    context.close()
    assert guard.external == []
