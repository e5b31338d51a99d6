"""Issue 15.4: no posting beyond the staffing norms (except a replacement), under a lock;
rows already over the norm are shown; PPS and PPK domicile flagged like KPPS. Issue 16: the
replacement page answers every persona without a server error."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from posko.elections.models import Tps
from posko.workers import services
from posko.workers.models import Worker
from tests.conftest import xlsx_bytes
from tests.workers_fixtures import make_nik, make_worker

pytestmark = pytest.mark.django_db
FULL = ("TPS 001 Klojen already has 7 KPPS members (norm 7). To change who serves, replace one "
        "of them (Replace on the worker's page).")


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"


def seven(users, tps, role="kpps_anggota"):
    make_worker(users["admin"], tps, role="kpps_ketua", name="Ketua")
    return [make_worker(users["admin"], tps, role=role, name=f"Anggota {i}") for i in range(6)]


def legacy(world, tps, n):
    """Rows from before the caps: written around the service."""
    Worker.objects.bulk_create([Worker(
        election=world.election, role="kpps_anggota", tps=tps, kelurahan_id=tps.kelurahan_id,
        kecamatan_id=tps.kecamatan_id, kabkota_id=tps.kabkota_id, nik=make_nik(), full_name=f"Lama {i}",
        sex="L", birth_date=datetime.date(1985, 5, 17), domicile_code=tps.kelurahan_id) for i in range(n)])


def test_an_eighth_kpps_is_refused_naming_the_norm_on_the_form_and_in_the_api(world, users, personas):
    seven(users, world.tps_a)
    client = personas["kelurahan_a"].client
    base = {"role": "kpps_anggota", "tps": world.tps_a.pk, "full_name": "Kedelapan", "nik": make_nik()}
    response = client.post(reverse("workers:worker_add"), base)
    assert response.status_code == 400
    assert FULL.replace("'", "&#x27;") in response.content.decode()
    api = client.post(reverse("api:worker-list"), {**base, "nik": make_nik()},
                      content_type="application/json")
    assert api.status_code == 400 and api.json()["tps"] == [FULL]
    assert Worker.objects.filter(tps=world.tps_a).count() == 7
    # In Indonesian, as the issue names it.
    with translation.override("id"), pytest.raises(ValidationError) as exc:
        services.create_worker(Worker(election=world.election, role="kpps_anggota", tps=world.tps_a,
                                      nik=make_nik(), full_name="X", domicile_code=world.kel_a.code),
                               actor=users["admin"])
    assert exc.value.message_dict["tps"][0].startswith(
        "TPS 001 Klojen sudah memiliki 7 anggota KPPS (norma 7).")


def test_one_chair_linmas_ptps_pps_and_ppk_norms(world, users):
    admin = users["admin"]
    make_worker(admin, world.tps_a, role="kpps_ketua", name="Ketua")
    for role in ("linmas", "linmas", "ptps"):
        make_worker(admin, world.tps_a, role=role)
    pps = [services.create_worker(Worker(election=world.election, role="pps", kelurahan=world.kel_a,
                                         nik=make_nik(), full_name=f"PPS {i}",
                                         domicile_code=world.kel_a.code), actor=admin) for i in range(3)]
    assert len(pps) == 3
    cases = [
        (dict(role="kpps_ketua", tps=world.tps_a), "tps",
         "TPS 001 Klojen already has 1 KPPS chair (norm 1)."),
        (dict(role="linmas", tps=world.tps_a), "tps", "TPS 001 Klojen already has 2 Linmas (norm 2)."),
        (dict(role="ptps", tps=world.tps_a), "tps", "TPS 001 Klojen already has 1 PTPS (norm 1)."),
        (dict(role="pps", kelurahan=world.kel_a), "kelurahan",
         "Kelurahan Klojen already has 3 PPS members (norm 3)."),
    ]
    for fields, field, message in cases:
        worker = Worker(election=world.election, nik=make_nik(), full_name="Lebih",
                        domicile_code=world.kel_a.code, **fields)
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.create_worker(worker, actor=admin)
        assert exc.value.message_dict[field][0].startswith(message), exc.value.message_dict
    for i in range(5):
        services.create_worker(Worker(election=world.election, role="ppk", kecamatan=world.kec_a,
                                      nik=make_nik(), full_name=f"PPK {i}",
                                      domicile_code=world.kel_a.code), actor=admin)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_worker(Worker(election=world.election, role="ppk", kecamatan=world.kec_a,
                                      nik=make_nik(), full_name="PPK 6",
                                      domicile_code=world.kel_a.code), actor=admin)
    assert exc.value.message_dict["kecamatan"][0].startswith(
        "Kecamatan Klojen already has 5 PPK members (norm 5).")
    assert Worker.objects.count() == 1 + 3 + 3 + 5


def test_a_replacement_is_allowed_even_over_the_norm_a_move_into_a_full_tps_is_not(world, users, personas):
    members = seven(users, world.tps_a)
    legacy(world, world.tps_a, 2)  # 9/7
    client = personas["kelurahan_a"].client
    response = client.post(reverse("workers:worker_replace", args=[members[0].pk]), {
        "nik": make_nik(), "full_name": "Pengganti", "reason": "Sakit, diganti sesuai SK PPS"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Worker.objects.filter(tps=world.tps_a, status="aktif").count() == 9
    # An edit that does not change the posting is not refused by the excess.
    member = members[1]
    member.full_name = "Nama Dibetulkan"
    services.update_worker(member, actor=users["admin"])
    # Moving someone from TPS 001 Rampal Celaket into the full TPS is refused, nothing saved.
    mover = make_worker(users["admin"], world.tps_a2, name="Pindah")
    mover.tps = world.tps_a
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.update_worker(mover, actor=users["admin"])
    assert exc.value.message_dict["tps"][0].startswith("TPS 001 Klojen already has 9 KPPS members")
    mover.refresh_from_db()
    assert mover.tps == world.tps_a2 and mover.version == 1


def test_the_import_refuses_rows_beyond_the_norm_and_saves_nothing(world, users, personas):
    make_worker(users["admin"], world.tps_a, name="Sudah Ada")
    header = ["nik", "nama", "jabatan", "kode_kelurahan", "nomor_tps"]
    rows = [[make_nik(serial=300 + i), f"Baru {i}", "anggota_kpps", world.kel_a.code, 1] for i in range(7)]
    upload = SimpleUploadedFile("data.xlsx", xlsx_bytes(header, rows))
    response = personas["kelurahan_a"].client.post(reverse("workers:worker_import"), {"file": upload})
    text = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 400
    assert f"Row 8, column nomor_tps: {FULL}" in text
    assert "Row 7," not in text
    assert Worker.objects.count() == 1


def test_the_staffing_page_shows_rows_over_the_norm(world, users, personas, django_assert_max_num_queries):
    seven(users, world.tps_a)
    legacy(world, world.tps_a, 4)  # the 11/7
    client = personas["admin"].client
    with django_assert_max_num_queries(25):
        page = client.get(reverse("workers:staffing"), {"kelurahan": world.kel_a.code}).content.decode()
    assert "11/7" in page and "+4 over the norm" in page
    with django_assert_max_num_queries(25):
        page = client.get(reverse("workers:staffing"), {"kecamatan": world.kec_a.code}).content.decode()
    assert "1 TPS over the KPPS norm" in page
    # More TPS over the norm: the same number of queries at every level.
    levels = [{}, {"kecamatan": world.kec_a.code}, {"kelurahan": world.kel_a.code}]

    def counts():
        found = []
        for params in levels:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("workers:staffing"), params).status_code == 200
            found.append(len(queries))
        return found

    before = counts()
    for tps in (world.tps_a2, Tps.objects.create(election=world.election, kelurahan=world.kel_a,
                                                 number=2, kecamatan_id=world.kec_a.code,
                                                 kabkota_id="35.73")):
        legacy(world, tps, 8)
    assert counts() == before
    page = client.get(reverse("workers:staffing"), {"kecamatan": world.kec_a.code}).content.decode()
    assert "2 TPS over the KPPS norm" in page  # Klojen: TPS 001 and 002; Rampal Celaket: 1


def test_pps_and_ppk_living_outside_their_area_are_flagged(world, users):
    admin = users["admin"]
    with translation.override("en"):
        pps = services.create_worker(Worker(election=world.election, role="pps", kelurahan=world.kel_a,
                                            nik=make_nik(), full_name="PPS Luar",
                                            domicile_code=world.kel_a2.code), actor=admin)
        ppk = services.create_worker(Worker(election=world.election, role="ppk", kecamatan=world.kec_a,
                                            nik=make_nik(), full_name="PPK Luar",
                                            domicile_code=world.kel_b.code), actor=admin)
        ppk_home = services.create_worker(Worker(election=world.election, role="ppk", kecamatan=world.kec_a,
                                                 nik=make_nik(), full_name="PPK Dalam",
                                                 domicile_code=world.kel_a2.code), actor=admin)
    assert pps.flag_list == ["Domiciled outside the PPS's kelurahan."] and pps.outside_domicile
    assert ppk.flag_list == ["Domiciled outside the PPK's kecamatan."] and ppk.outside_domicile
    assert ppk_home.flag_list == [] and not ppk_home.outside_domicile


@pytest.mark.parametrize("role", ["kpps_anggota", "pps", "ppk"])
def test_the_replacement_page_answers_every_persona_without_a_server_error(world, users, personas, role):
    posting = {"kpps_anggota": {"tps": world.tps_a}, "pps": {"kelurahan": world.kel_a},
               "ppk": {"kecamatan": world.kec_a}}[role]
    worker = services.create_worker(Worker(election=world.election, role=role, nik=make_nik(),
                                           full_name="Diganti", domicile_code=world.kel_a.code,
                                           **posting), actor=users["admin"])
    url = reverse("workers:worker_replace", args=[worker.pk])
    codes = {name: persona.client.get(url).status_code for name, persona in personas.items()}
    assert all(code < 500 for code in codes.values()), codes
    assert codes["admin"] == codes["kecamatan_a"] == 200
    assert codes["kelurahan_a"] == (404 if role == "ppk" else 200)
    assert codes["kelurahan_b"] == 404 and codes["anonymous"] == 302


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_the_last_seat_make_seven_not_eight(world, users):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    make_worker(users["admin"], world.tps_a, role="kpps_ketua", name="Ketua")
    for i in range(5):
        make_worker(users["admin"], world.tps_a, name=f"Anggota {i}")
    barrier = threading.Barrier(2)
    outcome = []

    def post(n):
        try:
            barrier.wait(10)
            make_worker(users["admin"], world.tps_a, name=f"Serentak {n}")
            outcome.append("saved")
        except ValidationError:
            outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcome) == ["refused", "saved"]
    assert Worker.objects.filter(tps=world.tps_a, status="aktif").count() == 7
