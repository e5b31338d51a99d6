"""The main pages load nothing from outside the server (no CDN, no web fonts)
and fit a 360 px phone screen without sideways scrolling."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, LocalOnly, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def main_pages(world) -> list[str]:
    return [
        reverse("home"),
        reverse("regions:kecamatan_list"),
        reverse("elections:tps_list"),
        reverse("elections:tps_detail", args=[world.tps_a.pk]),
        reverse("elections:tps_import"),
    ]


def test_main_pages_make_no_outside_requests(page: Page, base_url, guard: LocalOnly,
                                             page_errors, world, users):
    log_in(page, base_url, "kelurahan_a")  # visits the login page, /masuk/
    for path in main_pages(world):
        response = page.goto(base_url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    assert guard.external == []
    assert page_errors == []
    # The guard really saw the pages' own assets, so "nothing outside" means something.
    assert any(url.endswith("/posko.css") for url in guard.local)
    assert any("/htmx-" in url for url in guard.local)


def test_main_pages_get_their_css_and_scripts(page: Page, base_url, world, users):
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(page, base_url, "kelurahan_a")
    for path in main_pages(world):
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        assert failed == [], path
        # The stylesheet applied (red top bar) and htmx ran (the TPS filters use it).
        assert page.evaluate("() => getComputedStyle(document.querySelector('.topbar'))"
                             ".backgroundColor") == "rgb(155, 28, 28)", path
        assert page.evaluate("() => typeof window.htmx") == "object", path


def test_guard_blocks_and_records_outside_requests(browser, base_url, guard: LocalOnly, world,
                                                  users):
    # The enforced CSP would refuse the stylesheet before any request is made (see
    # test_csp.py); this context bypasses it so that the guard itself is what is tested.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    context.route("**/*", guard)
    page = context.new_page()
    page.goto(base_url + reverse("login"))
    page.evaluate("""() => {
        const link = document.createElement('link');
        link.rel = 'stylesheet';
        link.href = 'https://fonts.googleapis.com/css2?family=Roboto';
        document.head.appendChild(link);
    }""")
    page.wait_for_load_state("networkidle")
    assert guard.external == ["https://fonts.googleapis.com/css2?family=Roboto"]
    context.close()


def overflow(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("name", ["home", "elections:tps_list"])
def test_phone_pages_do_not_scroll_sideways(page: Page, base_url, world, users, name):
    log_in(page, base_url, "kelurahan_a")
    if name != "home":
        page.goto(base_url + reverse(name))
    expect(page.locator("main h1")).to_be_visible()
    assert page.viewport_size == PHONE
    width = overflow(page)
    assert width <= PHONE["width"] + 1, f"{name}: scrollWidth {width}px on a {PHONE['width']}px screen"
    # The same with the menu open.
    page.locator("details.menu > summary").click()
    expect(page.locator("details.menu nav")).to_be_visible()
    assert overflow(page) <= PHONE["width"] + 1
    page.locator("details.menu > summary").click()
    expect(page.locator("details.menu nav")).to_be_hidden()
    screenshot(page, "phone-home.png" if name == "home" else "phone-tps-list.png")
