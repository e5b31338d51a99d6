"""Voting day on a 360 px phone, end to end: a lurah opens a TPS, records its opening with the
officers present, enters the mayor's C.Hasil with a wrong sum, and sees it saved as "perlu
verifikasi" with the failed check named; corrects it with a reason; the board and the tally
show the TPS.

Selectors rely on ids, data attributes and URLs, not on wording (except the check's message,
which is the point)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from posko.elections.models import CandidatePair, Contest
from posko.voting.models import TpsDay, TpsResult
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_result(page, prefix: str, values: dict) -> None:
    page.locator(f"#contest-{prefix} details summary").click()
    for name, value in values.items():
        page.fill(f"#id_c{prefix}-{name}", str(value))


def test_a_lurah_reports_the_day_and_the_result_from_a_phone(base_url, world, users, page,
                                                            page_errors):
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                     deputy_name=f"Wakil {n}")
    log_in(page, base_url, "kelurahan_a")
    page.goto(f"{base_url}/pemungutan/tps/{world.tps_a.pk}/")
    page.select_option("#id_state", "dibuka")
    page.fill("#id_happened_at", "2024-11-27T07:05")
    page.fill("#id_kpps_present", "7")
    page.fill("#id_linmas_present", "2")
    page.locator("form[method=post]:not([action]) button[type=submit]").click()
    expect(page.locator("[data-testid=tps-state]")).to_contain_text("Dibuka")
    assert TpsDay.objects.get().kpps_present == 7

    values = {"voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 310, "invalid": 8,
              "ballots_received": 420, "ballots_used": 308, "ballots_unused": 110,
              "ballots_damaged": 2, "votes_1": 120, "votes_2": 100, "votes_3": 80}
    fill_result(page, str(contest.pk), values)
    page.locator(f"#contest-{contest.pk} form button[type=submit]").click()
    status = page.locator(f"#contest-{contest.pk} [data-testid=result-status]")
    expect(status).to_have_text("Perlu verifikasi")
    expect(page.locator(f"#contest-{contest.pk} [data-testid=result-checks]")).to_contain_text(
        "Jumlah suara paslon 300, tidak sama dengan 310 suara sah.")

    fill_result(page, str(contest.pk), {**values, "valid": 300})
    page.fill(f"#id_c{contest.pk}-reason", "Salah tulis suara sah, sesuai foto C.Hasil.")
    page.locator(f"#contest-{contest.pk} form button[type=submit]").click()
    expect(status).to_have_text("Tercatat")
    assert TpsResult.objects.filter(is_current=True).get().version == 2

    page.goto(f"{base_url}/pemungutan/hasil/?contest={contest.pk}")
    expect(page.locator("[data-testid=tally-total]")).to_contain_text("1 dari 1 TPS sudah masuk")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, f"the tally scrolls sideways ({width} px)"
    assert page_errors == []
