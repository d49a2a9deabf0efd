"""The demo district's geometry: nested Voronoi tilings, without a database.

The district is an organic outline; streets are Voronoi cells of seeds inside
it, clipped to it; communities tile each street the same way, and grids tile
each community. Cells are computed in a local metric frame and returned in
WGS-84 longitude/latitude. A clipped cell that falls apart into pieces keeps its
largest piece and gives the others to the neighbour they share most border
with, so every unit is one valid polygon and the tiling has no gaps or overlaps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from civicgrid.geo.projection import LocalFrame

# A district of about 30 km × 25 km near the lower Yangtze (made up).
CENTRE_LON, CENTRE_LAT = 120.05, 30.08
SEMI_AXIS_X_M, SEMI_AXIS_Y_M = 15_000.0, 12_500.0

STREETS, TOWNS = 14, 7
COMMUNITIES_PER_STREET = 10  # 14 × 10 = 140 in the streets
COMMUNITIES_IN_TOWNS = 60  # spread over the 7 towns: 200 in all
PARKS_PER_STREET = 4  # 56 in the streets
PARKS_IN_TOWNS = 16  # 72 in all
GRIDS = 6_926

# Where seeds may fall: (x, y) in metres → keep probability in (0, 1].
Weight = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class CommunityShape:
    kind: str  # community, village or park
    polygon: shapely.Polygon
    grids: list[shapely.Polygon] = field(default_factory=list)


@dataclass
class StreetShape:
    kind: str  # street or town
    polygon: shapely.Polygon
    communities: list[CommunityShape] = field(default_factory=list)


@dataclass
class DistrictShape:
    polygon: shapely.Polygon
    streets: list[StreetShape]

    def all_grids(self) -> list[shapely.Polygon]:
        return [g for s in self.streets for c in s.communities for g in c.grids]


def _outline(rng: np.random.Generator) -> shapely.Polygon:
    """An ellipse with a few gentle waves: organic, and close enough to convex that
    Voronoi cells clip cleanly."""
    theta = np.linspace(0, 2 * math.pi, 181)[:-1]
    radius = np.ones_like(theta)
    for k, amplitude in ((2, 0.05), (3, 0.04), (5, 0.025), (7, 0.012)):
        radius += amplitude * np.sin(k * theta + rng.uniform(0, 2 * math.pi))
    xs = SEMI_AXIS_X_M * radius * np.cos(theta)
    ys = SEMI_AXIS_Y_M * radius * np.sin(theta)
    return shapely.Polygon(np.column_stack((xs, ys)))


def _points_in(
    polygon: shapely.Polygon, n: int, rng: np.random.Generator, weight: Weight | None = None
) -> np.ndarray:
    """``n`` random points inside ``polygon``; ``weight(x, y)`` in (0, 1] thins them."""
    if n <= 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        batch = max(64, 4 * (n - total))
        xy = np.column_stack((rng.uniform(x0, x1, batch), rng.uniform(y0, y1, batch)))
        keep = shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])
        if weight is not None:
            keep &= rng.random(batch) < weight(xy[:, 0], xy[:, 1])
        found.append(xy[keep])
        total += int(keep.sum())
    return np.concatenate(found)[:n]


def _voronoi_cells(polygon: shapely.Polygon, seeds: np.ndarray) -> list[shapely.Geometry]:
    """The Voronoi cells of ``seeds`` clipped to ``polygon``, in the seeds' order."""
    if len(seeds) == 1:
        return [polygon]
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=polygon)
    cells = shapely.get_parts(diagram)
    # voronoi_polygons does not keep the input order: match each cell to its seed.
    tree = shapely.STRtree(cells)
    seed_idx, cell_idx = tree.query(shapely.points(seeds), predicate="intersects")
    order = np.full(len(seeds), -1)
    for s, c in zip(seed_idx.tolist(), cell_idx.tolist(), strict=True):
        if order[s] < 0:
            order[s] = c
    return [shapely.intersection(cells[c], polygon) for c in order]


def _relax(polygon: shapely.Polygon, seeds: np.ndarray, rounds: int) -> np.ndarray:
    """Lloyd's relaxation: move each seed to its cell's centroid, for even cells."""
    for _ in range(rounds):
        cells = _voronoi_cells(polygon, seeds)
        seeds = shapely.get_coordinates(shapely.centroid(np.asarray(cells, dtype=object)))
    return seeds


def _single_polygons(cells: list[shapely.Geometry]) -> list[shapely.Polygon]:
    """Keep each cell's largest piece; hand the other pieces to the neighbour that
    shares most border with them."""
    polys: list[shapely.Geometry] = []
    strays: list[shapely.Polygon] = []
    for cell in cells:
        parts = [p for p in shapely.get_parts(cell) if p.geom_type == "Polygon" and p.area > 0]
        parts.sort(key=lambda p: p.area, reverse=True)
        polys.append(parts[0])
        strays.extend(parts[1:])
    for stray in strays:
        shared = [p.boundary.intersection(stray.boundary).length for p in polys]
        best = int(np.argmax(shared))
        polys[best] = shapely.union(polys[best], stray)
    return [p if p.geom_type == "Polygon" else max(p.geoms, key=lambda g: g.area) for p in polys]


def tile(
    polygon: shapely.Polygon,
    n: int,
    rng: np.random.Generator,
    weight: Weight | None = None,
    relax: int = 2,
    pin: shapely.Point | None = None,
) -> list[shapely.Polygon]:
    """``n`` polygons tiling ``polygon``; a ``pin`` inside it becomes the seed of one
    cell (the nearest seed moves there), so it lies inside that cell, not at its edge."""
    seeds = _points_in(polygon, n, rng, weight)
    if n > 1:
        seeds = _relax(polygon, seeds, relax)
        if pin is not None and polygon.contains(pin):
            nearest = int(np.argmin(np.hypot(seeds[:, 0] - pin.x, seeds[:, 1] - pin.y)))
            seeds[nearest] = (pin.x, pin.y)
    return _single_polygons(_voronoi_cells(polygon, seeds))


def _split(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), each ≥ minimum."""
    weights_arr = np.asarray(weights, dtype=float)
    spare = total - minimum * len(weights)
    exact = weights_arr / weights_arr.sum() * max(spare, 0)
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts))[: max(spare, 0) - int(counts.sum())]:
        counts[i] += 1
    return (counts + minimum).tolist()


def _scaled(n: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(n * scale))


def build_district(seed: int = 1, scale: float = 1.0) -> DistrictShape:
    """The whole district: at scale 1, 21 streets and towns, 200 communities, villages
    and parks (72 parks) and 6,926 grids. Smaller scales shrink every count."""
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    n_streets, n_towns = _scaled(STREETS, scale), _scaled(TOWNS, scale, 0)

    # Streets near the centre, towns around them.
    def central(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = np.hypot(x / SEMI_AXIS_X_M, y / SEMI_AXIS_Y_M)
        return np.clip(1.2 - 1.6 * r, 0.02, 1.0)

    x0, y0, x1, y1 = outline.bounds
    map_point = shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)  # see map_centre
    street_seeds = _points_in(outline, n_streets, rng, central)
    town_seeds = _points_in(outline, n_towns, rng, lambda x, y: 1.0 - central(x, y))
    seeds = np.concatenate([street_seeds, town_seeds]) if n_towns else street_seeds
    seeds = _relax(outline, seeds, 1)
    order = np.argsort(np.hypot(seeds[:, 0], seeds[:, 1]))  # the centre first
    cells = _single_polygons(_voronoi_cells(outline, seeds[order]))
    kinds = ["street"] * n_streets + ["town"] * n_towns
    streets = [StreetShape(kind, cell) for kind, cell in zip(kinds, cells, strict=True)]

    # Communities: a fixed number per street; the towns share theirs by area.
    town_counts = (
        _split(_scaled(COMMUNITIES_IN_TOWNS, scale), [s.polygon.area for s in streets[n_streets:]])
        if n_towns
        else []
    )
    per_street = [_scaled(COMMUNITIES_PER_STREET, scale)] * n_streets + town_counts
    parks_left_in_towns = _scaled(PARKS_IN_TOWNS, scale, 0)
    for index, (street, n) in enumerate(zip(streets, per_street, strict=True)):
        polygons = tile(street.polygon, n, rng, pin=map_point)
        if street.kind == "street":
            n_parks = min(_scaled(PARKS_PER_STREET, scale, 0), n - 1)
        else:
            towns_left = len(streets) - index
            n_parks = min(round(parks_left_in_towns / towns_left), n - 1)
            parks_left_in_towns -= n_parks
        # Parks at the street's edge, the seat of a town (its most central cell) a 社区,
        # and so is the cell under the resident map's centre (the demo logins' community).
        centre = np.array(street.polygon.centroid.coords[0])
        distance = [np.hypot(*(np.array(p.centroid.coords[0]) - centre)) for p in polygons]
        by_distance = np.argsort(distance)
        community_kinds = ["community" if street.kind == "street" else "village"] * n
        community_kinds[int(by_distance[0])] = "community"
        edge = [int(i) for i in by_distance[:0:-1] if not polygons[int(i)].contains(map_point)]
        for i in edge[:n_parks]:
            community_kinds[i] = "park"
        street.communities = [
            CommunityShape(k, p) for k, p in zip(community_kinds, polygons, strict=True)
        ]

    # Grids: dense where people live. Urban communities ≫ villages ≫ parks per km².
    communities = [c for s in streets for c in s.communities]
    density = {"community": 1.0, "village": 0.22, "park": 0.12}
    urban = {id(c): s.kind == "street" for s in streets for c in s.communities}
    weights = [
        c.polygon.area * density[c.kind] * (1.0 if urban[id(c)] else 0.5) for c in communities
    ]
    grid_counts = _split(
        _scaled(GRIDS, scale, len(communities)), weights, minimum=3 if scale >= 1 else 1
    )
    for community, n in zip(communities, grid_counts, strict=True):
        community.grids = tile(community.polygon, n, rng, relax=1, pin=map_point)

    return _to_lon_lat(DistrictShape(outline, streets))


def map_centre(district: DistrictShape) -> shapely.Point:
    """Where the resident site's map opens: the middle of the district's bounding box
    (the page fits the map to the streets' outlines, which tile the district)."""
    x0, y0, x1, y1 = district.polygon.bounds
    return shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)


def _to_lon_lat(district: DistrictShape) -> DistrictShape:
    frame = LocalFrame(CENTRE_LON, CENTRE_LAT)
    kx, ky = frame.kx, frame.ky

    def convert(g: shapely.Geometry) -> shapely.Geometry:
        # The same arithmetic on the same coordinates: a vertex two cells share
        # stays identical in both.
        return shapely.transform(
            g, lambda xy: np.column_stack((xy[:, 0] / kx + CENTRE_LON, xy[:, 1] / ky + CENTRE_LAT))
        )

    for street in district.streets:
        street.polygon = convert(street.polygon)
        for community in street.communities:
            community.polygon = convert(community.polygon)
            community.grids = [convert(g) for g in community.grids]
    district.polygon = convert(district.polygon)
    return district
