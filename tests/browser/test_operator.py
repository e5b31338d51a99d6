"""A kelurahan operator on a phone: log in, browse to their TPS, edit it, fail
to open another kelurahan's TPS; import a CSV with bad rows, then the fixed one.

Selectors rely on URLs, ids, data-testid and the HTTP status, not on wording,
so the tests pass whichever language catalogue is in place.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from posko.elections.models import Tps
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def href(url: str) -> str:
    return f'a[href="{url}"]'


def test_kelurahan_operator_browses_edits_and_is_kept_out(page: Page, base_url, world, users):
    secret = "Jl. Jodipan Rahasia 99"
    Tps.objects.filter(pk=world.tps_b.pk).update(address=secret)
    tps = world.tps_a
    assert (tps.dpt_men, tps.dpt_women) == (200, 210)

    log_in(page, base_url, "kelurahan_a")
    expect(page.get_by_test_id("tps-count")).to_have_text("1")

    # The phone menu is a closed <details>: its links are hidden until the summary is tapped.
    menu = page.locator("details.menu")
    regions_link = menu.locator(f'nav {href(reverse("regions:kecamatan_list"))}')
    expect(regions_link).to_be_hidden()
    page.locator("details.menu > summary").click()
    expect(menu).to_have_attribute("open", "")
    # Regions are under "More" (the data pages), a second closed <details>.
    expect(regions_link).to_be_hidden()
    menu.locator("details.more > summary").click()
    regions_link.click()
    page.wait_for_url(base_url + reverse("regions:kecamatan_list"))

    main = page.locator("main")
    expect(main.locator(href(reverse("regions:kecamatan_detail", args=[world.kec_b.code])))).to_have_count(0)
    main.locator(href(reverse("regions:kecamatan_detail", args=[world.kec_a.code]))).click()
    page.wait_for_url(base_url + reverse("regions:kecamatan_detail", args=[world.kec_a.code]))

    expect(main.locator(href(reverse("regions:kelurahan_detail", args=[world.kel_a2.code])))).to_have_count(0)
    main.locator(href(reverse("regions:kelurahan_detail", args=[world.kel_a.code]))).click()
    page.wait_for_url(base_url + reverse("regions:kelurahan_detail", args=[world.kel_a.code]))

    detail_url = reverse("elections:tps_detail", args=[tps.pk])
    main.locator(href(detail_url)).click()
    page.wait_for_url(base_url + detail_url)
    expect(page.get_by_test_id("dpt-total")).to_have_text("410")

    edit_url = reverse("elections:tps_edit", args=[tps.pk])
    main.locator(href(edit_url)).click()
    page.wait_for_url(base_url + edit_url)
    page.locator("#id_dpt_men").fill("250")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        main.locator("form button[type=submit]").click()
    assert posted.value.status == 302
    page.wait_for_url(base_url + detail_url)
    expect(page.get_by_test_id("dpt-total")).to_have_text("460")
    tps.refresh_from_db()
    assert (tps.dpt_men, tps.dpt_women, tps.dpt_total) == (250, 210, 460)

    # Another kelurahan's TPS does not exist as far as this operator can tell.
    for url in (reverse("elections:tps_detail", args=[world.tps_b.pk]),
                reverse("elections:tps_edit", args=[world.tps_b.pk])):
        response = page.goto(base_url + url)
        assert response is not None and response.status == 404, url
        body = page.locator("body")
        expect(body).not_to_contain_text(secret)
        expect(body).not_to_contain_text(world.kel_b.name)
    world.tps_b.refresh_from_db()
    assert (world.tps_b.dpt_men, world.tps_b.address) == (200, secret)


HEADER = "kode_kelurahan,nomor_tps,alamat,dpt_laki_laki,dpt_perempuan"


def csv_upload(lines: list[str]) -> dict:
    return {"name": "tps-klojen.csv", "mimeType": "text/csv",
            "buffer": ("\n".join(lines) + "\n").encode("utf-8")}


def import_rows(code: str, *, fixed: bool) -> list[str]:
    return [
        HEADER,
        f"{code},2,Jl. Kahuripan 2,250,260",                                           # row 2
        f"{code},3,Jl. Kahuripan 3,{'300,250' if fixed else '400,300'}",               # row 3: 700 > 600
        f"{code},{'4' if fixed else 'x'},Jl. Kahuripan 4,180,190",                     # row 4: not a number
    ]


def submit_import(page: Page, lines: list[str]):
    page.locator("#id_file").set_input_files(csv_upload(lines))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    return posted.value


def test_import_shows_row_errors_then_accepts_fixed_file(page: Page, base_url, world, users):
    code = world.kel_a.code
    before = sorted(Tps.objects.values_list("kelurahan_id", "number", "dpt_men", "dpt_women"))
    import_url = base_url + reverse("elections:tps_import")

    log_in(page, base_url, "kelurahan_a")
    page.goto(import_url)
    response = submit_import(page, import_rows(code, fixed=False))
    assert response.status == 400
    page.wait_for_load_state()
    expect(page).to_have_url(import_url)

    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    items = errors.locator("li")
    expect(items).to_have_count(2)
    texts = items.all_inner_texts()
    # Rows are numbered like Excel: the header is row 1.
    dpt_error = next(t for t in texts if "dpt_laki_laki" in t)
    number_error = next(t for t in texts if "nomor_tps" in t)
    assert re.search(r"\b3\b", dpt_error), dpt_error
    assert re.search(r"\b4\b", number_error), number_error
    assert sorted(Tps.objects.values_list("kelurahan_id", "number", "dpt_men", "dpt_women")) == before

    response = submit_import(page, import_rows(code, fixed=True))
    assert response.status == 302
    page.wait_for_url(base_url + reverse("elections:tps_list"))
    expect(page.locator(".messages li")).to_have_count(1)
    expect(page.get_by_test_id("tps-totals")).to_contain_text("4 TPS")
    new = {t.number: t for t in Tps.objects.filter(kelurahan=world.kel_a)}
    assert sorted(new) == [1, 2, 3, 4]
    assert (new[3].dpt_men, new[3].dpt_women, new[4].address) == (300, 250, "Jl. Kahuripan 4")
    assert Tps.objects.count() == len(before) + 3
    results = page.locator("#results")
    for number in (2, 3, 4):
        link = results.locator(href(reverse("elections:tps_detail", args=[new[number].pk])))
        expect(link).to_have_text(f"TPS {number:03d}")
