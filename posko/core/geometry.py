"""Approximate areas from points: a Voronoi partition grouped by a key (pure Python).

Used for the maps' base layer when no official boundaries can be shipped: every TPS gets
the area closer to it than to any other TPS; the areas of a kelurahan's TPS together are
the kelurahan's *approximate* area. Where no TPS is near (farther than ``reach`` metres),
"ghost" points claim the space, so the areas stop about ``reach / 2`` beyond the outermost
TPS instead of running to the edge of the box.

All the work happens in metres on a local flat projection (fine for one kab/kota), and the
result goes back to longitude/latitude. Shared borders are simplified once, so two
neighbouring areas never gap or overlap.

    areas(points, reach=600) -> {group: [ring, ...]}, borders
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

OUTSIDE = None  # the group of ghost points and of the box around everything


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    group: object  # e.g. the kelurahan code


class Projection:
    """Metres east/north of a centre, and back (equirectangular; < 0.1 % off over 50 km)."""

    def __init__(self, lat: float, lon: float):
        self.lat0, self.lon0 = lat, lon
        self.kx = 111_320.0 * math.cos(math.radians(lat))
        self.ky = 110_574.0

    def forward(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def back(self, x: float, y: float) -> tuple[float, float]:
        return self.lat0 + y / self.ky, self.lon0 + x / self.kx


# --- Voronoi cells by clipping --------------------------------------------------------------

def _clip(polygon, site, other, tag):
    """Keep the part of the convex ``polygon`` closer to ``site`` than to ``other``.
    ``polygon`` is [(x, y, edge_tag)], the tag naming what bounds the edge to the next
    vertex; edges on the new bisector get ``tag``."""
    nx, ny = other[0] - site[0], other[1] - site[1]
    mx, my = (site[0] + other[0]) / 2, (site[1] + other[1]) / 2
    c = nx * mx + ny * my

    def side(p):
        return nx * p[0] + ny * p[1] - c  # <= 0: the site's side

    result = []
    count = len(polygon)
    for k in range(count):
        a, b = polygon[k], polygon[(k + 1) % count]
        sa, sb = side(a), side(b)
        if sa <= 0:
            result.append(a)
            if sb > 0:
                t = sa / (sa - sb)
                result.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), tag))
        elif sb <= 0:
            t = sa / (sa - sb)
            result.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2]))
    return result


def voronoi(sites: list[tuple[float, float]], box: tuple[float, float, float, float],
            cell: float) -> list[list[tuple[float, float, int]]]:
    """The Voronoi cell of every site inside ``box`` (x0, y0, x1, y1), counter-clockwise,
    each vertex tagged with the index of the site across the next edge (-1: the box).
    ``cell`` is the size of the search grid (about the distance between sites)."""
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, (x, y) in enumerate(sites):
        buckets[(int(x // cell), int(y // cell))].append(index)
    x0, y0, x1, y1 = box
    max_ring = int(max(x1 - x0, y1 - y0) // cell) + 2
    cells = []
    for index, site in enumerate(sites):
        polygon = [(x0, y0, -1), (x1, y0, -1), (x1, y1, -1), (x0, y1, -1)]
        bx, by = int(site[0] // cell), int(site[1] // cell)
        for ring in range(max_ring + 1):
            candidates = []
            for i in range(bx - ring, bx + ring + 1):
                for j in (by - ring, by + ring) if ring else (by,):
                    candidates += buckets.get((i, j), ())
            if ring:
                for j in range(by - ring + 1, by + ring):
                    candidates += buckets.get((bx - ring, j), [])
                    candidates += buckets.get((bx + ring, j), [])
            candidates.sort(key=lambda k: (sites[k][0] - site[0]) ** 2
                            + (sites[k][1] - site[1]) ** 2)
            for other in candidates:
                if other != index and polygon:
                    polygon = _clip(polygon, site, sites[other], other)
            reach = max((math.hypot(p[0] - site[0], p[1] - site[1]) for p in polygon),
                        default=0.0)
            if ring * cell > 2 * reach:  # no site farther out can cut the cell any more
                break
        cells.append(polygon)
    return cells


# --- rings of a group ------------------------------------------------------------------------

class _Vertices:
    """Vertex ids for points that are the same up to ``eps`` metres (one corner computed
    from two cells differs in the last digits)."""

    def __init__(self, eps: float = 0.01):
        self.eps = eps
        self.keys: dict[tuple[int, int], int] = {}
        self.points: list[tuple[float, float]] = []

    def id(self, x: float, y: float) -> int:
        kx, ky = round(x / self.eps), round(y / self.eps)
        for dx in (0, -1, 1):
            for dy in (0, -1, 1):
                found = self.keys.get((kx + dx, ky + dy))
                if found is not None:
                    return found
        self.points.append((x, y))
        self.keys[(kx, ky)] = len(self.points) - 1
        return len(self.points) - 1


def _rings(edges: list[tuple[int, int, object]]) -> list[list[tuple[int, object]]]:
    """Chain directed edges (start, end, neighbour) into closed rings of (vertex, neighbour
    across the edge that starts there)."""
    outgoing: dict[int, list[tuple[int, object]]] = defaultdict(list)
    for start, end, neighbour in edges:
        outgoing[start].append((end, neighbour))
    rings = []
    for start in sorted(outgoing):
        while outgoing[start]:
            ring, vertex = [], start
            while outgoing[vertex]:
                end, neighbour = outgoing[vertex].pop()
                ring.append((vertex, neighbour))
                vertex = end
                if vertex == start:
                    break
            if len(ring) >= 3 and vertex == start:
                rings.append(ring)
    return rings


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[int]:
    """Douglas-Peucker: the indexes of ``points`` to keep (first and last always)."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        length = math.hypot(bx - ax, by - ay)
        worst, at = 0.0, None
        for k in range(first + 1, last):
            px, py = points[k]
            if length:
                distance = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            else:
                distance = math.hypot(px - ax, py - ay)
            if distance > worst:
                worst, at = distance, k
        if at is not None and worst > tolerance:
            keep.add(at)
            stack += [(first, at), (at, last)]
    return sorted(keep)


def _area(points) -> float:
    return sum(points[k - 1][0] * points[k][1] - points[k][0] * points[k - 1][1]
               for k in range(len(points))) / 2


def _inside(point, ring) -> bool:
    x, y = point
    inside = False
    for k in range(len(ring)):
        (ax, ay), (bx, by) = ring[k - 1], ring[k]
        if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
            inside = not inside
    return inside


@dataclass
class Areas:
    """``polygons``: {group: [[outer ring, hole, ...], ...]} in (lat, lon);
    ``borders``: [(line, group_a, group_b)] every simplified border once (group_b may be
    OUTSIDE), to draw outlines of coarser regions."""

    polygons: dict
    borders: list


def areas(points: list[Point], *, reach: float = 600.0, tolerance: float = 12.0) -> Areas:
    """Approximate areas of the groups of ``points`` (see the module docstring)."""
    if not points:
        return Areas({}, [])
    projection = Projection(sum(p.lat for p in points) / len(points),
                            sum(p.lon for p in points) / len(points))
    # one site per place: several TPS often share a school; the place goes to the group
    # with most TPS there
    places: dict[tuple[float, float], dict] = {}
    for point in points:
        key = (round(point.lat, 6), round(point.lon, 6))
        counts = places.setdefault(key, defaultdict(int))
        counts[point.group] += 1
    sites, groups = [], []
    for (lat, lon), counts in sorted(places.items()):
        sites.append(projection.forward(lat, lon))
        groups.append(max(sorted(counts, key=str), key=lambda g: counts[g]))
    real = len(sites)
    xs, ys = [s[0] for s in sites], [s[1] for s in sites]
    margin = 2 * reach
    box = (min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin)
    _add_ghosts(sites, groups, box, reach, real)
    cells = voronoi(sites, box, cell=reach / 2)

    vertices = _Vertices()
    edges: dict[object, list] = defaultdict(list)
    for index in range(real):
        polygon, group = cells[index], groups[index]
        for k, (x, y, tag) in enumerate(polygon):
            nx, ny, _ = polygon[(k + 1) % len(polygon)]
            neighbour = OUTSIDE if tag < 0 else groups[tag]
            if neighbour == group:
                continue
            start, end = vertices.id(x, y), vertices.id(nx, ny)
            if start != end:
                edges[group].append((start, end, neighbour))

    simplified: dict[tuple[int, ...], list[int]] = {}
    borders = []

    def run_points(run: tuple[int, ...], left, right) -> list[int]:
        """A border run between two groups, simplified the same way from both sides."""
        if run in simplified:
            return simplified[run]
        backwards = run[::-1]
        if backwards in simplified:
            return simplified[backwards][::-1]
        kept = [run[k] for k in _simplify([vertices.points[v] for v in run], tolerance)]
        simplified[run] = kept
        borders.append((kept, left, right))
        return kept

    polygons: dict[object, list] = {}
    for group, group_edges in edges.items():
        outers, holes = [], []
        for ring in _rings(group_edges):
            # start at a junction (the neighbour changes), so runs match from both sides
            changes = [k for k in range(len(ring)) if ring[k][1] != ring[k - 1][1]]
            if changes:
                ring = ring[changes[0]:] + ring[:changes[0]]
            else:
                low = min(range(len(ring)), key=lambda k: ring[k][0])
                ring = ring[low:] + ring[:low]
            out: list[int] = []
            k = 0
            while k < len(ring):
                neighbour, end = ring[k][1], k
                while end + 1 < len(ring) and ring[end + 1][1] == neighbour:
                    end += 1
                closing = ring[end + 1][0] if end + 1 < len(ring) else ring[0][0]
                run = tuple(v for v, _n in ring[k:end + 1]) + (closing,)
                out += run_points(run, group, neighbour)[:-1]
                k = end + 1
            coords = [vertices.points[v] for v in out]
            if len(coords) < 3 or abs(_area(coords)) < 1.0:
                continue
            (outers if _area(coords) > 0 else holes).append(coords)
        shapes = [[outer] for outer in outers]
        for hole in holes:
            for shape in shapes:
                if _inside(hole[0], shape[0]):
                    shape.append(hole)
                    break
        polygons[group] = [[[projection.back(x, y) for x, y in ring] for ring in shape]
                           for shape in shapes]
    return Areas(polygons, [([projection.back(*vertices.points[v]) for v in line], a, b)
                            for line, a, b in borders])


def _add_ghosts(sites, groups, box, reach, real) -> None:
    """Points on a grid wherever no site is within ``reach``: they bound the areas."""
    step = reach * 0.75
    near: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index in range(real):
        near[(int(sites[index][0] // reach), int(sites[index][1] // reach))].append(index)
    x0, y0, x1, y1 = box
    row = 0
    y = y0
    while y <= y1:
        x = x0 + (step / 2 if row % 2 else 0)  # staggered rows: no four points on a circle
        while x <= x1:
            bx, by = int(x // reach), int(y // reach)
            close = any(math.hypot(sites[k][0] - x, sites[k][1] - y) < reach
                        for i in (bx - 1, bx, bx + 1) for j in (by - 1, by, by + 1)
                        for k in near.get((i, j), ()))
            if not close:
                sites.append((x, y))
                groups.append(OUTSIDE)
            x += step
        y += step * 0.866
        row += 1
