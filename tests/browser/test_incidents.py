"""Issue 7, end to end: a citizen reports money politics with a photo from a phone with
JavaScript switched off and gets a tracking code; the Desk admin verifies the report,
forwards it to Bawaslu and closes it; the citizen checks the code and sees "selesai".

Selectors rely on names, ids, data attributes and URLs, not on wording."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from posko.incidents.models import Report
from tests.browser.conftest import PHONE, TIMEOUT_MS, LocalOnly, log_in
from tests.incidents_fixtures import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_reports_without_javascript_and_follows_it_to_selesai(
        browser: Browser, base_url, world, users, tmp_path, page, guard):
    photo = tmp_path / "amplop.jpg"
    photo.write_bytes(jpeg_bytes())
    citizen_context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False,
                                          locale="id-ID", timezone_id="Asia/Jakarta")
    citizen_context.route("**/*", LocalOnly(base_url))
    citizen_context.set_default_timeout(TIMEOUT_MS)
    citizen = citizen_context.new_page()
    try:
        response = citizen.goto(base_url + "/laporan/kirim/")
        assert response is not None and response.status == 200
        citizen.select_option("#id_category", label="Politik uang")
        citizen.select_option("#id_kelurahan", value=world.kel_a.code)
        citizen.fill("#id_tps_number", "1")
        citizen.fill("#id_occurred_at", "2024-11-26T21:30")
        citizen.fill("#id_title", "Amplop serangan fajar")
        citizen.fill("#id_description", "Dua orang membagikan amplop berisi uang di dekat TPS 001.")
        citizen.set_input_files("#id_files", str(photo))
        citizen.fill("#id_reporter_contact", "0812-0000-2222")
        citizen.locator("form.public-form button[type=submit]").click()
        citizen.wait_for_url(re.compile(r".*/laporan/status/\?kode=LP-.*"))
        code = citizen.locator("[data-testid=tracking-code]").inner_text().strip()
        assert re.fullmatch(r"LP-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        report = Report.objects.get(code=code)
        assert report.tps == world.tps_a and report.evidence.count() == 1
        assert report.category.code == "politik_uang"

        # The operator, with JavaScript, triages it.
        log_in(page, base_url, "admin")
        page.goto(base_url + report.get_absolute_url())
        expect(page.locator("[data-testid=report-code]")).to_have_text(code)
        expect(page.locator("[data-testid=evidence] li")).to_have_count(1)
        # the cleaned copy, and (admin: personal-data permission) the original as received
        expect(page.locator("[data-testid=evidence] li > a")).to_have_count(1)
        expect(page.locator("[data-testid=evidence-sha256] a")).to_have_count(1)
        page.select_option("#id_state", "diverifikasi")
        page.locator("form.transition-form button[type=submit]").click()
        expect(page.locator("[data-testid=report-state]")).to_have_attribute("data-state",
                                                                           "diverifikasi")
        page.select_option("#id_state", "diteruskan")
        page.select_option("#id_forwarded_to", "bawaslu")
        page.fill("#id_public_note", "Laporan diteruskan ke Bawaslu.")
        page.locator("form.transition-form button[type=submit]").click()
        expect(page.locator("[data-testid=report-state]")).to_have_attribute("data-state",
                                                                           "diteruskan")
        expect(page.locator("[data-testid=forwarded-to]")).to_have_text("Bawaslu")
        page.select_option("#id_state", "selesai")
        page.fill("#id_note", "Bawaslu menindaklanjuti; temuan dicatat.")
        page.locator("form.transition-form button[type=submit]").click()
        expect(page.locator("[data-testid=report-state]")).to_have_attribute("data-state",
                                                                           "selesai")

        # The citizen checks the code (still without JavaScript).
        citizen.goto(base_url + "/laporan/status/")
        citizen.fill("#id_kode", code.lower())
        citizen.locator("main form button[type=submit]").first.click()
        state = citizen.locator("[data-testid=public-state]")
        expect(state).to_have_attribute("data-state", "selesai")
        assert state.inner_text().strip()
        body = citizen.content()
        assert "0812-0000-2222" not in body and "admin" not in body.lower().split("<main>")[-1]
    finally:
        citizen_context.close()
    assert not guard.external
