"""Issue 15, in a real browser: the demo, built by ``posko demo`` at its default clock (the
morning of H-1, Tuesday 26 Nov 2024 08:00), shows H-1 and the current stage on the home
page, the simulation banner in the header, and an H-1 board with TPS still to complete.

Selectors rely on URLs, ids and data attributes; the texts checked are data (dates, the
stage's name, "H-1"), so the test passes whichever language catalogue is in place.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, expect

from posko.demo.data import DEMO_PASSWORD
from posko.demo.management.commands.demo import Command
from posko.logistics.models import TpsReadiness
from tests.browser.conftest import TIMEOUT_MS, LocalOnly, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def test_demo_opens_on_h1_morning(browser: Browser, base_url, guard: LocalOnly, monkeypatch):
    monkeypatch.setattr(Command, "serve", lambda self, addrport: None)
    call_command(Command(), "--no-serve", stdout=io.StringIO())  # the default --as-of
    short = TpsReadiness.objects.exclude(state="lengkap").count()
    assert 0 < short < TpsReadiness.objects.count()

    context = browser.new_context(viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", guard)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, base_url, "admin", DEMO_PASSWORD)
        banner = page.get_by_test_id("simulated-clock")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("26 Nov 2024 08:0")
        hero = page.locator("main .hero")
        expect(hero.locator(".h")).to_have_text("H-1")
        expect(hero).to_contain_text("Masa tenang")

        response = page.goto(base_url + reverse("logistics:board"))
        assert response is not None and response.status == 200
        expect(page.get_by_test_id("simulated-clock")).to_be_visible()
        expect(page.get_by_test_id("board-summary")).to_contain_text(str(short))
        rows = page.locator("table.board-table tbody tr[data-tps]")
        expect(rows.first).to_be_visible()
        assert rows.count() > 0
    finally:
        context.close()
    assert errors == []
    assert guard.external == []
