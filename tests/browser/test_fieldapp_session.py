"""One phone, two users (issue 18's field app on a shared phone), in Chromium: the app's
cached page is the page of whoever loaded it (their name, their TPS, their forms). When that
user logs out it leaves the phone — opened offline, the app now says to log in once with a
signal instead of showing the previous user's page — while their unsent entry stays in the
outbox. The next user to log in gets their own page cached from the site's home page (no
visit to the app needed), opens the app offline as themselves, and sees the previous user's
entry waiting for its own user, never sent under theirs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from posko.voting.models import StatusEvent
from tests.browser.conftest import log_in, wait_until
from tests.browser.test_fieldapp import open_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHELL_CACHED = "caches.match('/lapangan/').then(r => !!r)"


def add_unsent_entry(page, tps_pk: int, user: str) -> None:
    page.evaluate("""async ([tps, user]) => {
        await window.poskoField.outbox.add({key: crypto.randomUUID(), form: 'voting.status',
            label: 'Status TPS', url: `/api/v1/voting/tps/${tps}/report/`,
            body: {kpps_present: 7}, captured_at: new Date().toISOString(), gps: null,
            created: Date.now(), user});
    }""", [tps_pk, user])


def test_logout_drops_the_apps_page_keeps_the_outbox_and_the_next_user_gets_their_own(
        base_url, world, users, page, browser_context, page_errors):
    # The voting API is down (503): entries stay in the outbox for the whole test.
    browser_context.route("**/api/v1/voting/**", lambda route: route.fulfill(status=503))
    name_a = users["kelurahan_a"].get_full_name() or "kelurahan_a"
    name_b = users["kelurahan_b"].get_full_name() or "kelurahan_b"
    log_in(page, base_url, "kelurahan_a")
    open_app(page, base_url)
    expect(page.locator(".who")).to_contain_text(name_a)
    add_unsent_entry(page, world.tps_a.pk, "kelurahan_a")

    page.goto(base_url + "/")
    menu = page.locator("details.menu")
    menu.get_by_label("Menu").click()
    menu.locator("details.more summary").click()  # "Lainnya": the account and "Keluar"
    menu.get_by_role("button", name="Keluar").click()
    page.wait_for_url(base_url + "/masuk/")
    wait_until(page, "caches.match('/lapangan/').then(r => !r)", "the shell dropped")

    browser_context.set_offline(True)
    page.goto(base_url + "/lapangan/")
    expect(page.get_by_test_id("no-shell")).to_contain_text("Masuk ke Posko sekali dengan sinyal")
    assert name_a not in page.content()

    browser_context.set_offline(False)
    log_in(page, base_url, "kelurahan_b")  # lands on the site's home page, not the app
    wait_until(page, SHELL_CACHED, "kelurahan_b's shell cached")
    browser_context.set_offline(True)
    page.goto(base_url + "/lapangan/#outbox")
    expect(page.locator(".who")).to_contain_text(name_b)
    waiting = page.locator("[data-testid=entry]")
    expect(waiting).to_have_count(1)
    browser_context.set_offline(False)  # the app tries to send: not under kelurahan_b's session
    expect(waiting).to_have_attribute("data-state", "login")  # kelurahan_a's: waits for them
    assert StatusEvent.objects.count() == 0
    assert page_errors == []
