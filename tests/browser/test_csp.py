"""The Content-Security-Policy in a real browser (issue 16). The policy is enforced: an inline
handler does not run, and the session-wide watch (conftest ``csp_watch``) sees the violation
both as a console message and as the report chromium posts to /csp-report/. The behaviour
that used to be inline (the auto-submitting selects, the API docs' start-up script) works
from static files without any violation."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.conftest import CSP_VIOLATIONS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_an_inline_handler_is_blocked_and_the_watch_sees_it(page: Page, base_url, users):
    response = page.goto(base_url + "/masuk/")
    assert response is not None and "content-security-policy" in response.headers
    assert "content-security-policy-report-only" not in response.headers
    page.evaluate("""() => {
        const b = document.createElement("button");
        b.id = "injected";
        b.setAttribute("onclick", "document.body.dataset.ran = 'yes'");
        document.body.append(b);
    }""")
    page.locator("#injected").click()
    try:
        assert wait_for(lambda: any("console" in s for s in CSP_VIOLATIONS.seen))
        assert wait_for(lambda: any("/csp-report/" in s for s in CSP_VIOLATIONS.seen))
        assert page.evaluate("() => document.body.dataset.ran") is None
        assert any("script-src" in s for s in CSP_VIOLATIONS.seen), CSP_VIOLATIONS.seen
    finally:
        CSP_VIOLATIONS.seen.clear()  # the violation was made on purpose


def test_the_language_switcher_submits_from_the_static_script(page: Page, base_url, users):
    log_in(page, base_url, "admin")
    assert page.evaluate("() => document.documentElement.lang") == "id"
    page.locator("#lang").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == base_url + "/"


def test_the_api_docs_page_runs_without_inline_script(page: Page, base_url, users, page_errors):
    log_in(page, base_url, "pemantau")
    page.goto(base_url + reverse("api:docs"))
    # Swagger UI started (the start-up script from ?script) and drew the schema's operations.
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/tps/", exact=True).first).to_be_visible()
    assert page_errors == []
