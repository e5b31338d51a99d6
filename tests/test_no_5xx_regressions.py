"""Requests that answered 500 (point D): the worker replacement page, GET on the election
activation, and numbers outside 64 bits in filters, payloads and paths (OverflowError on
SQLite; ``?tps=1e999999999`` also kept a worker busy for minutes). Each now answers a
page, a form error or a 4xx with an Indonesian message, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import Election, Tps
from posko.logistics.models import Item, Shipment
from posko.vulnerability.models import Assessment
from posko.workers.models import Worker
from tests.workers_fixtures import make_nik, make_worker

HUGE = "99999999999999999999"  # above 2**63
TOO_BIG = "Pastikan nilai ini lebih kecil dari atau sama dengan 9223372036854775807."
NOT_WHOLE = "Masukkan keseluruhan angka bilangan."
API_TOO_BIG = "Nilai ini paling besar 9223372036854775807."
JSON = {"content_type": "application/json"}


# --- the worker replacement page -------------------------------------------------------------

@pytest.mark.parametrize("persona,status", [
    ("admin", 200), ("kecamatan_a", 200), ("kelurahan_a", 200), ("kelurahan_b", 404),
    ("agency", 403), ("pemantau", 403)])
def test_replace_page_answers_every_role(world, users, personas, persona, status):
    worker = make_worker(users["admin"], world.tps_a, name="Budi Lama")
    response = personas[persona].client.get(reverse("workers:worker_replace", args=[worker.pk]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert "Alasan penggantian" in page and 'name="nik"' in page
        assert 'name="kelurahan"' not in page and 'name="tps"' not in page  # the old post


def test_replace_posts_a_newcomer_on_the_same_post(world, users, personas):
    old = make_worker(users["admin"], world.tps_a, name="Budi Lama")
    response = personas["kelurahan_a"].client.post(
        reverse("workers:worker_replace", args=[old.pk]),
        {"nik": make_nik(), "full_name": "Sari Pengganti", "reason": "Sakit, tidak bisa bertugas"})
    assert response.status_code == 302
    new = Worker.objects.get(full_name="Sari Pengganti")
    old.refresh_from_db()
    assert old.status == Worker.Status.DIGANTI
    assert (new.replaces_id, new.tps_id, new.role, new.status) == (
        old.pk, world.tps_a.pk, old.role, Worker.Status.AKTIF)
    assert response["Location"] == new.get_absolute_url()


def test_replace_with_a_bad_nik_shows_the_error_and_changes_nothing(world, users, personas):
    old = make_worker(users["admin"], world.tps_a, name="Budi Lama")
    entries = AuditEntry.objects.count()
    response = personas["kelurahan_a"].client.post(
        reverse("workers:worker_replace", args=[old.pk]),
        {"nik": "123", "full_name": "Sari Pengganti", "reason": "Sakit"})
    assert response.status_code == 400
    assert "NIK" in str(response.context["form"].errors)
    old.refresh_from_db()
    assert old.status == Worker.Status.AKTIF
    assert Worker.objects.count() == 1 and AuditEntry.objects.count() == entries


# --- making an election active ----------------------------------------------------------------

def test_activate_get_asks_to_confirm_and_post_activates(world, personas):
    other = Election.objects.create(name="Pemilihan Ulang 2025", voting_date="2025-03-01")
    url = reverse("elections:election_activate", args=[other.pk])
    page = personas["admin"].client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Jadikan Pemilihan Ulang 2025 pemilihan aktif?" in text
    assert "Pilkada Serentak 2024 tidak lagi menjadi pemilihan aktif" in text
    assert 'data-testid="confirm-activate"' in text and 'method="post"' in text
    other.refresh_from_db()
    assert not other.is_active  # a GET changes nothing
    response = personas["admin"].client.post(url)
    assert response.status_code == 302
    assert Election.active() == other


def test_activate_page_of_the_active_election_says_so(world, personas):
    url = reverse("elections:election_activate", args=[world.election.pk])
    page = personas["admin"].client.get(url)
    assert page.status_code == 200
    assert "Pemilihan ini sudah menjadi pemilihan aktif." in page.content.decode()


@pytest.mark.parametrize("persona", ["kecamatan_a", "kelurahan_a", "agency", "pemantau"])
def test_activate_is_for_admins_only(world, personas, persona):
    other = Election.objects.create(name="Pemilihan Ulang 2025", voting_date="2025-03-01")
    url = reverse("elections:election_activate", args=[other.pk])
    assert personas[persona].client.get(url).status_code == 403
    assert personas[persona].client.post(url).status_code == 403
    assert Election.active() == world.election


def test_activate_unknown_election_is_404(world, personas):
    url = reverse("elections:election_activate", args=[int(HUGE[:18])])
    assert personas["admin"].client.get(url).status_code == 404


# --- numbers outside 64 bits ------------------------------------------------------------------

@pytest.mark.parametrize("url,message", [
    (f"/petugas/?tps={HUGE}", TOO_BIG),
    ("/petugas/?tps=1e999999999", NOT_WHOLE),
    ("/laporan/?tps=-7.3e206", NOT_WHOLE),
])
def test_filter_on_an_html_list_is_a_form_error(world, personas, url, message):
    started = time.perf_counter()
    response = personas["kelurahan_a"].client.get(url)
    assert time.perf_counter() - started < 5  # 1e999999999 used to take minutes
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("url,field,message", [
    (f"/api/v1/workers/?tps={HUGE}", "tps", TOO_BIG),
    ("/api/v1/workers/?tps=1e999999999", "tps", NOT_WHOLE),
    (f"/api/v1/workers/?election={HUGE}", "election", TOO_BIG),
    ("/api/v1/logistics/requirements/?item=-7.3e206", "item", NOT_WHOLE),
    (f"/api/v1/logistics/shipments/?tps={HUGE}", "tps", TOO_BIG),
    (f"/api/v1/laporan/?tps={HUGE}", "tps", TOO_BIG),
    (f"/api/v1/vulnerability/assessments/?tps={HUGE}", "tps", TOO_BIG),
    ("/api/v1/vulnerability/actions/?tps=abc", "tps", NOT_WHOLE),
])
def test_filter_on_an_api_list_is_a_400(world, personas, url, field, message):
    started = time.perf_counter()
    response = personas["kelurahan_a"].client.get(url)
    assert time.perf_counter() - started < 5
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {field: [message]}


def test_huge_page_number_is_a_404(world, personas):
    response = personas["kelurahan_a"].client.get(f"/api/v1/tps/?page={HUGE}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Halaman tidak ada."}


@pytest.mark.parametrize("url", [f"/api/v1/tps/{HUGE}/", f"/api/v1/workers/{HUGE}/",
                                 f"/tps/{HUGE}/", f"/petugas/{HUGE}/"])
def test_huge_id_in_a_path_is_a_404(world, personas, url):
    response = personas["kelurahan_a"].client.get(url)
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.json() == {"detail": "Data tidak ditemukan."}


def test_huge_numbers_in_payloads_are_400(world, personas, users):
    client = personas["kelurahan_a"].client
    before = (Tps.objects.count(), Assessment.objects.count(), Shipment.objects.count(),
              AuditEntry.objects.count())
    tps = client.post(reverse("api:tps-list"), {"kelurahan": world.kel_a.code, "number": 9,
                                                "dpt_men": int(HUGE)}, **JSON)
    assert tps.status_code == 400 and tps.json() == {"dpt_men": [API_TOO_BIG]}
    floaty = client.post(reverse("api:tps-list"), {"kelurahan": world.kel_a.code, "number": 9,
                                                   "dpt_men": 1e300}, **JSON)
    assert floaty.status_code == 400 and floaty.json() == {"dpt_men": ["Isi dengan bilangan bulat."]}
    bulk = client.post(reverse("api:vulnerability-assessment-bulk"), [
        {"tps": int(HUGE), "indicator": "rawan_bencana", "value": 1}], **JSON)
    assert bulk.status_code == 400 and bulk.json() == {"rows": {"0": {"tps": [API_TOO_BIG]}}}
    item = Item.objects.create(election=world.election, code="kotak", name="Kotak suara",
                               unit="buah", norm=Item.Norm.PER_TPS, quantity=2, order=1)
    shipment = client.post(reverse("api:logistics-shipment-list"), {
        "from_level": "pps", "to_level": "tps", "tps": world.tps_a.pk,
        "lines": [{"item": int(HUGE), "dispatched": 1}, {"item": item.pk, "dispatched": 1}]},
        **JSON)
    assert shipment.status_code == 400
    assert shipment.json() == {"lines": [{"item": [API_TOO_BIG]}, {}]}
    assert (Tps.objects.count(), Assessment.objects.count(), Shipment.objects.count(),
            AuditEntry.objects.count()) == before


def test_orm_lookups_with_out_of_range_integers_are_empty(world, users):
    """The safety net under every view: a key no row can have matches nothing."""
    worker = make_worker(users["admin"], world.tps_a)
    huge = int(HUGE)
    assert list(Worker.objects.filter(tps_id=huge)) == []
    assert list(Worker.objects.filter(tps=-huge)) == []
    assert list(Tps.objects.filter(pk__in=[huge, -huge])) == []
    assert list(Tps.objects.filter(pk__in=[huge, world.tps_a.pk])) == [world.tps_a]
    assert list(Worker.objects.filter(tps_id__in=[huge, world.tps_a.pk])) == [worker]
    assert list(Worker.objects.exclude(tps_id=huge)) == [worker]
    assert Worker.objects.filter(tps_id=str(huge)).count() == 0
