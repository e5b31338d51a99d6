"""Issue 15.3: Bawaslu's "KPPS bertugas/memilih di luar domisili" is a KPPS registered to vote
at another TPS (the worker's TPS of registration), not where the KPPS lives; the domicile
stays an eligibility flag of its own."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from posko.core.derived import source
from posko.elections.models import Election, Tps
from posko.workers import services
from posko.workers.models import Worker
from tests.conftest import xlsx_bytes
from tests.workers_fixtures import make_nik, make_worker

pytestmark = pytest.mark.django_db
HEADER = ["nik", "nama", "jabatan", "kode_kelurahan", "nomor_tps", "tps_terdaftar",
          "kelurahan_tps_terdaftar"]


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"


def indicator(world, tps_ids=None):
    return [(v.tps_id, v.value) for v in source("workers.domicile").function(world.election, tps_ids)]


def test_the_indicator_counts_kpps_registered_at_another_tps_not_where_they_live(world, users):
    admin = users["admin"]
    # Lives in the next kelurahan but votes at the TPS they serve: flagged, not the indicator.
    lives_elsewhere = make_worker(admin, world.tps_a, name="Tinggal Luar", domicile=world.kel_a2.code,
                                  registered_tps=world.tps_a)
    with translation.override("en"):
        services.apply_flags(lives_elsewhere)
    assert lives_elsewhere.flag_list == ["Domiciled outside the TPS's kelurahan."]
    assert lives_elsewhere.outside_domicile and not lives_elsewhere.votes_elsewhere
    assert indicator(world) == []
    # Lives in the kelurahan, registered at another TPS: the indicator, no domicile flag.
    make_worker(admin, world.tps_a, name="Pemilih Luar", registered_tps=world.tps_a2)
    make_worker(admin, world.tps_a, name="Pemilih Luar 2", registered_tps=world.tps_b)
    make_worker(admin, world.tps_a, name="Tidak Diketahui")  # no TPS of registration: not counted
    make_worker(admin, world.tps_a, name="Linmas", role="linmas", registered_tps=world.tps_b)
    assert indicator(world) == [(world.tps_a.pk, 2)]
    assert indicator(world, [world.tps_b.pk]) == []


def test_the_form_saves_the_tps_of_registration_with_choices_of_the_users_area(world, personas, users):
    client = personas["kelurahan_a"].client
    url = reverse("workers:worker_add")
    form = client.get(url).content.decode()
    field = form[form.index('name="registered_tps"'):]
    field = field[:field.index("</select>")]
    assert f'value="{world.tps_a.pk}"' in field
    assert f'value="{world.tps_b.pk}"' not in field and f'value="{world.tps_outside.pk}"' not in field
    base = {"role": "kpps_anggota", "tps": world.tps_a.pk, "full_name": "Rina", "nik": make_nik()}
    refused = client.post(url, {**base, "registered_tps": world.tps_b.pk})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert Worker.objects.count() == 0
    saved = client.post(url, {**base, "registered_tps": world.tps_a.pk})
    assert saved.status_code == 302
    worker = Worker.objects.get()
    assert worker.registered_tps == world.tps_a and not worker.votes_elsewhere
    page = client.get(reverse("workers:worker_detail", args=[worker.pk])).content.decode()
    assert "TPS 001 Klojen" in page and 'data-testid="votes-elsewhere"' not in page
    # The admin (who sees kelurahan A2) records that she votes at TPS 001 Rampal Celaket.
    admin = personas["admin"].client
    edit = reverse("workers:worker_edit", args=[worker.pk])
    response = admin.post(edit, {**base, "nik": "", "registered_tps": world.tps_a2.pk,
                                 "domicile_code": world.kel_a.code, "status": "aktif",
                                 "version": worker.version})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = admin.get(reverse("workers:worker_detail", args=[worker.pk])).content.decode()
    assert "TPS 001 Rampal Celaket" in page and 'data-testid="votes-elsewhere"' in page
    assert indicator(world) == [(world.tps_a.pk, 1)]
    # The lurah's form keeps the TPS of registration outside her area (no silent loss).
    lurah_form = client.get(edit).content.decode()
    assert f'<option value="{world.tps_a2.pk}" selected>' in lurah_form


def test_a_tps_of_another_election_is_refused_by_the_service(world, users):
    other = Election.objects.create(name="Pilkades 2025", voting_date=world.election.voting_date)
    foreign = Tps.objects.create(election=other, kelurahan=world.kel_a, number=9, kecamatan_id=world.kec_a.code,
                                 kabkota_id="35.73")
    worker = Worker(election=world.election, role="kpps_anggota", tps=world.tps_a, nik=make_nik(),
                    full_name="Asing", domicile_code=world.kel_a.code, registered_tps=foreign)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_worker(worker, actor=users["admin"])
    assert exc.value.message_dict == {
        "registered_tps": ["The TPS of registration is not a TPS of this election."]}
    assert Worker.objects.count() == 0


def post_file(client, rows):
    upload = SimpleUploadedFile("data.xlsx", xlsx_bytes(HEADER, rows))
    return client.post(reverse("workers:worker_import"), {"file": upload})


def test_the_import_reads_the_tps_of_registration_and_names_unknown_and_outside_ones(world, personas):
    client = personas["kelurahan_a"].client
    rows = [[make_nik(serial=101), "Satu", "anggota_kpps", world.kel_a.code, 1, 1, ""],
            [make_nik(serial=102), "Dua", "anggota_kpps", world.kel_a.code, 1, 4, ""],
            [make_nik(serial=103), "Tiga", "anggota_kpps", world.kel_a.code, 1, 1, world.kel_b.code],
            [make_nik(serial=104), "Empat", "anggota_kpps", world.kel_a.code, 1, "", world.kel_a.code]]
    response = post_file(client, rows)
    text = response.content.decode()
    assert response.status_code == 400
    assert ("Row 3, column tps_terdaftar: There is no TPS 004 in kelurahan 35.73.02.1001 in this "
            "election.") in text
    assert "Row 4, column tps_terdaftar: TPS 001 in kelurahan 35.73.01.1001 is outside your region." in text
    assert ("Row 5, column tps_terdaftar: Fill in tps_terdaftar (the TPS number) for "
            "kelurahan_tps_terdaftar 35.73.02.1001.") in text
    assert Worker.objects.count() == 0  # nothing half-saved
    # The admin may name a TPS anywhere in the Pemda; an empty kelurahan is the posting's.
    admin = personas["admin"].client
    good = [[make_nik(serial=201), "Satu", "anggota_kpps", world.kel_a.code, 1, 1, ""],
            [make_nik(serial=202), "Dua", "anggota_kpps", world.kel_a.code, 1, 1, world.kel_b.code],
            [make_nik(serial=203), "Tiga", "anggota_kpps", world.kel_a.code, 1, "", ""]]
    assert post_file(admin, good).status_code == 302
    stored = dict(Worker.objects.values_list("full_name", "registered_tps_id"))
    assert stored == {"Satu": world.tps_a.pk, "Dua": world.tps_b.pk, "Tiga": None}
    assert indicator(world) == [(world.tps_a.pk, 1)]
    # A file without the columns keeps what is stored.
    again = [row[:5] + [None, None] for row in good]
    upload = SimpleUploadedFile("data.xlsx", xlsx_bytes(HEADER[:5], [r[:5] for r in again]))
    assert admin.post(reverse("workers:worker_import"), {"file": upload}).status_code == 302
    assert dict(Worker.objects.values_list("full_name", "registered_tps_id")) == stored


def test_the_api_and_the_export_carry_the_tps_of_registration(world, personas, users):
    client = personas["kelurahan_a"].client
    url = reverse("api:worker-list")
    body = {"role": "kpps_anggota", "tps": world.tps_a.pk, "full_name": "Agus", "nik": make_nik(),
            "registered_tps": world.tps_b.pk}
    outside = client.post(url, body, content_type="application/json")
    assert outside.status_code in (400, 404) and Worker.objects.count() == 0
    created = personas["admin"].client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["registered_tps"] == world.tps_b.pk and data["votes_elsewhere"] is True
    listed = client.get(url, {"votes_elsewhere": "true"}).json()
    assert [w["full_name"] for w in listed["results"]] == ["A***"]  # masked in the API
    export = personas["admin"].client.get(reverse("workers:worker_list") + "?export=csv")
    content = b"".join(export.streaming_content) if export.streaming else export.content
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), ))
    assert "TPS of registration" in table[0]
    assert table[1][table[0].index("TPS of registration")] == "TPS 001 Jodipan"
