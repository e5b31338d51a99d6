"""A TOTP login in a real browser (issue 16): an admin enrols (QR code and manual key), gets
ten recovery codes once, signs out, and signs in again with a code computed from the same
secret the phone app would hold. The CSP header is there, enforced, and nothing violates it."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/akun/two-step/**")


def code(device: TOTPDevice, ahead: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=ahead):06d}"


def test_admin_enrols_and_signs_in_with_a_totp_code(page, base_url, users, settings,
                                                    page_errors):
    settings.POSKO_REQUIRE_2FA = True
    violations = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    password_step(page, base_url, "admin")
    expect(page.get_by_test_id("qr")).to_be_visible()
    expect(page.get_by_test_id("manual-key")).to_be_visible()
    device = TOTPDevice.objects.get(user=users["admin"], confirmed=False)
    page.fill("input[name=code]", code(device))
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("continue").click()
    expect(page.locator("h1").first).to_be_visible()
    assert "/akun/two-step/" not in page.url

    page.context.clear_cookies()
    password_step(page, base_url, "admin")
    assert "/akun/two-step/" in page.url
    expect(page.get_by_test_id("qr")).to_have_count(0)
    page.fill("input[name=code]", code(device, ahead=1))
    response_headers = {}
    page.on("response", lambda r: response_headers.update(r.headers)
            if r.url == base_url + "/" else None)
    page.get_by_test_id("verify").click()
    page.wait_for_url(base_url + "/")
    assert "content-security-policy" in response_headers
    assert "content-security-policy-report-only" not in response_headers
    assert violations == []
    assert page_errors == []
