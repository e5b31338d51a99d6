"""The TPS page (issue 17): registry data, then one panel per module through
``core.tps_panels``; a module's absent panel leaves the page whole; scope; a fixed number of
queries however much a TPS carries."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from posko.accounts.models import Agency
from posko.coordination.models import Task
from posko.core import clock, tps_panels
from posko.incidents.models.reports import Category, Report
from posko.vulnerability.models import MitigationAction
from posko.workers.models import Worker

MODULE_PANELS = ["logistics", "workers", "vulnerability", "outreach", "incidents", "coordination"]


def counts(html: str, testid: str) -> list[int]:
    """The numbers in the element marked ``data-testid=testid``, in order (whatever the
    language of the words around them)."""
    start = html.index(f'data-testid="{testid}"')
    return [int(n) for n in re.findall(r"\b\d+\b", re.sub(r"<[^>]+>", " ",
                                                          html[start:html.index("</p>", start)]))]


def page(client, tps):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        return client.get(reverse("elections:tps_detail", args=[tps.pk]))


def fill(world, tps, n):
    """``n`` workers, incident reports, tasks and mitigation actions at ``tps``."""
    agency = Agency.objects.get_or_create(name="Bakesbangpol", short_name="Kesbang")[0]
    category = Category.objects.get_or_create(code="t-lain", defaults={"name": "Lainnya"})[0]
    when = timezone.make_aware(datetime.datetime(2024, 11, 20, 9, 0))
    kel, kec = tps.kelurahan, tps.kecamatan
    start = Worker.objects.count()
    Worker.objects.bulk_create(Worker(
        election=world.election, role=Worker.Role.KPPS_ANGGOTA, tps=tps, kelurahan=kel,
        kecamatan=kec, kabkota_id=kec.kabkota_id, nik=f"3573{start + i:012d}",
        full_name=f"Siti Nur Aisyah {i}", sex="P", birth_date=datetime.date(1990, 1, 1),
        domicile_code=kel.code, bpjs_status=Worker.Bpjs.AKTIF if i % 2 else Worker.Bpjs.BELUM)
        for i in range(n))
    start = Report.objects.count()
    Report.objects.bulk_create(Report(
        election=world.election, code=f"T{start + i:06d}", category=category, occurred_at=when,
        kabkota_id=kec.kabkota_id, kecamatan=kec, kelurahan=kel, tps=tps, title=f"Laporan {i}",
        description="x") for i in range(n))
    Task.objects.bulk_create(Task(
        election=world.election, title=f"Tugas {i}", agency=agency, kecamatan=kec, kelurahan=kel,
        tps=tps if i % 2 else None, due_at=when) for i in range(n))
    MitigationAction.objects.bulk_create(MitigationAction(
        election=world.election, tps=tps, kabkota_id=kec.kabkota_id, kecamatan=kec, kelurahan=kel,
        title=f"Aksi {i}", due_date=datetime.date(2024, 11, 25)) for i in range(n))


@pytest.mark.django_db
def test_every_module_has_a_panel_linking_to_its_own_pages(world, personas):
    fill(world, world.tps_a, 3)
    response = page(personas["kelurahan_a"].client, world.tps_a)
    assert response.status_code == 200
    html = response.content.decode()
    for key in MODULE_PANELS:
        assert f'data-panel="{key}"' in html, key
    assert reverse("logistics:tps_logistics", args=[world.tps_a.pk]) in html
    assert reverse("vulnerability:tps", args=[world.tps_a.pk]) in html
    assert f'{reverse("incidents:report_list")}?tps={world.tps_a.pk}' in html
    assert f'{reverse("workers:worker_list")}?tps={world.tps_a.pk}' in html
    assert f'{reverse("coordination:task_list")}?kelurahan={world.kel_a.code}' in html
    assert reverse("outreach:coverage_kelurahan", args=[world.kel_a.code]) in html
    # Workers are named short and their NIK masked; the full NIK never reaches the page.
    assert "Siti N. A. 0" in html and "Siti Nur Aisyah 0" not in html
    nik = Worker.objects.filter(tps=world.tps_a).first().nik
    assert nik not in html and nik[:4] + "••••••••" + nik[-4:] in html
    assert counts(html, "tp-incidents-counts") == [3, 3]  # reports, open
    assert counts(html, "tp-tasks-counts")[:3] == [3, 1, 3]  # open, for this TPS, overdue


@pytest.mark.django_db
def test_the_voting_panel_appears_from_the_eve_of_voting_day(world, personas):
    client = personas["kelurahan_a"].client
    voting_day = world.election.voting_date
    clock.simulate(timezone.make_aware(datetime.datetime.combine(
        voting_day - datetime.timedelta(days=5), datetime.time(10))))
    assert 'data-panel="voting"' not in page(client, world.tps_a).content.decode()
    clock.simulate(timezone.make_aware(datetime.datetime.combine(voting_day, datetime.time(10))))
    html = page(client, world.tps_a).content.decode()
    assert 'data-panel="voting"' in html and "No report yet" in html
    assert reverse("voting:tps", args=[world.tps_a.pk]) in html


@pytest.mark.django_db
@pytest.mark.parametrize("absent", MODULE_PANELS + ["voting"])
def test_the_page_renders_without_a_modules_panel(world, personas, monkeypatch, absent):
    # A module removed from INSTALLED_APPS never registers its panel: the same as here.
    monkeypatch.setattr(tps_panels, "_panels",
                        {k: v for k, v in tps_panels._panels.items() if k != absent})
    html = page(personas["admin"].client, world.tps_a).content.decode()
    assert f'data-panel="{absent}"' not in html
    assert 'data-testid="dpt-total"' in html
    for key in MODULE_PANELS:
        if key != absent:
            assert f'data-panel="{key}"' in html


@pytest.mark.django_db
def test_no_panel_at_all_leaves_the_registry_page(world, personas, monkeypatch):
    monkeypatch.setattr(tps_panels, "_panels", {})
    response = page(personas["admin"].client, world.tps_a)
    assert response.status_code == 200
    assert "tps-panel" not in response.content.decode()


@pytest.mark.django_db
def test_a_builder_returning_none_shows_no_panel(world, personas, monkeypatch):
    monkeypatch.setattr(tps_panels, "_panels", {})
    tps_panels.register_panel("silent", "Silent", lambda tps, request: None, "missing.html")
    tps_panels.register_panel("hello", "Hello", lambda tps, request: {"n": tps.number},
                              "elections/_tps_panel_styles.html", order=1)
    html = page(personas["admin"].client, world.tps_a).content.decode()
    assert 'data-panel="silent"' not in html and 'data-panel="hello"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("persona, tps_name, status", [
    ("kelurahan_a", "tps_a", 200), ("kelurahan_a", "tps_a2", 404), ("kelurahan_a", "tps_b", 404),
    ("kelurahan_b", "tps_a", 404), ("kecamatan_a", "tps_a2", 200), ("kecamatan_a", "tps_b", 404),
    ("admin", "tps_outside", 404), ("pemantau", "tps_b", 200),
])
def test_scope(world, personas, persona, tps_name, status):
    assert page(personas[persona].client, getattr(world, tps_name)).status_code == status


@pytest.mark.django_db
def test_anonymous_goes_to_login(world, personas):
    response = page(personas["anonymous"].client, world.tps_a)
    assert response.status_code == 302 and "/masuk/" in response["Location"]


@pytest.mark.django_db
def test_panels_in_scope_only(world, personas):
    """A kecamatan user sees a TPS of its kecamatan; panels count only rows it may see."""
    fill(world, world.tps_a, 2)
    html = page(personas["kecamatan_a"].client, world.tps_a).content.decode()
    assert counts(html, "tp-incidents-counts")[0] == 2


@pytest.mark.django_db
def test_a_fixed_number_of_queries_whatever_the_tps_carries(world, personas,
                                                          django_assert_max_num_queries):
    voting_day = world.election.voting_date
    clock.simulate(timezone.make_aware(datetime.datetime.combine(voting_day, datetime.time(10))))
    client = personas["kelurahan_a"].client
    fill(world, world.tps_a2, 1)
    page(client, world.tps_a)  # warm the per-process caches (settings rows, clock offset)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert page(client, world.tps_a).status_code == 200
    fill(world, world.tps_a, 60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = page(client, world.tps_a).content.decode()
    assert counts(html, "tp-incidents-counts")[0] == 60
    assert counts(html, "tp-workers-counts")[0] == 60
    assert len(small.captured_queries) <= 40, [q["sql"] for q in small.captured_queries]
