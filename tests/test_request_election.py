"""The election per request (``request.election``), the admin's read-only look at another
election, the stale-save message that names the other person's change, and raise_problems."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

from posko.core.election import SESSION_KEY
from posko.core.services import raise_problems
from posko.elections.models import Election, Tps
from tests.conftest import client_for


@pytest.fixture
def past(world):
    election = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    Tps.objects.create(election=election, kelurahan=world.kel_a, number=5, dpt_men=100,
                       dpt_women=100, address="Jl. Pemilihan Lama 5")
    return election


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_request_election_is_the_active_one_resolved_once(world, users, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = users["kelurahan_a"]
    request.session = {}
    with django_assert_num_queries(1):
        assert request.election == world.election
        assert request.election == world.election


def test_no_election_is_none_and_module_pages_404(db, users):
    Election.objects.update(is_active=False)
    request = RequestFactory().get("/")
    request.user = users["admin"]
    request.session = {}
    assert request.election is None


def test_admin_looks_at_a_past_election_read_only_then_comes_back(world, users, past):
    admin = english(client_for(users["admin"]))
    assert "Jl. Pemilihan Lama 5" not in admin.get("/tps/").content.decode()

    response = admin.post("/pemilihan/lihat/", {"election": past.pk})
    assert response.status_code == 302
    page = admin.get("/tps/").content.decode()
    assert "Jl. Pemilihan Lama 5" in page and "Jl. Contoh 1" not in page
    assert 'data-testid="election-read-only"' in page and "Pilkada 2020" in page

    # Every write is refused while looking, on pages and in the API; nothing is saved.
    before = Tps.objects.get(pk=world.tps_a.pk).address
    refused = admin.post(f"/tps/{world.tps_a.pk}/edit/", {"address": "Diubah"})
    assert refused.status_code == 403
    assert "Pilkada 2020 is not the active election: it can only be looked at" in refused.content.decode()
    assert Tps.objects.get(pk=world.tps_a.pk).address == before
    api = admin.post("/api/v1/tps/", {"kelurahan": world.kel_a.code, "number": 9},
                     content_type="application/json")
    assert api.status_code == 403 and "not the active election" in api.json()["detail"]
    assert not Tps.objects.filter(number=9).exists()

    # A page whose URL names the election is about that election, and may be edited.
    assert admin.get(f"/pemilihan/{past.pk}/contest/new/").status_code == 200

    assert admin.post("/pemilihan/lihat/", {"election": ""}).status_code == 302
    page = admin.get("/tps/").content.decode()
    assert "Jl. Contoh 1" in page and 'data-testid="election-read-only"' not in page


def test_choosing_the_active_election_is_not_read_only(world, users, past):
    admin = client_for(users["admin"])
    admin.post("/pemilihan/lihat/", {"election": world.election.pk})
    assert SESSION_KEY not in admin.session
    assert 'data-testid="election-read-only"' not in admin.get("/tps/").content.decode()


@pytest.mark.parametrize("value", ["999999", "abc", "99999999999999999999999"])
def test_unknown_election_is_404(world, users, value):
    assert client_for(users["admin"]).post("/pemilihan/lihat/", {"election": value}).status_code == 404


@pytest.mark.parametrize("persona", ["kecamatan_a", "kelurahan_a", "agency", "pemantau"])
def test_only_admins_switch_and_a_planted_choice_is_ignored(world, users, past, persona):
    client = client_for(users[persona])
    assert client.post("/pemilihan/lihat/", {"election": past.pk}).status_code == 403
    session = client.session
    session[SESSION_KEY] = past.pk
    session.save()
    page = client.get("/tps/").content.decode()
    assert "Jl. Pemilihan Lama 5" not in page and 'data-testid="election-read-only"' not in page


def test_anonymous_switch_goes_to_login(world, past):
    response = client_for(None).post("/pemilihan/lihat/", {"election": past.pk})
    assert response.status_code == 302 and "/masuk/" in response["Location"]


def test_stale_save_names_who_saved_what_and_the_api_returns_the_version(world, users):
    from posko.accounts.models import Agency
    from posko.coordination.models import Task

    task = Task.objects.create(election=world.election, title="Rapat", created_at=timezone.now(),
                               due_at=timezone.now() + datetime.timedelta(days=3),
                               agency=Agency.objects.create(name="Satpol PP"))
    admin = english(client_for(users["admin"]))
    url = f"/api/v1/tasks/{task.pk}/"
    assert admin.patch(url, {"status": "berjalan", "version": 1},
                       content_type="application/json").status_code == 200
    stale = english(client_for(users["admin"])).patch(
        url, {"status": "selesai", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2
    assert "Someone else saved this task while you were editing it: Admin at " in body["detail"]
    assert "(changed: status)" in body["detail"]
    task.refresh_from_db()
    assert task.status == "berjalan"


def test_raise_problems_collects_by_field():
    raise_problems([])
    with pytest.raises(ValidationError) as caught:
        raise_problems([("number", "Nomor sudah dipakai."), (None, "Seluruhnya salah."),
                        ("number", "Nomor terlalu besar.")])
    assert caught.value.message_dict == {
        "number": ["Nomor sudah dipakai.", "Nomor terlalu besar."], "__all__": ["Seluruhnya salah."]}
    with pytest.raises(ValidationError) as caught:
        raise_problems({"dpt": "Tidak boleh negatif."})
    assert caught.value.message_dict == {"dpt": ["Tidak boleh negatif."]}


def test_read_only_message_is_translated(world, users, past):
    admin = client_for(users["admin"])
    admin.post("/pemilihan/lihat/", {"election": past.pk})
    with translation.override("id"):
        refused = admin.post(f"/tps/{world.tps_a.pk}/edit/", {"address": "Diubah"})
    assert refused.status_code == 403
    assert "bukan pemilihan yang aktif" in refused.content.decode()
