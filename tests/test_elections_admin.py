"""The Desk Pilkada admin sets up elections, contests, candidate pairs and stages in the UI."""

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import CandidatePair, Contest, Election, Stage
from tests.conftest import PERSONA_NAMES

pytestmark = pytest.mark.django_db


def test_admin_creates_an_election(world, personas):
    response = personas["admin"].client.post(reverse("elections:election_add"), {
        "name": "Pilkada Ulang 2025", "voting_date": "2025-08-27", "max_voters_per_tps": "600",
        "ballot_reserve_percent": "2.5"})
    assert response.status_code == 302
    election = Election.objects.get(name="Pilkada Ulang 2025")
    assert not election.is_active  # activating is a separate, explicit step
    assert AuditEntry.objects.filter(action="create", object_repr="Pilkada Ulang 2025").exists()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_admin_may_add(world, personas, persona):
    client = personas[persona].client
    for url in (reverse("elections:election_add"),
                reverse("elections:contest_add", args=[world.election.pk]),
                reverse("elections:stage_add", args=[world.election.pk])):
        response = client.get(url)
        assert response.status_code == (302 if persona == "anonymous" else 200 if persona == "admin"
                                        else 403), (persona, url)


def test_contest_rules(world, personas):
    client = personas["admin"].client
    url = reverse("elections:contest_add", args=[world.election.pk])
    data = {"name": "Wali Kota Malang", "level": "walikota", "provinsi": "35", "kabkota": "",
            "ballot_colour": "hijau tosca"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Pilih kabupaten/kota" in response.content.decode()
    response = client.post(url, {**data, "level": "gubernur", "kabkota": "35.73"})
    assert response.status_code == 400 and not Contest.objects.exists()
    response = client.post(url, {**data, "kabkota": "35.73"})
    assert response.status_code == 302
    contest = Contest.objects.get()
    assert contest.kabkota_id == "35.73" and contest.election == world.election
    # Another kab/kota of the province is offered, a province outside is not.
    page = client.get(url).content.decode()
    assert "35.79" in page


def test_candidate_pairs(world, personas):
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    client = personas["admin"].client
    url = reverse("elections:pair_add", args=[contest.pk])
    data = {"ballot_number": "1", "head_name": "Wahyu Hidayat", "deputy_name": "Ali Muthohirin",
            "parties": "Gerindra, Golkar"}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "head_name": "Orang Lain"})
    assert response.status_code == 400
    assert CandidatePair.objects.count() == 1
    pair = CandidatePair.objects.get()
    assert pair.party_list == ["Gerindra", "Golkar"]
    response = client.post(reverse("elections:pair_edit", args=[pair.pk]), {**data, "parties": ""})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.parties == ""
    detail = client.get(reverse("elections:election_detail", args=[world.election.pk])).content.decode()
    assert "Wahyu Hidayat" in detail
    assert personas["kecamatan_a"].client.post(
        reverse("elections:pair_edit", args=[pair.pk]), data).status_code == 403


def test_stage_dates_and_home(world, personas):
    client = personas["admin"].client
    url = reverse("elections:stage_add", args=[world.election.pk])
    response = client.post(url, {"name": "Kampanye", "start_date": "2024-11-23", "end_date": "2024-09-25"})
    assert response.status_code == 400
    assert "tanggal selesai" in response.content.decode().lower()
    assert not Stage.objects.exists()
    response = client.post(url, {"name": "Kampanye", "start_date": "2024-09-25", "end_date": "2024-11-23"})
    assert response.status_code == 302
    assert Stage.objects.get().election == world.election
