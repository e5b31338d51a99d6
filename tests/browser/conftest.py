"""Real-browser fixtures: Playwright's sync API driving Debian's chromium.

Playwright cannot download its own browsers here, so we launch the system
chromium (override with POSKO_CHROMIUM). One browser per session; a fresh
context and page per test, on a 360x740 phone viewport. Every request that
does not go to the live server is aborted and recorded by the ``guard``
fixture (see test_phone.py), so a test can never reach a CDN or a font service.

The data comes from tests/conftest.py (``world`` and ``users``). With
``live_server`` pytest-django makes the database transactional, which the
server thread needs to see the rows; the tests also say so with
``django_db(transaction=True)``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import PASSWORD

PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


def chromium_path() -> str:
    return os.environ.get("POSKO_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Browser:
    # While Playwright's sync API is up, an asyncio loop counts as running in this
    # thread, and Django's ORM refuses to work here (SynchronousOnlyOperation) unless
    # DJANGO_ALLOW_ASYNC_UNSAFE is set. Set it only for that window, so tests that
    # run without a browser keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class LocalOnly:
    """Route handler: let the live server through, abort and remember the rest."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.external: list[str] = []
        self.local: list[str] = []

    def is_local(self, url: str) -> bool:
        return url == self.base_url or url.startswith(self.base_url + "/")

    def __call__(self, route):
        url = route.request.url
        if self.is_local(url):
            self.local.append(url)
            route.continue_()
        else:
            self.external.append(url)
            route.abort()


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url.rstrip("/")


@pytest.fixture
def guard(base_url) -> LocalOnly:
    return LocalOnly(base_url)


@pytest.fixture
def browser_context(browser: Browser, guard: LocalOnly) -> BrowserContext:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="id-ID",
                                  timezone_id="Asia/Jakarta")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.route("**/*", guard)
    yield context
    context.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors on ``page``."""
    return []


@pytest.fixture
def page(browser_context: BrowserContext, page_errors: list[str]) -> Page:
    page = browser_context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    yield page
    page.close()


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form at /masuk/ and wait for the home page."""
    response = page.goto(base_url + "/masuk/")
    assert response is not None and response.status == 200
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base_url + "/")


def screenshot(page: Page, name: str) -> None:
    """Save a full-page PNG into $POSKO_SCREENSHOTS (for the README); no-op if unset."""
    target = os.environ.get("POSKO_SCREENSHOTS")
    if not target:
        return
    directory = Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / name), full_page=True)
