"""Community and grid outlines with a point for each one's label, for the maps.

The maps draw the district's own polygons (no tile server needed): communities (and
villages, parks) with their names, and their grids, so that a resident sees where they
tap and staff see whose area a point lies in. A district has hundreds of communities and
thousands of grids (the demo: 6,926): communities come whole (cached until a boundary
changes), grids only for a box, the part of the map in view, read through the
boundaries' bounding-box columns.
"""

from __future__ import annotations

from typing import Any

import shapely
from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.errors import Invalid
from civicgrid.geo.models import Boundary, GeoRevision
from civicgrid.org.models import Unit, UnitKind

COMMUNITY_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK)
#: Vertices closer than this (in degrees, about a metre) are dropped from what is drawn.
SIMPLIFY_DEG = 1e-5
CACHE_S = 3600


def _feature(code: str, name: str, level: str, community: str, shape: Any) -> dict[str, Any]:
    # A point inside the polygon (a centroid may lie outside a concave one).
    label = shape.representative_point()
    drawn = shape.simplify(SIMPLIFY_DEG, preserve_topology=True)
    properties: dict[str, Any] = {
        "code": code,
        "name": name,
        "level": level,
        "label": [round(label.x, 6), round(label.y, 6)],
    }
    if level == "grid":
        properties["community"] = community
    return {
        "type": "Feature",
        "id": code,
        "geometry": shapely.geometry.mapping(drawn),
        "properties": properties,
    }


#: Grids at most in one answer: a district has thousands; a map asks for what it shows.
GRID_LIMIT = 2000

BBox = tuple[float, float, float, float]


def parse_bbox(value: str | None) -> BBox | None:
    """``west,south,east,north`` in WGS-84 degrees, or None when not given."""
    if value is None or not value.strip():
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise Invalid(
            _("bbox must be four numbers: west,south,east,north."), field="bbox", kind="bbox"
        )
    south_west = inputs.coordinate(parts[0], parts[1], fields=("bbox", "bbox"))
    north_east = inputs.coordinate(parts[2], parts[3], fields=("bbox", "bbox"))
    assert south_west is not None and north_east is not None
    return (*south_west, *north_east)


def _rows(under: Unit | None) -> Any:
    rows = Boundary.objects.filter(unit__active=True).order_by("unit__code")
    if under is not None:
        rows = rows.filter(unit__path__startswith=under.path)
    return rows


def community_outlines(under: Unit | None = None) -> dict[str, Any]:
    """The active communities (villages, parks) under ``under`` (or all), as a GeoJSON
    FeatureCollection in code order; a feature's ``properties`` carry ``code``, ``name``,
    ``level`` ("community") and ``label`` ([lon, lat] inside the polygon).

    A community without a boundary of its own (a district may import only its grids)
    is drawn as the union of its grids. Cached until a boundary changes."""
    rows = _rows(under)
    # The revision counts imports; the count and the latest change also see a boundary
    # written another way (the admin, a fresh database under the same revision number).
    seen = rows.aggregate(n=Count("pk"), last=Max("updated_at"))
    last = seen["last"].timestamp() if seen["last"] else 0
    key = f"geo-outlines:{GeoRevision.current()}:{seen['n']}:{last}:{under.path if under else ''}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    communities: dict[str, tuple[str, Any]] = {}
    for code, name, geometry in rows.filter(unit__kind__in=COMMUNITY_KINDS).values_list(
        "unit__code", "unit__name", "geometry"
    ):
        communities[code] = (name, shapely.geometry.shape(geometry))
    pieces: dict[str, tuple[str, list[Any]]] = {}
    grids = rows.filter(unit__kind=UnitKind.GRID, unit__parent__active=True)
    for parent_code, parent_name, geometry in grids.values_list(
        "unit__parent__code", "unit__parent__name", "geometry"
    ):
        if parent_code not in communities:
            shape = shapely.geometry.shape(geometry)
            pieces.setdefault(parent_code, (parent_name, []))[1].append(shape)
    for code, (name, shapes) in pieces.items():
        communities[code] = (name, shapely.union_all(shapes))
    features = [
        _feature(code, name, "community", "", shape)
        for code, (name, shape) in sorted(communities.items())
    ]
    collection = {"type": "FeatureCollection", "features": features}
    cache.set(key, collection, CACHE_S)
    return collection


def grid_outlines(under: Unit | None = None, bbox: BBox | None = None) -> dict[str, Any]:
    """The active grids under ``under`` (or all) whose bounds meet ``bbox``, at most
    ``GRID_LIMIT`` in code order, as a GeoJSON FeatureCollection; a feature's
    ``properties`` carry ``code``, ``name``, ``level`` ("grid"), ``label`` and its
    ``community``'s name. Read through the boundaries' bounding-box columns."""
    rows = _rows(under).filter(unit__kind=UnitKind.GRID)
    if bbox is not None:
        west, south, east, north = bbox
        rows = rows.filter(
            min_lon__lte=east, max_lon__gte=west, min_lat__lte=north, max_lat__gte=south
        )
    found = rows.values_list("unit__code", "unit__name", "unit__parent__name", "geometry")
    features = [
        _feature(code, name, "grid", community or "", shapely.geometry.shape(geometry))
        for code, name, community, geometry in found[:GRID_LIMIT]
    ]
    return {"type": "FeatureCollection", "features": features}
