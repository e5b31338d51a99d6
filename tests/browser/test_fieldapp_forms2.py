"""The field app's supervision checklist (a select per item: the ``checks`` field type) and
outreach activity (a ``datetime`` field) in Chromium: a lurah fills both offline, comes back
online — the answers and the activity are stored once, the activity at the time picked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from posko.coordination.models import SupervisionResponse
from posko.outreach.models import Activity, TargetGroup
from tests.browser.conftest import log_in
from tests.browser.test_fieldapp import entries, open_app, open_form
from tests.test_fieldforms_supervision_outreach import add_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checklist_and_outreach_offline_then_sent_once(base_url, world, users, page,
                                                       browser_context, page_errors):
    checklist = add_checklist(world, "Kesiapan TPS", 3)
    TargetGroup.objects.get_or_create(code="pemilih-pemula", defaults={"name": "Pemilih pemula"})
    first, second, third = checklist.items.order_by("order")
    log_in(page, base_url, "kelurahan_a")
    open_app(page, base_url)
    browser_context.set_offline(True)

    open_form(page, "coordination.checklist")
    page.select_option("#f-checklist", str(checklist.pk))
    page.select_option("#f-region", world.kel_a.code)
    expect(page.locator(".row.check")).to_have_count(3)
    page.select_option(f"[name='answers.{first.pk}']", "met")
    page.select_option(f"[name='answers.{second.pk}']", "unmet")  # the third left unanswered
    page.locator("[data-testid=save]").click()
    expect(page.locator("[data-notice]")).not_to_be_empty()

    page.goto(base_url + "/lapangan/#")
    open_form(page, "outreach.activity")
    page.select_option("#f-kind", "sekolah")
    page.fill("#f-title", "Sosialisasi di SMPN 5")
    page.fill("#f-starts_at", "2024-10-15T09:30")
    page.fill("#f-attendance", "80")
    page.check("[name=target_groups][value=pemilih-pemula]")
    page.locator("[data-testid=save]").click()
    expect(page.locator("[data-notice]")).not_to_be_empty()

    browser_context.set_offline(False)
    page.goto(base_url + "/lapangan/#outbox")
    expect(page.locator("[data-testid=entry][data-state=sent]")).to_have_count(2)
    expect(entries(page)).to_have_count(2)
    answers = dict(SupervisionResponse.objects.values_list("item_id", "answer"))
    assert answers == {first.pk: "met", second.pk: "unmet"}
    activity = Activity.objects.get()
    assert activity.kelurahan_id == world.kel_a.code and activity.attendance == 80
    assert activity.status == "held" and activity.starts_at.minute == 30
    assert list(activity.target_groups.values_list("code", flat=True)) == ["pemilih-pemula"]
    page.evaluate("""async () => {
        const o = window.poskoField.outbox;
        for (const e of await o.all()) { e.state = 'pending'; e.next_at = 0; await o.put(e); }
        await window.poskoField.flush(true);
    }""")
    expect(page.locator("[data-testid=entry][data-state=sent]")).to_have_count(2)
    assert Activity.objects.count() == 1 and SupervisionResponse.objects.count() == 2
    assert page_errors == []
