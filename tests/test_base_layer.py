"""The maps' base layer (issue 8): approximate kelurahan areas from the TPS points.

No official kelurahan boundaries with an open licence could be shipped, so Posko computes
an honest approximation from its own TPS coordinates (posko.core.geometry): every TPS
claims the ground nearest to it; a kelurahan's TPS together make its area."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse

from posko.core.geometry import OUTSIDE, Point, areas
from posko.elections import areas as base_layer
from posko.elections.models import Tps
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _inside(lat, lon, ring) -> bool:
    inside = False
    for k in range(len(ring)):
        (ay, ax), (by, bx) = ring[k - 1], ring[k]
        if (ay > lat) != (by > lat) and lon < ax + (lat - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


def _grid(group, lat0, lon0, n=4, step=0.002):
    return [Point(lat0 + i * step, lon0 + j * step, group) for i in range(n) for j in range(n)]


def test_every_point_lies_in_its_own_groups_area_and_borders_are_shared():
    west = _grid("A", -7.98, 112.60)
    east = _grid("B", -7.98, 112.61)
    result = areas(west + east)
    assert set(result.polygons) == {"A", "B"}
    for group, points, other in (("A", west, "B"), ("B", east, "A")):
        assert len(result.polygons[group]) == 1  # one piece each: the points do not mix
        ring = result.polygons[group][0][0]
        for p in points:
            assert _inside(p.lat, p.lon, ring)
            assert not _inside(p.lat, p.lon, result.polygons[other][0][0])
    # the A|B border is one line, drawn once; the rest faces the outside
    inner = [line for line, a, b in result.borders if {a, b} == {"A", "B"}]
    assert len(inner) == 1
    assert all(b is OUTSIDE for _l, a, b in result.borders if {a, b} != {"A", "B"})
    # the areas stop a few hundred metres beyond the outermost points (no huge cells)
    lats = [lat for lat, _lon in result.polygons["A"][0][0]]
    assert min(lats) > -7.98 - 0.01 and max(lats) < -7.98 + 0.006 + 0.01


def test_points_at_one_place_and_a_lone_point():
    result = areas([Point(-7.9, 112.6, "A"), Point(-7.9, 112.6, "A"), Point(-7.9, 112.6, "B")])
    assert set(result.polygons) == {"A"}  # the place goes to the group with most points there
    assert areas([]).polygons == {}


def _place(world):
    for tps, lat, lon in [(world.tps_a, "-7.977000", "112.633000"),
                          (world.tps_a2, "-7.965000", "112.637000"),
                          (world.tps_b, "-7.958000", "112.650000"),
                          (world.tps_outside, "-7.870000", "112.520000")]:
        Tps.objects.filter(pk=tps.pk).update(latitude=Decimal(lat), longitude=Decimal(lon))


def test_endpoint_gives_the_pemdas_kelurahan_areas_and_kecamatan_outlines(world, users, settings,
                                                                          tmp_path):
    settings.DATA_DIR = tmp_path
    _place(world)
    Tps.objects.create(election=world.election, kelurahan=world.kel_b, number=2, dpt_men=100,
                       dpt_women=100)  # no coordinates: not drawn, not a problem
    response = client_for(users["kelurahan_a"]).get(reverse("regions:areas"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    kelurahan = {f["properties"]["code"]: f for f in data["features"]
                 if f["properties"]["kind"] == "kelurahan"}
    # the whole Pemda (a lurah sees the neighbours' areas, like on a printed map), not Batu
    assert set(kelurahan) == {world.kel_a.code, world.kel_a2.code, world.kel_b.code}
    klojen = kelurahan[world.kel_a.code]["properties"]
    assert klojen["name"] == "Klojen" and klojen["kecamatan"] == "Klojen" and klojen["tps"] == 1
    assert klojen["label"] == "Kelurahan Klojen"
    outline = [f for f in data["features"] if f["properties"]["kind"] == "kecamatan"]
    assert len(outline) == 1 and outline[0]["geometry"]["type"] == "MultiLineString"
    assert data["approximation"]["method"] == "voronoi-tps"
    assert data["approximation"]["tps"] == 3
    for feature in kelurahan.values():  # JSON numbers with a dot, never localised strings
        lon, lat = feature["geometry"]["coordinates"][0][0][0]
        assert isinstance(lon, float) and 112 < lon < 113 and -8.1 < lat < -7.8


def test_the_layer_is_built_once_and_again_when_a_tps_moves(world, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    _place(world)
    client = client_for(users["admin"])
    url = reverse("regions:areas")
    first = client.get(url)
    with mock.patch.object(base_layer, "build", side_effect=AssertionError("rebuilt")):
        again = client.get(url)  # from the file
        assert again.content == first.content
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(list((tmp_path / "cache").glob("wilayah-*.json"))) == 1
    Tps.objects.filter(pk=world.tps_b.pk).update(latitude=Decimal("-7.950000"))
    moved = client.get(url)
    assert moved["ETag"] != first["ETag"] and moved.content != first.content
    assert len(list((tmp_path / "cache").glob("wilayah-*.json"))) == 1  # the stale one went


def test_without_coordinates_or_election_the_layer_is_empty(world, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = client_for(users["admin"])
    assert json.loads(client.get(reverse("regions:areas")).content)["features"] == []
    world.election.is_active = False
    world.election.save()
    assert json.loads(client.get(reverse("regions:areas")).content)["features"] == []
    assert client_for(None).get(reverse("regions:areas")).status_code == 302  # login first


def test_command_builds_the_layer_ahead(world, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    _place(world)
    out = io.StringIO()
    call_command("perkiraan_wilayah", stdout=out)
    assert "Perkiraan wilayah 3 kelurahan dari 3 TPS berkoordinat" in out.getvalue()
    assert len(list((tmp_path / "cache").glob("wilayah-*.json"))) == 1


def test_maps_carry_the_layer_and_say_it_is_an_approximation(world, users):
    client = client_for(users["admin"])
    for name in ("logistics:map", "vulnerability:map", "incidents:map"):
        page = client.get(reverse(name)).content.decode()
        assert f'data-areas-url="{reverse("regions:areas")}"' in page, name
        assert "bukan batas resmi" in page and "/static/posko/base-layer.js" in page, name
