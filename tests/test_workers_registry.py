"""The worker registry: rules, services, persona scope, masking and the personal-data reveal."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from posko.core.derived import source
from posko.core.models import AuditEntry
from posko.workers import services
from posko.workers.models import Worker
from tests.conftest import SEES_KEL_A
from tests.workers_fixtures import make_nik, make_worker

pytestmark = pytest.mark.django_db
EN: dict = {}


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"


@pytest.fixture
def kpps_a(world, users):
    return make_worker(users["admin"], world.tps_a, name="Siti Aminah", sex="P",
                       birth=datetime.date(1980, 8, 5))


def test_create_fills_birth_date_and_sex_from_the_nik_and_audits_masked(world, users):
    nik = make_nik(birth=datetime.date(1979, 12, 3), sex="P")
    worker = services.create_worker(
        Worker(election=world.election, role="kpps_ketua", tps=world.tps_a, nik=nik,
               full_name="Dewi Lestari", phone="081298765432", domicile_code=world.kel_a.code),
        actor=users["admin"])
    assert (worker.birth_date, worker.sex) == (datetime.date(1979, 12, 3), "P")
    assert (worker.kelurahan_id, worker.kecamatan_id, worker.kabkota_id) == (
        world.kel_a.code, world.kec_a.code, "35.73")
    entry = AuditEntry.objects.get(action="create", object_id=str(worker.pk))
    dumped = json.dumps(entry.after)
    assert nik not in dumped and "081298765432" not in dumped
    assert entry.after["nik"] == nik[:4] + "••••••••" + nik[-4:]


def test_duplicate_nik_is_refused_naming_the_other_posting_masked(world, users, kpps_a):
    dup = Worker(election=world.election, role="linmas", tps=world.tps_b, nik=kpps_a.nik,
                 full_name="Orang Lain", domicile_code=world.kel_b.code)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_worker(dup, actor=users["admin"])
    message = exc.value.message_dict["nik"][0]
    assert "TPS 001 Klojen" in message and kpps_a.nik_masked in message and kpps_a.nik not in message
    assert Worker.objects.count() == 1


def test_kpps_over_55_and_outside_domicile_are_flagged_not_refused(world, users):
    worker = make_worker(users["admin"], world.tps_a, birth=datetime.date(1965, 1, 1),
                         domicile=world.kel_a2.code)
    with translation.override("en"):
        services.apply_flags(worker)
    assert any("Age 59" in f and "17–55" in f for f in worker.flag_list)
    assert worker.outside_domicile
    # Where a KPPS lives is an eligibility flag; Bawaslu's indicator is the TPS of
    # registration (tests/test_workers_registration.py).
    assert source("workers.domicile").function(world.election, None) == []


def test_replacement_keeps_the_old_record(world, users, kpps_a):
    new = Worker(nik=make_nik(birth=datetime.date(1990, 3, 3)), full_name="Pengganti",
                 domicile_code=world.kel_a.code)
    services.replace_worker(kpps_a, new, actor=users["kelurahan_a"], reason="Sakit")
    kpps_a.refresh_from_db()
    assert kpps_a.status == "diganti" and new.replaces == kpps_a and new.tps == world.tps_a
    assert Worker.objects.count() == 2


def test_form_rejects_nik_problems_and_future_birth_date_and_saves_nothing(world, personas):
    client = personas["kelurahan_a"].client
    url = reverse("workers:worker_add")
    base = {"role": "kpps_anggota", "tps": world.tps_a.pk, "full_name": "Rudi", "sex": "L"}
    cases = [
        ({"nik": "3573023102850001"}, "birth date 31/02 does not exist"),
        ({"nik": make_nik(sex="P"), "sex": "L"}, "the NIK is a woman&#x27;s"),
        ({"nik": make_nik(), "birth_date": "2099-01-01"}, "is in the future"),
        ({"nik": make_nik(birth=datetime.date(1985, 5, 17)), "birth_date": "1985-05-18"},
         "differs from the one entered"),
        ({"nik": "357302170585"}, "must have 16 digits"),
    ]
    for extra, message in cases:
        response = client.post(url, {**base, **extra}, **EN)
        assert response.status_code == 400, extra
        assert message in response.content.decode(), (extra, message)
    assert Worker.objects.count() == 0


def test_form_posting_outside_the_region_is_404_or_refused(world, personas):
    client = personas["kelurahan_a"].client
    assert client.get(reverse("workers:worker_add") + f"?tps={world.tps_b.pk}").status_code == 404
    response = client.post(reverse("workers:worker_add"), {
        "role": "kpps_anggota", "tps": world.tps_b.pk, "full_name": "X", "nik": make_nik()}, **EN)
    assert response.status_code == 400 and Worker.objects.count() == 0


def test_persona_scope_on_list_detail_and_edit(world, personas, kpps_a):
    detail = reverse("workers:worker_detail", args=[kpps_a.pk])
    edit = reverse("workers:worker_edit", args=[kpps_a.pk])
    for name, persona in personas.items():
        response = persona.client.get(detail)
        if name == "anonymous":
            assert response.status_code == 302
            continue
        assert response.status_code == (200 if name in SEES_KEL_A else 404), name
        listing = persona.client.get(reverse("workers:worker_list")).content.decode()
        assert ("Siti Aminah" in listing) == (name in SEES_KEL_A), name
    assert personas["pemantau"].client.get(edit).status_code == 403
    assert personas["kelurahan_a"].client.get(edit).status_code == 200
    assert personas["kelurahan_b"].client.get(edit).status_code == 404


def test_nik_and_phone_are_masked_on_every_page_export_and_api(world, personas, kpps_a):
    client = personas["admin"].client
    pages = [reverse("workers:worker_list"), reverse("workers:worker_detail", args=[kpps_a.pk]),
             reverse("workers:worker_edit", args=[kpps_a.pk]), reverse("workers:coverage"),
             reverse("workers:worker_list") + "?export=csv",
             reverse("api:worker-list"), reverse("api:worker-detail", args=[kpps_a.pk])]
    for url in pages:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8-sig")
        assert response.status_code == 200, url
        assert kpps_a.nik not in text and kpps_a.phone not in text, url
    assert "3573••••••••" in client.get(reverse("workers:worker_list")).content.decode()


def test_reveal_needs_permission_and_a_reason_and_is_audited(world, personas, users, kpps_a):
    url = reverse("workers:worker_reveal", args=[kpps_a.pk])
    assert personas["pemantau"].client.post(url, {"reason": "ingin tahu"}).status_code == 403
    assert personas["kelurahan_b"].client.post(url, {"reason": "ingin tahu"}).status_code == 404
    response = personas["admin"].client.post(url, {"reason": ""}, **EN)
    assert response.status_code == 400 and kpps_a.nik not in response.content.decode()
    assert not AuditEntry.objects.filter(action="view").exists()
    response = personas["admin"].client.post(url, {"reason": "Verifikasi klaim BPJS"})
    assert response.status_code == 200 and kpps_a.nik in response.content.decode()
    entry = AuditEntry.objects.get(action="view")
    assert entry.username == "admin" and "Verifikasi klaim BPJS" in entry.message
    # A user given the personal-data flag may reveal too.
    users["pemantau"].personal_data_access = True
    users["pemantau"].save()
    assert personas["pemantau"].client.post(url, {"reason": "Tugas audit"}).status_code == 200


def test_personal_export_only_for_permitted_users_and_audited(world, personas, kpps_a):
    url = reverse("workers:worker_list") + "?export=csv&personal=1"
    assert personas["kelurahan_a"].client.get(url).status_code == 403
    assert personas["kelurahan_a"].client.get(reverse("workers:worker_export")).status_code == 403
    # The list's old one-click link now leads to the form asking why (tests/test_workers_export_reason.py).
    response = personas["admin"].client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("workers:worker_export"))
    response = personas["admin"].client.post(reverse("workers:worker_export"), {
        "personal": "on", "purpose": "honorarium", "reason": "Pembayaran honor KPPS November",
        "format": "csv"})
    assert kpps_a.nik in b"".join(response.streaming_content).decode("utf-8-sig")
    assert AuditEntry.objects.filter(action="export", object_repr="petugas-ad-hoc-data-pribadi").exists()


def test_api_crud_in_scope_and_posting_outside_is_refused(world, personas, users):
    client = personas["kelurahan_a"].client
    url = reverse("api:worker-list")
    good = {"role": "kpps_anggota", "tps": world.tps_a.pk, "full_name": "Agus", "nik": make_nik()}
    response = client.post(url, good, content_type="application/json")
    assert response.status_code == 201, response.content
    assert "nik" not in response.json() and response.json()["nik_masked"].startswith("3573")
    outside = {**good, "tps": world.tps_b.pk, "nik": make_nik()}
    # Another region's TPS is answered like one that does not exist.
    response_outside = client.post(url, outside, content_type="application/json")
    assert response_outside.status_code == 400
    assert response_outside.json()["tps"] == [  # this file's clients use English
        f'Invalid pk "{world.tps_b.pk}" - object does not exist.']
    with translation.override("en"):
        bad = client.post(url, {**good, "nik": "3573023102850001"}, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "nik" in bad.json()
    assert Worker.objects.count() == 1
    pk = response.json()["id"]
    assert personas["kelurahan_b"].client.get(reverse("api:worker-detail", args=[pk])).status_code == 404
    assert personas["pemantau"].client.patch(reverse("api:worker-detail", args=[pk]), {
        "full_name": "X"}, content_type="application/json").status_code == 403
    response = client.patch(reverse("api:worker-detail", args=[pk]), {"full_name": "Agus S."},
                            content_type="application/json")
    assert response.status_code == 200 and Worker.objects.get(pk=pk).full_name == "Agus S."
    # With the version it read, a stale PATCH is a 409 naming the current version; nothing
    # is overwritten. A worker is never deleted through the API (400).
    detail = reverse("api:worker-detail", args=[pk])
    stale = client.patch(detail, {"full_name": "Lama", "version": 1},
                         content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Worker.objects.get(pk=pk).full_name == "Agus S."
    fresh = client.patch(detail, {"full_name": "Agus Salim", "version": 2},
                         content_type="application/json")
    assert fresh.status_code == 200 and fresh.json()["version"] == 3
    assert client.delete(detail).status_code == 400 and Worker.objects.filter(pk=pk).exists()


def test_edit_keeps_the_hidden_nik_and_refuses_a_stale_version(world, personas, kpps_a):
    client = personas["kelurahan_a"].client
    url = reverse("workers:worker_edit", args=[kpps_a.pk])
    form = client.get(url).content.decode()
    assert kpps_a.nik not in form and kpps_a.phone not in form
    data = {"role": "kpps_anggota", "tps": world.tps_a.pk, "nik": "", "phone": "",
            "full_name": "Siti Aminah, S.Pd.", "sex": "P", "birth_date": "1980-08-05",
            "domicile_code": world.kel_a.code, "status": "aktif", "version": kpps_a.version}
    assert client.post(url, data).status_code == 302
    kpps_a.refresh_from_db()
    assert kpps_a.full_name == "Siti Aminah, S.Pd." and kpps_a.nik.startswith("357302")
    entry = AuditEntry.objects.filter(action="update", object_id=str(kpps_a.pk)).latest("id")
    assert entry.after["full_name"] == "Siti Aminah, S.Pd." and kpps_a.nik not in json.dumps(entry.after)
    response = client.post(url, {**data, "full_name": "Lama", "version": 1})
    assert response.status_code == 409 and "Someone else saved" in response.content.decode()
    kpps_a.refresh_from_db()
    assert kpps_a.full_name == "Siti Aminah, S.Pd."


def test_the_indicator_evidence_link_lists_the_kpps_from_elsewhere(world, personas, users):
    make_worker(users["admin"], world.tps_a, name="Dari Luar", registered_tps=world.tps_a2)
    make_worker(users["admin"], world.tps_a, name="Warga Sendiri", registered_tps=world.tps_a)
    value = source("workers.domicile").function(world.election, [world.tps_a.pk])[0]
    page = personas["admin"].client.get(value.url).content.decode()
    assert "Dari Luar" in page and "Warga Sendiri" not in page
