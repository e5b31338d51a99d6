"""The executive dashboard (issue 17): H-n and the stage, then the sections modules
contribute through ``core.executive`` (readiness, incidents, workers, voting day); scope
per persona (camat: their kecamatan, lurah: their kelurahan; agency operators: 403); a
module's absent section leaves the page whole; the TV mode; the 304 on an unchanged poll;
the PDF with the letterhead (audited); a fixed number of queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posko.core import clock, executive
from posko.core.models import AuditEntry
from posko.elections.models import Stage
from posko.incidents.models.reports import Category, Report, Severity
from posko.readiness.services import compute
from posko.workers.models import Claim, Incident, Worker
from tests.test_reports import pdf_text
from tests.vulnerability_fixtures import set_values

SECTIONS = ["voting", "readiness", "vulnerability", "incidents", "workers"]
URL = "/pimpinan/"


def get(client, url=URL, **extra):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(url, **extra)


def sections(html: str) -> list[str]:
    return re.findall(r'data-section="([a-z_.]+)"', html)


def on(day: datetime.date, hour=10):
    clock.simulate(timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


def serious(world, tps, n, title="Perusakan APK"):
    category = Category.objects.get_or_create(code="t-lain", defaults={"name": "Lainnya"})[0]
    when = timezone.make_aware(datetime.datetime(2024, 11, 20, 9, 0))
    start = Report.objects.count()
    Report.objects.bulk_create(Report(
        election=world.election, code=f"X{start + i:06d}", category=category, occurred_at=when,
        kabkota_id=tps.kabkota_id, kecamatan_id=tps.kecamatan_id, kelurahan_id=tps.kelurahan_id,
        tps=tps, title=f"{title} {i}", description="x", severity=Severity.KRITIS)
        for i in range(n))


def worker_incident(world, tps, kind=Incident.Kind.SAKIT, claim_amount=None):
    n = Worker.objects.count()
    worker = Worker.objects.create(
        election=world.election, role=Worker.Role.KPPS_ANGGOTA, tps=tps,
        kelurahan_id=tps.kelurahan_id, kecamatan_id=tps.kecamatan_id, kabkota_id=tps.kabkota_id,
        nik=f"3573{n:012d}", full_name=f"Budi Santoso {n}", sex="L",
        birth_date=datetime.date(1990, 1, 1), domicile_code=tps.kelurahan_id,
        bpjs_status=Worker.Bpjs.AKTIF)
    place = {"kelurahan_id": tps.kelurahan_id, "kecamatan_id": tps.kecamatan_id,
             "kabkota_id": tps.kabkota_id}
    incident = Incident.objects.create(worker=worker, kind=kind, date=datetime.date(2024, 11, 27),
                                       description="pingsan", **place)
    if claim_amount is not None:
        Claim.objects.create(incident=incident, programme=Claim.Programme.JKK,
                             status=Claim.Status.DIBAYAR, amount=Decimal(claim_amount), **place)
    return worker


@pytest.fixture
def filled(world, users):
    set_values(world.election, users["admin"], [(world.tps_a, "politik_uang", 1),
                                                (world.tps_b, "rawan_bencana", 1)])
    Stage.objects.create(election=world.election, name="Kampanye",
                         start_date=datetime.date(2024, 9, 25), end_date=datetime.date(2024, 11, 23))
    serious(world, world.tps_a, 2, "Kericuhan di Klojen")
    serious(world, world.tps_b, 1, "Kericuhan di Jodipan")
    worker_incident(world, world.tps_a, claim_amount=1500000)
    worker_incident(world, world.tps_b, kind=Incident.Kind.KECELAKAAN)
    compute.refresh(world.election)
    return world


@pytest.mark.django_db
def test_the_dashboard_shows_h_n_the_stage_and_each_modules_section(filled, personas):
    on(datetime.date(2024, 11, 20))
    response = get(personas["admin"].client)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-testid="h-label">H-7<', html)
    assert "Kampanye" in html
    assert sections(html) == ["readiness", "vulnerability", "incidents", "workers"]  # no voting
    assert "Top risks: the most vulnerable TPS" in html
    assert "Kericuhan di Klojen 0" in html and "Kericuhan di Jodipan 0" in html
    assert "Budi Santoso" not in html and "3573" not in html  # no names, no NIK
    assert 'hx-trigger="every 60s"' in html and 'href="?tv=1"' in html
    assert response["ETag"] and response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_voting_day_adds_the_situation_rooms_figures(filled, personas):
    on(datetime.date(2024, 11, 27))
    html = get(personas["admin"].client).content.decode()
    assert sections(html)[0] == "voting"
    assert "TPS opened" in html and "Results and turnout per contest" not in html  # no contest
    assert "not the official result" in html


@pytest.mark.django_db
def test_a_lurah_sees_only_their_kelurahan_and_a_camat_their_kecamatan(filled, personas):
    on(datetime.date(2024, 11, 20))
    lurah_b = get(personas["kelurahan_b"].client).content.decode()
    assert "Kericuhan di Jodipan 0" in lurah_b and "Kericuhan di Klojen" not in lurah_b
    assert "Kelurahan Jodipan" in lurah_b or "Jodipan" in lurah_b
    camat_a = get(personas["kecamatan_a"].client).content.decode()
    assert "Kericuhan di Klojen 1" in camat_a and "Jodipan" not in camat_a
    assert "Readiness per kelurahan" in camat_a  # a camat's roll-up goes one level down
    pemantau = get(personas["pemantau"].client).content.decode()
    assert "Kericuhan di Klojen 0" in pemantau and "Kericuhan di Jodipan 0" in pemantau
    assert "Readiness per kecamatan" in pemantau


@pytest.mark.django_db
def test_agency_operators_and_the_anonymous_are_kept_out(filled, personas):
    assert get(personas["agency"].client).status_code == 403
    assert get(personas["agency"].client, reverse("elections:executive_pdf")).status_code == 403
    anonymous = get(personas["anonymous"].client)
    assert anonymous.status_code == 302 and "/masuk/" in anonymous["Location"]
    assert get(personas["anonymous"].client,
               reverse("elections:executive_pdf")).status_code == 302
    # The nav link is offered to those who may open the page only.
    assert 'href="/pimpinan/"' in get(personas["kelurahan_a"].client, "/").content.decode()
    assert 'href="/pimpinan/"' not in get(personas["agency"].client, "/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("absent", SECTIONS)
def test_the_page_renders_without_a_modules_section(filled, personas, monkeypatch, absent):
    # A module removed from INSTALLED_APPS never registers its section: the same as here.
    monkeypatch.setattr(executive, "_sections",
                        {k: v for k, v in executive._sections.items() if k != absent})
    on(datetime.date(2024, 11, 27))
    response = get(personas["admin"].client)
    assert response.status_code == 200
    found = sections(response.content.decode())
    assert absent not in found
    assert set(found) == set(SECTIONS) - {absent}


@pytest.mark.django_db
def test_no_section_at_all_leaves_the_stage(filled, personas, monkeypatch):
    monkeypatch.setattr(executive, "_sections", {})
    html = get(personas["admin"].client).content.decode()
    assert 'data-testid="h-label"' in html and 'data-testid="executive-empty"' in html


@pytest.mark.django_db
def test_an_unchanged_poll_is_a_304_and_a_change_is_not(filled, personas):
    on(datetime.date(2024, 11, 20))
    client = personas["admin"].client
    first = get(client)
    tag = first["ETag"]
    again = get(client, HTTP_IF_NONE_MATCH=tag, HTTP_HX_REQUEST="true")
    assert again.status_code == 304 and again["ETag"] == tag
    serious(filled, filled.tps_a, 1, "Baru masuk")
    changed = get(client, HTTP_IF_NONE_MATCH=tag, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200 and "Baru masuk 0" in changed.content.decode()
    tv = get(client, URL + "?tv=1", HTTP_IF_NONE_MATCH=tag)
    assert tv.status_code == 200 and "exec-tv" in tv.content.decode()


@pytest.mark.django_db
def test_the_pdf_carries_the_letterhead_and_the_same_figures_and_is_audited(filled, personas):
    on(datetime.date(2024, 11, 20))
    response = get(personas["kecamatan_a"].client, reverse("elections:executive_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "PEMERINTAH KOTA MALANG" in text.upper()
    assert "Executive summary" in text and "H-7" in text
    assert "Kericuhan di Klojen 0" in text and "Jodipan" not in text
    assert "TPS readiness" in text and "Ad hoc workers" in text
    entry = AuditEntry.objects.filter(action="export", object_repr="ringkasan-pimpinan").get()
    assert entry.user_id == personas["kecamatan_a"].user.pk


@pytest.mark.django_db
def test_the_page_runs_a_fixed_number_of_queries(filled, personas, world):
    on(datetime.date(2024, 11, 27))
    client = personas["admin"].client
    get(client)  # warm the per-process constants (the election, the voting settings)
    get(client)

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            assert get(client).status_code == 200
        return len(ctx.captured_queries)

    small = measure()
    admin = personas["admin"].user
    for n in range(3):
        set_values(world.election, admin, [(world.tps_a2, "rawan_bencana", 1)] if n == 0 else [])
        serious(world, world.tps_b, 5)
        worker_incident(world, world.tps_a, claim_amount=100)
    compute.refresh(world.election)
    assert measure() == small
    assert small <= 40


@pytest.mark.django_db
def test_voting_day_figures_per_contest_in_scope(filled, personas, users):
    import random

    from posko.voting import services as voting_services
    from tests.test_voting_tally import submit
    from tests.voting_fixtures import at, make_contests

    walikota, _gubernur = make_contests(filled, "walikota", "gubernur")
    admin = users["admin"]
    voting_services.record_report(filled.tps_a, actor=admin, election=filled.election,
                                  state="dibuka", happened_at=at(7), now=at(7))
    rng = random.Random(7)
    submit(filled.tps_a, walikota, admin, filled, rng)
    submit(filled.tps_b, walikota, admin, filled, rng)
    on(datetime.date(2024, 11, 27), 15)
    html = get(personas["admin"].client).content.decode()
    assert "Results and turnout per contest" in html and str(walikota) in html
    assert re.search(r'<span class="n">1 / 3</span>TPS opened', html)
    assert re.search(r'<span class="n">66,7 %</span>Results in: ' + re.escape(str(walikota)), html)
    lurah = get(personas["kelurahan_b"].client).content.decode()
    assert re.search(r'<span class="n">100,0 %</span>Results in: ' + re.escape(str(walikota)),
                     lurah)
    pdf = pdf_text(get(personas["admin"].client, reverse("elections:executive_pdf")).content)
    assert "Results and turnout per contest" in pdf and "not the official result" in pdf
