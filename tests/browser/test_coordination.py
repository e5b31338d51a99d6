"""Issue 3, end to end on the Kota Malang demo: the Desk admin applies the "H-1 logistik"
template to all 57 kelurahan; the lurah of Kauman, on a phone, finds their tasks (and not
Jodipan's), ticks a task's checklist and marks it done; the admin sees it in the board's
done column and in the daily report PDF under the tasks completed today.

Selectors rely on URLs, ids, data attributes and HTTP statuses, not on wording, so the
test passes whichever language catalogue is in place.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from posko.coordination.models import Task, TaskTemplate
from posko.demo.data import DEMO_PASSWORD, build_demo
from posko.elections.models import Election
from posko.regions.models import Kelurahan
from tests.browser.conftest import PHONE, TIMEOUT_MS, LocalOnly, log_in
from tests.test_reports import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
TEMPLATE = "H-1 logistik"
KAUMAN = "35.73.02.1007"
JODIPAN = "35.73.01.1011"


def href(url: str) -> str:
    return f'a[href="{url}"]'


@pytest.fixture
def demo(db):
    """The Kota Malang demo, as ``posko demo`` builds it (it also makes its election the
    active one)."""
    result = build_demo()
    assert result.kelurahan == 57
    return result


@pytest.fixture
def open_page(browser: Browser, guard: LocalOnly) -> Iterator[Callable[..., Page]]:
    """Open a page in a new browser context (its own cookies) on a given viewport; every
    context goes through the local-only guard and is closed at the end."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_(viewport: dict, *, mobile: bool) -> Page:
        context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile,
                                      device_scale_factor=2 if mobile else 1, locale="id-ID",
                                      timezone_id="Asia/Jakarta", accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    open_.errors = errors
    yield open_
    for context in contexts:
        context.close()


def post_and_follow(page: Page, button, target: str) -> None:
    """Click a form's submit button, check the POST answered with a redirect, wait for ``target``."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    assert posted.value.status == 302, posted.value.url
    page.wait_for_url(target)


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_h1_template_applied_done_by_a_lurah_and_reported(demo, open_page, base_url,
                                                           guard: LocalOnly):
    election = Election.active()
    assert election is not None and election.pk == demo.election_id
    template = TaskTemplate.objects.get(name=TEMPLATE)
    n_items = template.items.count()
    assert n_items > 0
    kelurahan = Kelurahan.objects.filter(kecamatan__kabkota_id="35.73").count()
    assert kelurahan == 57
    h1_tasks = Task.objects.filter(election=election, template_item__template=template)
    assert not h1_tasks.exists()

    # --- 1. the admin applies the template to every kelurahan ----------------------------------
    admin = open_page(DESKTOP, mobile=False)
    log_in(admin, base_url, "admin", DEMO_PASSWORD)
    list_url = reverse("coordination:template_list")
    detail_url = reverse("coordination:template_detail", args=[template.pk])
    apply_url = reverse("coordination:template_apply", args=[template.pk])
    admin.goto(base_url + list_url)
    main = admin.locator("main")
    main.locator(href(detail_url)).click()
    admin.wait_for_url(base_url + detail_url)
    expect(main.locator("h1")).to_contain_text(TEMPLATE)
    main.locator(href(apply_url)).click()
    admin.wait_for_url(base_url + apply_url)
    expect(main.get_by_test_id("to-create")).to_have_text(str(kelurahan * n_items))
    expect(main.get_by_test_id("existing")).to_have_text("0")
    post_and_follow(admin, main.locator("form.actions button[type=submit]"), base_url + detail_url)
    message = admin.locator(".messages li")
    expect(message).to_have_count(1)
    expect(message).to_contain_text(TEMPLATE)
    expect(message).to_contain_text(str(kelurahan * n_items))

    assert h1_tasks.count() == kelurahan * n_items
    per_kelurahan = Counter(h1_tasks.values_list("kelurahan_id", flat=True))
    assert len(per_kelurahan) == kelurahan and set(per_kelurahan.values()) == {n_items}

    # --- 2. the lurah of Kauman, on a phone, works one of their tasks ----------------------------
    kauman_tasks = list(h1_tasks.filter(kelurahan_id=KAUMAN).order_by(
        "template_item__order", "pk"))
    jodipan_tasks = list(h1_tasks.filter(kelurahan_id=JODIPAN))
    assert len(kauman_tasks) == len(jodipan_tasks) == n_items

    lurah = open_page(PHONE, mobile=True)
    log_in(lurah, base_url, "lurah.kauman", DEMO_PASSWORD)
    lurah.locator("details.menu > summary").click()
    lurah.locator(f'details.menu nav {href(reverse("coordination:task_list"))}').click()
    lurah.wait_for_url(base_url + reverse("coordination:task_list"))
    my_tasks_url = reverse("coordination:my_tasks")
    lurah.locator(f"main nav.task-tabs {href(my_tasks_url)}").click()
    lurah.wait_for_url(base_url + my_tasks_url)
    results = lurah.locator("#results")
    for task in kauman_tasks:
        expect(results.locator(href(task.get_absolute_url()))).to_have_count(1)
    for task in jodipan_tasks:
        expect(results.locator(href(task.get_absolute_url()))).to_have_count(0)
    expect(results).to_contain_text("Kauman")
    expect(results).not_to_contain_text("Jodipan")

    # Another kelurahan's task does not exist as far as this lurah can tell.
    other = jodipan_tasks[0]
    response = lurah.goto(base_url + other.get_absolute_url())
    assert response is not None and response.status == 404
    expect(lurah.locator("body")).not_to_contain_text("Jodipan")

    task = next(t for t in kauman_tasks if t.checklist.exists())  # "Pantau distribusi logistik"
    task_url = task.get_absolute_url()
    lurah.goto(base_url + my_tasks_url)
    results.locator(href(task_url)).click()
    lurah.wait_for_url(base_url + task_url)
    expect(lurah.locator("main h1")).to_have_text(task.title)

    checklist = list(task.checklist.order_by("order", "pk"))
    for item in checklist:
        toggle = lurah.locator(f"#check-{item.pk} button.check-toggle")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        with lurah.expect_response(lambda r: r.request.method == "POST") as posted:
            toggle.click()
        assert posted.value.status == 200, posted.value.url
        # htmx swaps the item for its new state.
        expect(lurah.locator(f"#check-{item.pk} button.check-toggle")).to_have_attribute(
            "aria-pressed", "true")
    assert all(item.done for item in task.checklist.all())

    lurah.locator("#id_status").select_option(Task.Status.SELESAI.value)
    post_and_follow(lurah, lurah.locator("form.task-status-form button[type=submit]"),
                    base_url + task_url)
    expect(lurah.locator(".messages li")).to_have_count(1)
    head = lurah.locator("main .task-head .status")
    expect(head).to_have_class(re.compile(r"\bstatus-selesai\b"))
    done_label = head.inner_text().strip()  # "Selesai" / "Done", whichever catalogue is in place
    assert done_label
    task.refresh_from_db()
    assert task.status == Task.Status.SELESAI and task.completed_at is not None
    assert timezone.localdate(task.completed_at) == timezone.localdate()

    # --- 3. the admin sees it on the board and in today's report --------------------------------
    admin.goto(base_url + reverse("coordination:task_board"))
    done_column = admin.locator('section.board-col[data-status="selesai"]')
    expect(done_column).to_have_count(1)
    expect(done_column.locator("h2")).to_contain_text(done_label)
    card = done_column.locator("article.task-card", has=admin.locator(href(task_url)))
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Kauman")
    expect(admin.locator(f"section.board-col:not([data-status=selesai]) {href(task_url)}")
           ).to_have_count(0)

    today = timezone.localdate().isoformat()
    report_url = reverse("coordination:report")
    admin.goto(f"{base_url}{report_url}?date={today}")
    completed = admin.locator('section.report-section[data-section="coordination.completed"]')
    expect(completed).to_contain_text(task.title)
    expect(completed).to_contain_text("Kauman")
    completed_heading = completed.locator("h2").inner_text().strip()
    next_heading = admin.locator(
        'section.report-section[data-section="coordination.overdue"] h2').inner_text().strip()
    pdf_link = admin.locator(f'main a[href="?date={today}&format=pdf"]')
    with admin.expect_download() as downloading:
        pdf_link.click()
    download = downloading.value
    assert download.suggested_filename == f"laporan-harian-{today}.pdf"
    with open(download.path(), "rb") as fh:
        text = normalised(pdf_text(fh.read()))
    assert completed_heading in text and next_heading in text
    start = text.index(completed_heading)
    section = text[start:text.index(next_heading, start)]
    assert task.title in section, section
    assert "Kauman" in section and "Jodipan" not in section, section

    assert guard.external == []
    assert open_page.errors == []
