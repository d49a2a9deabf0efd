"""Point → grid. An STRtree over every active grid's polygon, built once per process
and rebuilt when ``GeoRevision`` says the grids changed.

A point inside no grid goes to the nearest grid within ``LOCATE_TOLERANCE_M``
(a pin dropped on the road between two grids), or comes back unlocated with
the reason.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.lib import intersects_xy  # the ufunc itself: no wrapper cost per call

from civicgrid.geo.models import Boundary, GeoRevision
from civicgrid.geo.projection import LocalFrame
from civicgrid.org.models import Unit, UnitKind

FAR = -2  # a bucket's mark: no grid within the tolerance


@dataclass(frozen=True)
class Location:
    grid_id: int | None
    grid_code: str | None
    distance_m: float  # 0 inside the grid; > 0 when snapped to the nearest one
    reason: str = ""  # why a point is unlocated, for the person who reads it

    @property
    def located(self) -> bool:
        return self.grid_id is not None


class GridLocator:
    """Locates points among a fixed set of polygons (longitude/latitude, WGS-84)."""

    def __init__(
        self,
        ids: list[int],
        codes: list[str],
        polygons: list[shapely.Geometry],
        tolerance_m: float,
    ) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.codes = list(codes)
        self.tolerance_m = tolerance_m
        if polygons:
            self.frame = LocalFrame.around(shapely.union_all(shapely.envelope(polygons)))
        else:
            self.frame = LocalFrame(0.0, 0.0)
        self.polygons = np.asarray([self.frame.to_metres(p) for p in polygons], dtype=object)
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        # Plain floats and lists: attribute and list access is what a single lookup costs.
        self._kx, self._ky = self.frame.kx, self.frame.ky
        self._lon0, self._lat0 = self.frame.lon0, self.frame.lat0
        self._polygon_list = list(self.polygons)
        self._inside = [Location(int(i), c, 0.0) for i, c in zip(self.ids, self.codes, strict=True)]
        self.districts: dict[int, Unit | None] = {}  # grid id → its district (build_locator)
        self._build_buckets()

    def _build_buckets(self) -> None:
        """A regular lattice of buckets over the grids' extent. A bucket lying wholly
        inside one grid answers at once (``_sure``); any other bucket lists the
        grids whose polygons touch it, lowest index first, for an exact test."""
        n = len(self.polygons)
        self._nx = self._ny = 0
        if not n:
            return
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        # About 16 buckets per grid, so most buckets fall wholly inside one grid.
        side = max(float(np.sqrt((x1 - x0) * (y1 - y0) / (16 * n))), 1.0)
        nx, ny = int((x1 - x0) / side) + 1, int((y1 - y0) / side) + 1
        xs = x0 + np.arange(nx) * side
        ys = y0 + np.arange(ny) * side
        gx, gy = np.meshgrid(xs, ys, indexing="ij")  # bucket b = i * ny + j
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side)
        b_idx, p_idx = self.tree.query(boxes, predicate="intersects")
        order = np.lexsort((p_idx, b_idx))
        b_idx, p_idx = b_idx[order], p_idx[order]
        inside = shapely.contains_properly(self.polygons[p_idx], boxes[b_idx])
        sure = np.full(nx * ny, -1, dtype=np.int64)
        sure[b_idx[inside]] = p_idx[inside]
        # An empty bucket farther than the tolerance from every grid: unlocated at once.
        empty = np.setdiff1d(np.arange(nx * ny), b_idx)
        if len(empty):
            reach = shapely.buffer(boxes[empty], max(self.tolerance_m, 0.0) + 1.0)
            near = np.unique(self.tree.query(reach, predicate="intersects")[0])
            sure[np.setdiff1d(empty, empty[near])] = FAR
        starts = np.searchsorted(b_idx, np.arange(nx * ny + 1))
        p_list = p_idx.tolist()
        self._candidates = [
            tuple(p_list[a:b])
            for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)
        ]
        self._sure = sure.tolist()
        self._x0, self._y0, self._inv_side = float(x0), float(y0), 1.0 / side
        self._nx, self._ny = nx, ny

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, lon: float, lat: float) -> Location:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):  # NaN fails too
            return Location(
                None, None, 0.0, _("The coordinates are not a valid longitude/latitude.")
            )
        x = (lon - self._lon0) * self._kx
        y = (lat - self._lat0) * self._ky
        i = int((x - self._x0) * self._inv_side) if self._nx else -1
        j = int((y - self._y0) * self._inv_side) if self._nx else -1
        if 0 <= i < self._nx and 0 <= j < self._ny:
            bucket = i * self._ny + j
            sure = self._sure[bucket]
            if sure >= 0:
                return self._inside[sure]
            if sure == FAR:
                return self._unlocated()
            polygons = self._polygon_list
            for k in self._candidates[bucket]:  # lowest index first: edges are deterministic
                if intersects_xy(polygons[k], x, y):
                    return self._inside[k]
        return self._nearest(shapely.Point(x, y))

    def _nearest(self, point: shapely.Point) -> Location:
        if not len(self):
            return Location(None, None, 0.0, _("No grids have been imported yet."))
        hit, dist = self.tree.query_nearest(
            point, max_distance=self.tolerance_m or None, return_distance=True, all_matches=False
        )
        if len(hit) and self.tolerance_m > 0:
            i = int(hit.min())
            return Location(int(self.ids[i]), self.codes[i], float(dist[0]))
        return self._unlocated()

    def _unlocated(self) -> Location:
        return Location(
            None,
            None,
            0.0,
            _("The point lies outside every grid (more than %(m)d m from the nearest).")
            % {"m": self.tolerance_m},
        )

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised: for each point, the index into ``ids`` (-1 when unlocated) and
        the distance in metres (0 inside)."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        n = len(lons)
        index = np.full(n, -1, dtype=np.int64)
        dist = np.zeros(n)
        if not len(self) or not n:
            return index, dist
        valid = (np.abs(lons) <= 180) & (np.abs(lats) <= 90)
        x, y = self.frame.xy(lons, lats)
        points = shapely.points(x, y)
        points[~valid] = None
        pt_idx, poly_idx = self.tree.query(points, predicate="intersects")
        # Points on a shared edge hit two grids: keep the lowest index, as locate() does.
        order = np.lexsort((poly_idx, pt_idx))
        pt_idx, poly_idx = pt_idx[order], poly_idx[order]
        first = np.ones(len(pt_idx), dtype=bool)
        first[1:] = pt_idx[1:] != pt_idx[:-1]
        index[pt_idx[first]] = poly_idx[first]
        missing = np.flatnonzero((index < 0) & valid)
        if len(missing) and self.tolerance_m > 0:
            m_pt, m_poly = self.tree.query_nearest(
                points[missing], max_distance=self.tolerance_m, all_matches=False
            )
            index[missing[m_pt]] = m_poly
            dist[missing[m_pt]] = shapely.distance(points[missing[m_pt]], self.polygons[m_poly])
        return index, dist

    def location_at(self, index: int, distance_m: float = 0.0) -> Location:
        return Location(int(self.ids[index]), self.codes[index], distance_m)


def build_locator(tolerance_m: float | None = None) -> GridLocator:
    rows = (
        Boundary.objects.filter(unit__kind=UnitKind.GRID, unit__active=True)
        .order_by("unit__code")
        .values_list("unit_id", "unit__code", "unit__path", "geometry")
    )
    ids, codes, polygons, tops = [], [], [], []
    for unit_id, code, path, geometry in rows.iterator(chunk_size=2000):
        ids.append(unit_id)
        codes.append(code)
        tops.append(path.split("/", 1)[0])
        polygons.append(shape(geometry))
    tol = settings.LOCATE_TOLERANCE_M if tolerance_m is None else tolerance_m
    locator = GridLocator(ids, codes, polygons, tol)
    districts = {u.code: u for u in Unit.objects.filter(code__in=set(tops), kind=UnitKind.DISTRICT)}
    locator.districts = {i: districts.get(top) for i, top in zip(ids, tops, strict=True)}
    return locator


class _Cache:
    """The process's locator. The revision is checked at most every ``recheck_s``
    seconds, so a hot path pays no query; a change made in this process is seen
    at once (``invalidate``)."""

    recheck_s = 5.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.locator: GridLocator | None = None
        self.revision = -1
        self.checked_at = 0.0

    def get(self) -> GridLocator:
        now = time.monotonic()
        if self.locator is not None and now - self.checked_at < self.recheck_s:
            return self.locator
        with self.lock:
            revision = GeoRevision.current()
            if self.locator is None or revision != self.revision:
                self.locator = build_locator()
                self.revision = revision
            self.checked_at = now
            return self.locator

    def invalidate(self) -> None:
        with self.lock:
            self.locator = None
            self.revision = -1


_cache = _Cache()


def get_locator() -> GridLocator:
    return _cache.get()


def invalidate_locator() -> None:
    _cache.invalidate()


def locate(lon: float, lat: float) -> Location:
    return get_locator().locate(lon, lat)


def district_of_grid(grid_id: int) -> Unit | None:
    """The district a located grid lies in, known to the locator (no query)."""
    return get_locator().districts.get(grid_id)
