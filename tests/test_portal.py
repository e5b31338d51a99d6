"""The public portal (issue 17): no account, Bahasa Indonesia first, aggregates only; the
admin's switch per election and section choice; cache headers, ETag, server cache."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from posko.core import public
from posko.core.models import AuditEntry
from posko.portal.models import PortalSettings
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rolled-back tests reuse election ids and the generation counter: start empty."""
    cache.clear()
    yield
    cache.clear()


def _open(world, sections=None):
    row = PortalSettings.for_election(world.election)
    row.is_public = True
    if sections is not None:
        row.sections, row.sections_chosen = sections, True
    row.save()
    return row


def test_portal_off_is_404_for_everyone(world, users):
    anonymous = Client()
    for name in ("portal:election", "portal:data", "portal:tps_find"):
        assert anonymous.get(reverse(name, args=[world.election.pk])).status_code == 404
    url = reverse("portal:data_file", args=[world.election.pk, "tps.csv"])
    assert anonymous.get(url).status_code == 404
    assert client_for(users["admin"]).get(url).status_code == 404
    assert reverse("portal:election", args=[world.election.pk]).encode() not in \
        anonymous.get(reverse("portal:index")).content


def test_election_page_logged_out_indonesian_first_with_cache_headers(world):
    _open(world)
    anonymous = Client()
    response = anonymous.get(reverse("portal:election", args=[world.election.pk]))
    assert response.status_code == 200
    assert response["Content-Language"] == "id"
    assert response["Cache-Control"].startswith("public, max-age=")
    assert "Cookie" in response["Vary"]
    assert b'name="csrfmiddlewaretoken"' not in response.content
    assert b'data-testid="tps-finder"' in response.content
    assert b"Klojen" in response.content and b"Jodipan" in response.content
    again = anonymous.get(reverse("portal:election", args=[world.election.pk]),
                          HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]
    assert again["Cache-Control"] == response["Cache-Control"]


def test_cached_page_runs_no_query(world, django_assert_max_num_queries):
    _open(world)
    url = reverse("portal:election", args=[world.election.pk])
    anonymous = Client()
    with django_assert_max_num_queries(45):  # every section, readiness components included
        assert anonymous.get(url).status_code == 200
    with django_assert_max_num_queries(0):
        assert anonymous.get(url).status_code == 200
    kel = reverse("portal:kelurahan", args=[world.election.pk, world.kel_a.code])
    with django_assert_max_num_queries(45):
        assert anonymous.get(kel).status_code == 200


def test_uncached_page_query_count_does_not_grow_with_tps(world, settings,
                                                         django_assert_max_num_queries):
    from posko.elections.models import Tps

    _open(world)
    settings.POSKO_PORTAL_CACHE = False
    url = reverse("portal:election", args=[world.election.pk])
    with django_assert_max_num_queries(45) as first:
        Client().get(url)
    for number in range(2, 30):
        Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=number)
    with django_assert_max_num_queries(len(first.captured_queries)):
        Client().get(url)


def test_switching_the_portal_off_takes_effect_at_once(world):
    row = _open(world)
    url = reverse("portal:election", args=[world.election.pk])
    assert Client().get(url).status_code == 200
    row.is_public = False
    row.save()
    assert Client().get(url).status_code == 404


def test_section_off_is_absent_from_page_and_open_data(world):
    _open(world, sections=["tps"])
    anonymous = Client()
    page = anonymous.get(reverse("portal:election", args=[world.election.pk])).content
    assert b'data-section="tps"' in page
    assert b'data-section="report"' not in page
    _open(world, sections=["report"])
    page = anonymous.get(reverse("portal:election", args=[world.election.pk])).content
    assert b'data-section="report"' in page and b'data-section="tps"' not in page
    assert reverse("incidents:public_report").encode() in page
    assert anonymous.get(reverse("portal:tps_find", args=[world.election.pk]),
                         {"kelurahan": world.kel_a.code, "nomor": "1"}).status_code == 404
    data = json.loads(anonymous.get(reverse("portal:data_file",
                                            args=[world.election.pk, "tps.json"])).content)
    assert "address" not in data["columns"][-1]["name"]
    assert {c["name"] for c in data["columns"]} == {
        "kecamatan_code", "kecamatan", "kelurahan_code", "kelurahan", "tps_number"}


def test_tps_finder_by_kelurahan_and_number(world):
    _open(world)
    find = reverse("portal:tps_find", args=[world.election.pk])
    anonymous = Client()
    response = anonymous.get(find, {"kelurahan": world.kel_a.code, "nomor": "1"})
    assert response.status_code == 302
    page = anonymous.get(response["Location"])
    assert page.status_code == 200 and b"Jl. Contoh 1" in page.content
    with translation.override("en"):
        missing = anonymous.get(find, {"kelurahan": world.kel_a.code, "nomor": "7"},
                                HTTP_COOKIE="django_language=en")
    assert missing.status_code == 404
    assert b'data-testid="form-errors"' in missing.content
    bad = anonymous.get(find, {"kelurahan": world.kel_a.code, "nomor": "Budi"})
    assert bad.status_code == 400 and b'data-testid="form-errors"' in bad.content
    outside = anonymous.get(find, {"kelurahan": "99.99.99.9999", "nomor": "1"})
    assert outside.status_code == 400
    assert anonymous.get(reverse("portal:tps", args=[world.election.pk, world.kel_a.code, 9])
                         ).status_code == 404
    assert anonymous.get(reverse("portal:kelurahan", args=[world.election.pk, "35.99.99.9999"])
                         ).status_code == 404


def test_open_data_csv_json_manifest_with_sha256_and_licence(world):
    _open(world)
    anonymous = Client()
    files = {}
    for name in ("tps.csv", "tps.json", "manifest.json"):
        response = anonymous.get(reverse("portal:data_file", args=[world.election.pk, name]))
        assert response.status_code == 200, name
        assert response["Cache-Control"].startswith("public")
        files[name] = response.content
    manifest = json.loads(files["manifest.json"])
    assert manifest["licence"]["name"] == "CC BY 4.0" and "ODbL" in manifest["licence"]["statement"]
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(files[entry["name"]]).hexdigest()
        assert entry["url"] == f"/publik/{world.election.pk}/data/{entry['name']}"
    rows = list(csv.DictReader(io.StringIO(files["tps.csv"].decode())))
    assert len(rows) == 4  # every TPS of the election
    assert {r["kelurahan_code"] for r in rows} >= {world.kel_a.code, world.kel_b.code}
    page = anonymous.get(reverse("portal:data", args=[world.election.pk])).content.decode()
    for entry in manifest["files"]:
        assert entry["sha256"] in page
    assert "CC BY 4.0" in page
    assert anonymous.get(reverse("portal:data_file", args=[world.election.pk, "x.txt"])
                         ).status_code == 404


def test_admin_switches_the_portal_audited_others_may_not(world, users):
    url = reverse("portal:settings", args=[world.election.pk])
    assert Client().get(url).status_code == 302  # login
    for name in ("kecamatan_a", "kelurahan_a", "agency", "pemantau"):
        assert client_for(users[name]).get(url).status_code == 403
        assert client_for(users[name]).post(url, {"is_public": "on"}).status_code == 403
    assert not PortalSettings.objects.filter(is_public=True).exists()
    admin = client_for(users["admin"])
    page = admin.get(url)
    assert page.status_code == 200
    version = page.context["form"].initial["version"]
    response = admin.post(url, {"is_public": "on", "sections": ["tps", "agenda"],
                                "version": version})
    assert response.status_code == 302
    row = PortalSettings.objects.get(election=world.election)
    assert row.is_public and row.sections == ["agenda", "tps"]
    assert AuditEntry.objects.filter(object_id=str(row.pk), action="update").exists()
    stale = admin.post(url, {"sections": ["tps"], "version": version})
    assert stale.status_code == 409
    assert PortalSettings.objects.get(pk=row.pk).is_public
    bad = admin.post(url, {"is_public": "on", "sections": ["nope"], "version": row.version})
    assert bad.status_code == 400
    assert PortalSettings.objects.get(pk=row.pk).sections == ["agenda", "tps"]
    assert admin.get(reverse("portal:settings", args=[999999])).status_code == 404
    assert admin.get(reverse("portal:settings_active"))["Location"] == url
    assert client_for(users["pemantau"]).get(reverse("portal:settings_active")).status_code == 403


def test_a_section_handing_out_a_personal_key_is_refused():
    with pytest.raises(public.PersonalDataError):
        public.assert_public({"contests": [{"name": "Pilwali", "reporter_name": "X"}]})
    with pytest.raises(public.PersonalDataError):
        public.assert_public([{"nik": "3573"}])
    public.assert_public({"tps_total": 3, "kelurahan": "Klojen", "contests": [{"name": "P"}]})


def test_language_link_sets_the_cookie_and_stays_on_the_portal():
    response = Client().get(reverse("portal:language", args=["en"]), {"next": "/publik/1/"})
    assert response.status_code == 302 and response["Location"] == "/publik/1/"
    assert response.cookies["django_language"].value == "en"
    away = Client().get(reverse("portal:language", args=["en"]), {"next": "https://evil.test/"})
    assert away["Location"] == reverse("portal:index")
    assert Client().get(reverse("portal:language", args=["xx"])).status_code == 404


def test_readiness_summary_through_the_core_registry_values_only(world):
    from posko.core import readiness

    def compute(election, tps_ids):
        rows = {world.tps_a.pk: (1.0, "Budi Santoso signed"), world.tps_a2.pk: (0.5, "half")}
        return {k: v for k, v in rows.items() if tps_ids is None or k in tps_ids}

    readiness.register_component("zz_test", "Test component", "KPU", 10, compute, order=999)
    try:
        _open(world, sections=["readiness"])
        anonymous = Client()
        home = anonymous.get(reverse("portal:election", args=[world.election.pk])).content.decode()
        assert 'data-testid="public-readiness"' in home
        assert "Test component" in home and "1 / 2" in home
        assert "75,0%" in home or "75.0%" in home  # Indonesian decimal comma
        assert "Budi Santoso" not in home  # a component's reason line is never shown
        kel = anonymous.get(reverse("portal:kelurahan", args=[world.election.pk,
                                                               world.kel_a2.code])).content
        assert b"0 / 1" in kel and (b"50,0%" in kel or b"50.0%" in kel)
    finally:
        readiness.unregister_component("zz_test")
