"""Voting day on a 360 px phone, end to end: a lurah opens a TPS, records its opening with the
officers present, enters the mayor's C.Hasil with a wrong sum, and sees it saved as "perlu
verifikasi" with the failed check named; corrects it with a reason; the board and the tally
show the TPS.

Selectors rely on ids, data attributes and URLs, not on wording (except the check's message,
which is the point)."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from posko.elections.models import CandidatePair, Contest
from posko.voting.models import QuickCountDesign, QuickCountTps, ResultPhoto, TpsDay, TpsResult
from posko.voting.services import quickcount as quick_count_services
from posko.voting.services.results import submit_result
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_result(page, prefix: str, values: dict) -> None:
    page.locator(f"#contest-{prefix} details:has(#id_c{prefix}-valid) > summary").click()
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
    page.locator(f"#contest-{contest.pk} form:has(#id_c{contest.pk}-valid) button").click()
    status = page.locator(f"#contest-{contest.pk} [data-testid=result-status]")
    expect(status).to_have_text("Perlu verifikasi")
    expect(page.locator(f"#contest-{contest.pk} [data-testid=result-checks]")).to_contain_text(
        "Jumlah suara paslon 300, tidak sama dengan 310 suara sah.")

    fill_result(page, str(contest.pk), {**values, "valid": 300})
    page.fill(f"#id_c{contest.pk}-reason", "Salah tulis suara sah, sesuai foto C.Hasil.")
    page.locator(f"#contest-{contest.pk} form:has(#id_c{contest.pk}-valid) button").click()
    expect(status).to_have_text("Tercatat")
    assert TpsResult.objects.filter(is_current=True).get().version == 2

    page.goto(f"{base_url}/pemungutan/hasil/?contest={contest.pk}")
    expect(page.locator("[data-testid=tally-total]")).to_contain_text("1 dari 1 TPS sudah masuk")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, f"the tally scrolls sideways ({width} px)"
    assert page_errors == []


def test_photo_evidence_verifier_correction_board_and_quick_count(base_url, world, users, page,
                                                                  browser_context, page_errors,
                                                                  tmp_path):
    """A lurah on a phone enters the C.Hasil with a photo of the sheet and a wrong sum (saved as
    "perlu verifikasi", the check named, the photo's SHA-256 shown); a witness enters other
    numbers; the camat's operator compares the three sources, sees the difference and enters
    the correction with a reason; the tally, the board and the quick count follow."""
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                     deputy_name=f"Wakil {n}")
    admin = users["admin"]
    week_before = timezone.make_aware(datetime.datetime.combine(
        world.election.voting_date - datetime.timedelta(days=7), datetime.time(10, 0)))
    design = quick_count_services.save_design(
        contest, {"strata": "kecamatan", "sample_size": 3, "min_per_stratum": 1, "seed": 7,
                  "show_after_percent": 0}, actor=admin, election=world.election,
        now=week_before)
    design = quick_count_services.draw_sample(design, actor=admin, election=world.election,
                                              now=week_before)
    quick_count_services.lock_sample(design, actor=admin, election=world.election,
                                     now=week_before)
    assert QuickCountTps.objects.filter(design=design, tps=world.tps_a).exists()

    photo = tmp_path / "chasil.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 240)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()

    log_in(page, base_url, "kelurahan_a")
    page.goto(f"{base_url}/pemungutan/tps/{world.tps_a.pk}/")
    values = {"voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 310, "invalid": 8,
              "ballots_received": 420, "ballots_used": 308, "ballots_unused": 110,
              "ballots_damaged": 2, "votes_1": 120, "votes_2": 100, "votes_3": 80}
    fill_result(page, str(contest.pk), values)
    page.set_input_files(f"#id_c{contest.pk}-photo", str(photo))
    page.locator(f"#contest-{contest.pk} form:has(#id_c{contest.pk}-valid) button").click()
    section = page.locator(f"#contest-{contest.pk}")
    expect(section.locator("[data-testid=result-status]")).to_have_text("Perlu verifikasi")
    expect(section.locator("[data-testid=result-checks]")).to_contain_text(
        "Jumlah suara paslon 300, tidak sama dengan 310 suara sah.")
    expect(section.locator("[data-testid=contest-photos]")).to_contain_text(digest)
    assert ResultPhoto.objects.get().sha256 == digest
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > 362).slice(-3).map(e => e.outerHTML.slice(0, 160))""")
    assert width <= 361, f"the TPS page scrolls sideways ({width} px): {wide}"

    witness = {**values, "valid": 300, "votes_1": 125, "votes_2": 95}
    submit_result(world.tps_a, contest, actor=admin, election=world.election, source="saksi",
                  values={k: v for k, v in witness.items() if not k.startswith("votes_")},
                  votes={"1": 125, "2": 95, "3": 80})

    good = {k: v for k, v in values.items() if not k.startswith("votes_")} | {"valid": 300}
    for other, votes in ((world.tps_a2, {"1": 90, "2": 130, "3": 80}),
                         (world.tps_b, {"1": 150, "2": 100, "3": 50})):
        submit_result(other, contest, actor=admin, election=world.election, values=good,
                      votes=votes)
    browser_context.clear_cookies()
    log_in(page, base_url, "kecamatan_a")
    page.goto(f"{base_url}/pemungutan/tps/{world.tps_a.pk}/sumber/{contest.pk}/")
    expect(page.locator("[data-testid=reconcile-differences]")).to_contain_text("125")
    expect(page.locator("[data-testid=reconcile-photos]")).to_contain_text(digest)
    page.locator("[data-testid=correct-form]").locator("xpath=..").locator("summary").click()
    page.fill("#id_fix-valid", "300")
    page.fill("#id_fix-reason", "Sesuai foto C.Hasil: suara sah 300.")
    page.locator("[data-testid=correct-form] button[type=submit]").click()
    expect(page.locator("[data-testid=reconcile-history]")).to_contain_text(
        "Sesuai foto C.Hasil: suara sah 300.")
    counted = TpsResult.objects.get(tps=world.tps_a, contest=contest, is_counted=True)
    assert (counted.source, counted.version, counted.valid, counted.status) == (
        "pemda", 2, 300, "tercatat")

    page.goto(f"{base_url}/pemungutan/hasil/?contest={contest.pk}")
    expect(page.locator("[data-testid=tally-total]")).to_contain_text(
        "2 dari 2 TPS sudah masuk; 0 perlu verifikasi")
    page.goto(f"{base_url}/pemungutan/")
    expect(page.locator("[data-testid=board-total]")).to_be_visible()
    page.goto(f"{base_url}/pemungutan/hitung-cepat/{contest.pk}/")
    # The whole small world is the sample: (120 + 90 + 150) / 900 valid votes, no margin left.
    expect(page.locator("[data-testid=qc-pair]").first).to_contain_text("40,00")
    expect(page.locator("[data-testid=qc-hash]")).to_have_text(
        QuickCountDesign.objects.get().sample_hash)
    assert page_errors == []
