"""Every page as every persona: scope (404 outside), roles (403 for writes), content."""

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import Tps
from tests.conftest import EDITS_KEL_A, PERSONA_NAMES, SEES_KEL_A, SEES_KEL_B

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_tps_detail_scope(world, personas, persona):
    client = personas[persona].client
    for tps, seers in ((world.tps_a, SEES_KEL_A), (world.tps_b, SEES_KEL_B), (world.tps_outside, set())):
        url = reverse("elections:tps_detail", args=[tps.pk])
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and "/masuk/" in response["Location"]
        elif persona in seers:
            assert response.status_code == 200
            assert tps.label in response.content.decode()
        else:
            assert response.status_code == 404, (persona, tps)
        history = client.get(reverse("elections:tps_history", args=[tps.pk]))
        assert history.status_code == (302 if persona == "anonymous" else 200 if persona in seers else 404)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_tps_edit_permissions(world, personas, persona):
    client = personas[persona].client
    url = reverse("elections:tps_edit", args=[world.tps_a.pk])
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in EDITS_KEL_A:
        assert response.status_code == 200
    elif persona in SEES_KEL_A:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


def _tps_post(tps, **changes):
    data = {"kelurahan": tps.kelurahan_id, "number": tps.number, "address": tps.address,
            "rt": "001", "rw": "002", "latitude": "-7.98", "longitude": "112.63",
            "dpt_men": tps.dpt_men, "dpt_women": tps.dpt_women, "special_location": "",
            "special_location_note": "", "accessible": "on", "notes": ""}
    data.update(changes)
    return data


def test_kelurahan_operator_edits_own_tps_with_audit(world, personas):
    client = personas["kelurahan_a"].client
    url = reverse("elections:tps_edit", args=[world.tps_a.pk])
    response = client.post(url, _tps_post(world.tps_a, dpt_men=250, address="Jl. Baru 1"))
    assert response.status_code == 302
    world.tps_a.refresh_from_db()
    assert world.tps_a.dpt_men == 250 and world.tps_a.dpt_total == 460
    entry = AuditEntry.objects.filter(action="update", object_id=str(world.tps_a.pk)).get()
    assert entry.username == "kelurahan_a"
    assert entry.before["dpt_men"] == 200 and entry.after["dpt_men"] == 250
    assert entry.before["address"] == "Jl. Contoh 1" and entry.after["address"] == "Jl. Baru 1"
    history = client.get(reverse("elections:tps_history", args=[world.tps_a.pk])).content.decode()
    assert "Jl. Baru 1" in history and "kelurahan_a" in history


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"dpt_men": 400, "dpt_women": 300}, "700"),
    ({"latitude": "52.1", "longitude": "4.3"}, "di luar Indonesia"),
    ({"latitude": "-7.98", "longitude": ""}, "latitude dan longitude"),
    ({"number": 1, "kelurahan": "35.73.02.1002"}, "TPS 001 sudah ada"),
    ({"special_location": "lainnya", "special_location_note": ""}, "lokasi khusus"),
])
def test_tps_edit_rejects_rule_violations(world, personas, changes, field_message):
    client = personas["admin"].client
    before = Tps.objects.values().get(pk=world.tps_a.pk)
    response = client.post(reverse("elections:tps_edit", args=[world.tps_a.pk]),
                           _tps_post(world.tps_a, **changes))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert Tps.objects.values().get(pk=world.tps_a.pk) == before
    assert not AuditEntry.objects.filter(action="update").exists()


def test_kelurahan_operator_cannot_move_tps_out_of_their_kelurahan(world, personas):
    client = personas["kelurahan_a"].client
    response = client.post(reverse("elections:tps_edit", args=[world.tps_a.pk]),
                           _tps_post(world.tps_a, kelurahan=world.kel_b.code, number=7))
    assert response.status_code == 400
    world.tps_a.refresh_from_db()
    assert world.tps_a.kelurahan_id == world.kel_a.code


def test_kelurahan_dropdown_offers_only_own_kelurahan(world, personas):
    page = personas["kelurahan_a"].client.get(reverse("elections:tps_add")).content.decode()
    assert world.kel_a.code in page
    assert world.kel_b.code not in page and world.kel_a2.code not in page


def test_create_tps_and_delete(world, personas):
    client = personas["kecamatan_a"].client
    response = client.post(reverse("elections:tps_add"),
                           _tps_post(world.tps_a, number=2, kelurahan=world.kel_a2.code))
    assert response.status_code == 302
    tps = Tps.objects.get(kelurahan=world.kel_a2, number=2)
    assert tps.kecamatan_id == world.kec_a.code and tps.kabkota_id == "35.73"
    assert AuditEntry.objects.filter(action="create", object_id=str(tps.pk)).exists()
    response = client.post(reverse("elections:tps_delete", args=[tps.pk]))
    assert response.status_code == 302
    assert not Tps.objects.filter(pk=tps.pk).exists()
    deleted = AuditEntry.objects.get(action="delete", object_id=str(tps.pk))
    assert deleted.before["number"] == 2


def test_pemantau_cannot_delete(world, personas):
    response = personas["pemantau"].client.post(reverse("elections:tps_delete", args=[world.tps_a.pk]))
    assert response.status_code == 403
    assert Tps.objects.filter(pk=world.tps_a.pk).exists()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_tps_list_shows_only_scope(world, personas, persona):
    response = personas[persona].client.get(reverse("elections:tps_list"))
    if persona == "anonymous":
        assert response.status_code == 302
        return
    body = response.content.decode()
    assert (reverse("elections:tps_detail", args=[world.tps_a.pk]) in body) == (persona in SEES_KEL_A)
    assert (reverse("elections:tps_detail", args=[world.tps_b.pk]) in body) == (persona in SEES_KEL_B)
    assert reverse("elections:tps_detail", args=[world.tps_outside.pk]) not in body
    # The filter dropdown never offers another region's kelurahan.
    if persona not in SEES_KEL_B:
        assert world.kel_b.code not in body
    if persona in {"admin", "agency", "pemantau"}:
        assert world.kel_b.code in body and world.kec_b.code in body
    if persona.startswith("kelurahan"):  # a single kelurahan needs no kelurahan filter
        assert 'name="kelurahan"' not in body and 'name="kecamatan"' not in body


def test_tps_list_filters_and_query_count(world, personas, django_assert_max_num_queries):
    client = personas["admin"].client
    body = client.get(reverse("elections:tps_list"), {"kecamatan": world.kec_b.code}).content.decode()
    assert reverse("elections:tps_detail", args=[world.tps_b.pk]) in body
    assert reverse("elections:tps_detail", args=[world.tps_a.pk]) not in body
    for n in range(2, 30):
        Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=n, dpt_men=1)
    with django_assert_max_num_queries(14):
        client.get(reverse("elections:tps_list"))


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_region_browser_scope(world, personas, persona):
    client = personas[persona].client
    for code, seers in ((world.kec_a.code, {"admin", "kecamatan_a", "kelurahan_a", "agency", "pemantau"}),
                        (world.kec_b.code, {"admin", "kelurahan_b", "agency", "pemantau"}),
                        ("35.79.01", set())):
        response = client.get(reverse("regions:kecamatan_detail", args=[code]))
        expected = 302 if persona == "anonymous" else 200 if persona in seers else 404
        assert response.status_code == expected, (persona, code)
    for code, seers in ((world.kel_a.code, SEES_KEL_A), (world.kel_b.code, SEES_KEL_B),
                        (world.kel_outside.code, set())):
        response = client.get(reverse("regions:kelurahan_detail", args=[code]))
        expected = 302 if persona == "anonymous" else 200 if persona in seers else 404
        assert response.status_code == expected, (persona, code)


def test_region_browser_sums(world, personas):
    body = personas["admin"].client.get(reverse("regions:kecamatan_list")).content.decode()
    # Klojen: 2 TPS of 410 voters; the total row counts both kecamatan (3 TPS, 1,230).
    assert "Klojen" in body and "Blimbing" in body and "Batu" not in body
    assert "1.230" in body or "1,230" in body


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_home_counts_follow_scope(world, personas, persona):
    response = personas[persona].client.get(reverse("home"))
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    expected_tps = {"admin": 3, "agency": 3, "pemantau": 3, "kecamatan_a": 2, "kelurahan_a": 1,
                    "kelurahan_b": 1}[persona]
    assert response.context["tps"]["count"] == expected_tps
    assert "H+" in response.content.decode() or "H-" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_admin_pages_only_for_admin(world, personas, persona):
    for name in ("accounts:user_list", "audit_log", "accounts:user_add"):
        response = personas[persona].client.get(reverse(name))
        expected = 302 if persona == "anonymous" else 200 if persona == "admin" else 403
        assert response.status_code == expected, (persona, name)


def test_election_and_user_history(world, users, personas):
    from posko.core import audit, services

    before = audit.snapshot(world.election)
    world.election.max_voters_per_tps = 500
    services.update(world.election, actor=users["admin"], before=before)
    for persona in ("admin", "kelurahan_a", "pemantau"):
        page = personas[persona].client.get(reverse("elections:election_history",
                                                    args=[world.election.pk]))
        assert page.status_code == 200 and "500" in page.content.decode()
    url = reverse("accounts:user_history", args=[users["kelurahan_a"].pk])
    assert personas["admin"].client.get(url).status_code == 200
    assert personas["kecamatan_a"].client.get(url).status_code == 403


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_election_edit_only_admin(world, personas, persona):
    url = reverse("elections:election_edit", args=[world.election.pk])
    response = personas[persona].client.get(url)
    assert response.status_code == (302 if persona == "anonymous" else 200 if persona == "admin" else 403)


def test_election_edit_validates_and_audits(world, personas):
    client = personas["admin"].client
    url = reverse("elections:election_edit", args=[world.election.pk])
    data = {"name": "Pilkada 2024", "voting_date": "2024-11-27", "max_voters_per_tps": "0",
            "ballot_reserve_percent": "2.5"}
    response = client.post(url, data)
    assert response.status_code == 400
    world.election.refresh_from_db()
    assert world.election.max_voters_per_tps == 600
    response = client.post(url, {**data, "max_voters_per_tps": "300"})
    assert response.status_code == 302
    world.election.refresh_from_db()
    assert world.election.max_voters_per_tps == 300 and world.election.name == "Pilkada 2024"
    entry = AuditEntry.objects.get(action="update", object_repr="Pilkada 2024")
    assert (entry.before["max_voters_per_tps"], entry.after["max_voters_per_tps"]) == (600, 300)
    # The new maximum applies to the next TPS edit at once.
    response = client.post(reverse("elections:tps_edit", args=[world.tps_a.pk]),
                           _tps_post(world.tps_a))
    assert response.status_code == 400 and "300" in response.content.decode()


def test_activate_other_election(world, personas):
    import datetime

    from posko.elections.models import Election

    other = Election.objects.create(name="Pilkada Ulang", voting_date=datetime.date(2025, 8, 1))
    assert personas["pemantau"].client.post(
        reverse("elections:election_activate", args=[other.pk])).status_code == 403
    response = personas["admin"].client.post(reverse("elections:election_activate", args=[other.pk]))
    assert response.status_code == 302
    assert Election.active() == other
    world.election.refresh_from_db()
    assert not world.election.is_active


def test_indonesian_by_default_english_on_request(world, personas):
    client = personas["kelurahan_a"].client
    # A phone set to English still gets Indonesian until the user picks English.
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Beranda" in page and 'lang="id"' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert ">Home<" in page and 'lang="en"' in page


def test_numbers_are_not_grouped_unless_asked():
    """Ids in attributes and hidden inputs must render as 7131, not "7.131" (Indonesian
    grouping); counts are grouped explicitly with intcomma."""
    from django.template import engines
    from django.utils import translation

    template = engines["django"].from_string(
        '{% load humanize %}<tr data-tps="{{ n }}">{{ n|intcomma }}</tr>')
    with translation.override("id"):
        assert template.render({"n": 7131}) == '<tr data-tps="7131">7.131</tr>'


def test_beranda_subtitle_says_the_role_once(world, users, personas):
    """The demo's admin is called "Admin Desk Pilkada", which is also the role's label: the
    beranda named the role twice (issue 8)."""
    admin = users["admin"]
    admin.first_name, admin.last_name = "Admin", "Desk Pilkada"
    admin.save()
    page = personas["admin"].client.get(reverse("home")).content.decode()
    assert '<p class="muted" data-testid="who">Admin Desk Pilkada · Seluruh Pemda</p>' in page
    assert page.count("Admin Desk Pilkada") == 1
    page = personas["kelurahan_a"].client.get(reverse("home")).content.decode()
    assert ('<p class="muted" data-testid="who">Kelurahan A · Operator kelurahan · '
            'Kelurahan Klojen</p>') in page


def test_login_page_links_to_the_public_report_form(client, world):
    page = client.get(reverse("login")).content.decode()
    assert (f'<a class="button" href="{reverse("incidents:public_report")}" '
            'data-testid="public-report-link">Laporkan pelanggaran pemilihan tanpa akun</a>'
            ) in page
    assert f'href="{reverse("incidents:public_status")}"' in page
    assert client.get(reverse("incidents:public_report")).status_code == 200  # no account
