"""The maps' base layer: approximate kelurahan areas and kecamatan outlines from the TPS.

No official kelurahan boundaries with an open licence could be shipped with Posko (the
national codes in regions/data have no geometry). So the base layer is computed from data
Posko owns: every TPS with coordinates claims the ground closer to it than to any other
TPS (a Voronoi partition, posko.core.geometry), and the pieces of a kelurahan's TPS make
the kelurahan's *approximate* area. It is labelled everywhere as "perkiraan wilayah
kelurahan dari titik TPS, bukan batas resmi". It works for any Pemda and needs no tiles
and no outside request.

The GeoJSON is computed for the active election and kept in a file under
POSKO_DATA_DIR/cache, named after a stamp of the TPS coordinates: a moved, added or removed
TPS gives a new file on the next request; `posko perkiraan_wilayah` builds it ahead.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Max, Sum
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.gzip import gzip_page

from posko.core import etags
from posko.core.geometry import OUTSIDE, Point, areas
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan, Pemda

VERSION = 1  # of the algorithm and the file's layout: a new version rebuilds every file
DIGITS = 5  # about 1 m


def pemda_tps(election):
    """The election's TPS with coordinates inside the Pemda (the whole Pemda: a base layer
    shows the neighbours' areas too, like a printed map)."""
    tps = Tps.objects.filter(election=election, latitude__isnull=False, longitude__isnull=False)
    pemda = Pemda.current()
    if pemda is not None and pemda.kabkota_id:
        tps = tps.filter(kabkota_id=pemda.kabkota_id)
    elif pemda is not None and pemda.provinsi_id:
        tps = tps.filter(kabkota_id__startswith=f"{pemda.provinsi_id}.")
    return tps


def stamp(election) -> str:
    """Changes whenever a TPS is added, removed or moved (or a kelurahan renamed)."""
    tps = pemda_tps(election).aggregate(n=Count("pk"), lat=Sum("latitude"), lon=Sum("longitude"),
                                        changed=Max("updated_at"))
    names = Kelurahan.objects.filter(code__in=pemda_tps(election).values("kelurahan_id")) \
        .aggregate(n=Count("pk"), last=Max("name"))
    text = repr((VERSION, election.pk, sorted(tps.items()), sorted(names.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _ring(ring) -> list[list[float]]:
    return [[round(lon, DIGITS), round(lat, DIGITS)] for lat, lon in ring]


def build(election) -> dict:
    """GeoJSON FeatureCollection: one MultiPolygon per kelurahan with TPS coordinates
    (properties: kind "kelurahan", code, name, kecamatan, tps), one MultiLineString with
    the kecamatan outlines (kind "kecamatan"), and ``approximation`` metadata."""
    rows = list(pemda_tps(election).values_list("latitude", "longitude", "kelurahan_id",
                                                "kecamatan_id"))
    kecamatan_of = {kel: kec for _lat, _lon, kel, kec in rows}
    tps_count: dict[str, int] = {}
    for _lat, _lon, kel, _kec in rows:
        tps_count[kel] = tps_count.get(kel, 0) + 1
    result = areas([Point(float(lat), float(lon), kel) for lat, lon, kel, _kec in rows])
    kelurahan = {k.code: k for k in Kelurahan.objects.filter(code__in=list(tps_count))}
    kecamatan = dict(Kecamatan.objects.filter(code__in=set(kecamatan_of.values()))
                     .values_list("code", "name"))
    features = []
    for code in sorted(result.polygons):
        kel = kelurahan.get(code)
        features.append({"type": "Feature", "properties": {
            "kind": "kelurahan", "code": code, "name": kel.name if kel else code,
            "label": f"{kel.kind_label} {kel.name}" if kel else code,
            "kecamatan": kecamatan.get(kecamatan_of.get(code), ""), "tps": tps_count[code]},
            "geometry": {"type": "MultiPolygon", "coordinates": [
                [_ring(ring) for ring in shape] for shape in result.polygons[code]]}})
    lines = [_ring(line) for line, left, right in result.borders
             if right is OUTSIDE or kecamatan_of.get(left) != kecamatan_of.get(right)]
    if lines:
        features.append({"type": "Feature", "properties": {"kind": "kecamatan"},
                         "geometry": {"type": "MultiLineString", "coordinates": lines}})
    all_kelurahan = Kelurahan.objects.filter(kecamatan__in=list(kecamatan)).count()
    return {"type": "FeatureCollection", "features": features, "approximation": {
        "method": "voronoi-tps", "tps": len(rows), "kelurahan": len(result.polygons),
        "kelurahan_without_points": max(0, all_kelurahan - len(result.polygons))}}


def cache_file(election, key: str) -> Path:
    return Path(settings.DATA_DIR) / "cache" / f"wilayah-{election.pk}-{key}.json"


def cached(election, *, rebuild: bool = False) -> tuple[str, bytes]:
    """(stamp, JSON bytes) of the election's base layer, built when the TPS changed."""
    key = stamp(election)
    path = cache_file(election, key)
    if path.exists() and not rebuild:
        return key, path.read_bytes()
    data = json.dumps(build(election), ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"wilayah-{election.pk}-*.json"):
        old.unlink(missing_ok=True)  # the stamp moved on: the old file is stale
    temporary = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)  # atomic: a parallel request reads the old or the new file
    return key, data


@method_decorator(gzip_page, name="dispatch")
class AreasView(LoginRequiredMixin, View):
    """GET: the base layer of the maps as GeoJSON (see the module docstring). An empty
    collection when there is no active election or no TPS has coordinates."""

    def get(self, request, *args, **kwargs):
        election = self.request.election
        if election is None:
            key, data = "none", b'{"type":"FeatureCollection","features":[]}'
        else:
            key, data = cached(election)
        etag = f'"{key}"'
        if etags.matches(request, etag):
            return etags.not_modified(etag)
        response = HttpResponse(data, content_type="application/geo+json")
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
