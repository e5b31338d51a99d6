"""The field app's install on a bad signal, in Chromium: a file of the app that fails once
is fetched again and the app still becomes ready to open offline; a file that keeps failing
leaves the home page saying the app is not ready yet (nothing half-installed: the page is
not controlled, nothing cached), and when the signal comes back the same page registers
again and the app installs. Before, one failed request left the app without offline use and said
nothing until the next visit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_fieldapp import open_app, wait_installed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ICON = "**/posko/fieldapp/icon-512*.png"  # precached by the service worker, not used by the page


# Every state the home page's "offline" line goes through, in order.
RECORD_STATES = """window.offlineStates = [];
new MutationObserver((changes) => changes.forEach((c) => {
  if (c.target.matches("[data-offline]")) window.offlineStates.push(c.target.dataset.state);
})).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-state"]});"""


class Flaky:
    """Route handler: answer 503 (a proxy on a bad signal) to the first ``failures``
    requests, or to every request while ``down``; let the rest through to the guard."""

    def __init__(self, failures: int = 0, down: bool = False):
        self.failures, self.down, self.seen = failures, down, 0

    def __call__(self, route):
        self.seen += 1
        if self.down or self.seen <= self.failures:
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.fallback()


def test_a_file_failing_once_is_fetched_again_and_the_app_installs(
        base_url, world, users, page, browser_context, page_errors):
    flaky = Flaky(failures=1)
    browser_context.route(ICON, flaky)
    page.add_init_script(RECORD_STATES)
    log_in(page, base_url, "kelurahan_a")
    open_app(page, base_url)  # controlled, shell cached, home says ready
    assert flaky.seen == 2
    # The service worker's own second try, not the page registering again: never "failed".
    assert page.evaluate("window.offlineStates") == ["preparing", "ready"]
    assert page.evaluate("caches.keys().then(ks => caches.open(ks[0]))"
                         ".then(c => c.keys()).then(rs => rs.some(r => /icon-512/.test(r.url)))")
    expect(page.get_by_test_id("offline-ready")).to_have_text(
        "Siap: aplikasi terbuka tanpa sinyal.")
    assert page_errors == []


def test_a_file_that_keeps_failing_says_not_ready_and_installs_when_the_signal_is_back(
        base_url, world, users, page, browser_context, page_errors):
    flaky = Flaky(down=True)
    browser_context.route(ICON, flaky)
    page.add_init_script(RECORD_STATES)
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + "/lapangan/")
    status = page.get_by_test_id("offline-ready")
    expect(status).to_have_attribute("data-state", "failed")  # three tries: ~3 s
    expect(status).to_contain_text("Belum siap dibuka tanpa sinyal")
    assert flaky.seen == 3
    # Nothing half-installed: no worker controls the page, no cache was filled.
    assert page.evaluate("navigator.serviceWorker.controller") is None
    assert page.evaluate("caches.keys()") == []

    flaky.down = False
    browser_context.set_offline(True)
    browser_context.set_offline(False)  # the signal is back: the page registers again (its
    wait_installed(page)                # own timer would, 5 s after the failure); not reloaded
    assert flaky.seen >= 4
    assert page.evaluate("window.offlineStates") == ["preparing", "failed", "ready"]
    expect(status).to_have_text("Siap: aplikasi terbuka tanpa sinyal.")
    assert page_errors == []
