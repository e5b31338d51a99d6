"""A NUL character in a URL, a query parameter or a slug field is a 400, never a 500; a
moment before 1900 is a 400 too (found by the same fuzzing).

Found by the API fuzzing (tests/test_api_fuzz.py) on PostgreSQL, which refuses NUL in any
text value ("PostgreSQL text fields cannot contain NUL (0x00) bytes"): ``?kecamatan=`` of
the outreach coverage and the ``kelurahan`` code of a TPS written through the API reached a
query. SQLite stores NUL, so on SQLite these requests answered 404/400 before the fix too;
PostgreSQL (CI) is where they fail without it.
"""

from __future__ import annotations

from django.urls import reverse

from posko.core.models import AuditEntry
from tests.test_api import new_tps, tps_url


def test_a_nul_in_an_api_query_parameter_is_a_json_400(world, personas):
    response = personas["admin"].client.get(reverse("api:outreach-coverage-list"),
                                            {"kecamatan": "35.73\x0002"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_a_nul_in_an_api_path_is_a_json_400(world, personas):
    response = personas["admin"].client.get("/api/v1/wilayah/kecamatan/35.73%0002/")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_a_nul_in_a_page_query_parameter_is_a_400(world, personas):
    response = personas["kelurahan_a"].client.get(reverse("outreach:coverage"),
                                                  {"kecamatan": "\x00"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_parameters_without_nul_still_work(world, personas):
    response = personas["admin"].client.get(reverse("api:outreach-coverage-list"),
                                            {"kecamatan": world.kec_a.code})
    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == {
        world.kel_a.code, world.kel_a2.code}


def test_a_nul_in_a_slug_field_is_a_400_naming_the_field_and_nothing_is_saved(world, personas):
    before = (world.tps_b.kelurahan_id, world.tps_b.address)
    audits = AuditEntry.objects.count()
    response = personas["admin"].client.put(
        tps_url(world.tps_b), new_tps(world, kelurahan="35.73\x00.01.1001", address="Jl. Baru"),
        content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["kelurahan"]
    world.tps_b.refresh_from_db()
    assert (world.tps_b.kelurahan_id, world.tps_b.address) == before
    assert AuditEntry.objects.count() == audits


def test_a_moment_before_1900_is_a_400_and_nothing_is_saved(world, personas):
    """Found by the fuzzing: an activity "0010-01-09T01:00:01Z" was saved and answered as
    "0010-01-09T08:07:13+07:07:12" (Jakarta's local mean time), which is no RFC 3339
    date-time, so the response broke the API's own schema."""
    from posko.outreach.models import Activity

    response = personas["kelurahan_a"].client.post(
        reverse("api:outreach-activity-list"),
        {"kind": "lainnya", "starts_at": "0010-01-09T01:00:01Z", "title": "Sosialisasi"},
        content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["starts_at"]
    assert not Activity.objects.exists()
    ok = personas["kelurahan_a"].client.post(
        reverse("api:outreach-activity-list"),
        {"kind": "lainnya", "starts_at": "2024-11-20T09:00:00+07:00", "title": "Sosialisasi"},
        content_type="application/json")
    assert ok.status_code == 201, ok.content
