"""Real-browser fixtures: Playwright's sync API driving Debian's chromium.

Playwright cannot download its own browsers here, so we launch the system
chromium (override with POSKO_CHROMIUM). One browser per session; a fresh
context and page per test, on a 360x740 phone viewport. Every request that
does not go to the live server is aborted and recorded by the ``guard``
fixture (see test_phone.py), so a test can never reach a CDN or a font service.

No Content-Security-Policy violation may happen in any browser test: every context made
from the session's ``browser`` (the fixtures' and the tests' own) listens for the page's
``securitypolicyviolation`` events and chromium's console messages about the policy, and the
reports chromium posts to /csp-report/ (logger ``posko.csp``) are collected too; a test
during which any of them appears fails in its teardown (``csp_watch``).

The data comes from tests/conftest.py (``world`` and ``users``). With
``live_server`` pytest-django makes the database transactional, which the
server thread needs to see the rows; the tests also say so with
``django_db(transaction=True)``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
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


# Runs in every page before its own scripts: a violation becomes a console message we catch
# even where chromium would only count it (the event carries the directive and the source).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("posko-csp-violation: " + e.disposition + " " + e.effectiveDirective +
                " blocked=" + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber +
                " sample=" + e.sample);
}, true);
"""


class CspViolations(logging.Handler):
    """Every CSP violation seen in the session: console messages of every browser context
    and the reports the server logged on ``posko.csp``."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record):
        self.seen.append("report to /csp-report/: " + record.getMessage())

    def console(self, message) -> None:
        text = message.text
        if "posko-csp-violation" in text or "Content Security Policy" in text:
            self.seen.append(f"console on {message.page.url if message.page else '?'}: {text}")

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.add_init_script(CSP_LISTENER)
        context.on("console", self.console)
        return context


CSP_VIOLATIONS = CspViolations()


@pytest.fixture(scope="session")
def browser() -> Browser:
    # While Playwright's sync API is up, an asyncio loop counts as running in this
    # thread, and Django's ORM refuses to work here (SynchronousOnlyOperation) unless
    # DJANGO_ALLOW_ASYNC_UNSAFE is set. Set it only for that window, so tests that
    # run without a browser keep Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # A service worker's own requests follow the context's offline switch and routes (the
    # field app's offline test, issue 18); without it Chromium's emulation stops at the page.
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=CHROMIUM_ARGS)
            new_context = browser.new_context
            browser.new_context = lambda *a, **kw: CSP_VIOLATIONS.watch(new_context(*a, **kw))
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def csp_log():
    """Collect what the server logs on ``posko.csp`` for the whole session."""
    logger = logging.getLogger("posko.csp")
    logger.addHandler(CSP_VIOLATIONS)
    yield CSP_VIOLATIONS
    logger.removeHandler(CSP_VIOLATIONS)
    assert CSP_VIOLATIONS.seen == [], "Content-Security-Policy violations reported late:\n" + \
        "\n".join(CSP_VIOLATIONS.seen)


@pytest.fixture(autouse=True)
def csp_watch(csp_log):
    """Fail the test if any CSP violation was seen while it ran (or reported late, from the
    test before: chromium posts its reports asynchronously)."""
    yield
    seen, csp_log.seen[:] = list(csp_log.seen), []
    assert seen == [], "Content-Security-Policy violations:\n" + "\n".join(seen)


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


def wait_until(page: Page, predicate: str, what: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Poll ``predicate`` (JavaScript, may return a promise) until it is truthy. Playwright's
    ``wait_for_function`` does not await a promise a function returns (a pending promise is
    truthy), and compiles a polled expression with eval, which our CSP refuses."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for {what}")
        page.wait_for_timeout(100)


def screenshot(page: Page, name: str) -> None:
    """Save a full-page PNG into $POSKO_SCREENSHOTS (for the README); no-op if unset."""
    target = os.environ.get("POSKO_SCREENSHOTS")
    if not target:
        return
    directory = Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / name), full_page=True)
