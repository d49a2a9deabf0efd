"""Community and grid outlines with a point for each one's label, for the maps.

The maps draw the district's own polygons (no tile server needed): communities (and
villages, parks) with their names, and their grids, so that a resident sees where they
tap and staff see whose area a point lies in. Built once per geo revision and cached:
the locator's revision counter says when boundaries changed.
"""

from __future__ import annotations

from typing import Any

import shapely
from django.core.cache import cache
from django.db.models import Count, Max

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


def outlines(under: Unit | None = None) -> dict[str, Any]:
    """The active communities and grids (under ``under``, or the whole tree), as a GeoJSON
    FeatureCollection: communities first, then grids, each in code order; a feature's
    ``properties`` carry ``code``, ``name``, ``level`` ("community" or "grid"), ``label``
    ([lon, lat] inside the polygon) and, for a grid, its ``community``'s name.

    A community without a boundary of its own (a district may import only its grids)
    is drawn as the union of its grids."""
    rows = Boundary.objects.filter(unit__active=True).order_by("unit__code")
    if under is not None:
        rows = rows.filter(unit__path__startswith=under.path)
    # The revision counts imports; the count and the latest change also see a boundary
    # written another way (the admin, a fresh database under the same revision number).
    seen = rows.aggregate(n=Count("pk"), last=Max("updated_at"))
    stamp = f"{GeoRevision.current()}:{seen['n']}:{seen['last'].timestamp() if seen['last'] else 0}"
    key = f"geo-outlines:{stamp}:{under.path if under else ''}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    communities: dict[str, tuple[str, Any]] = {}
    for code, name, geometry in rows.filter(unit__kind__in=COMMUNITY_KINDS).values_list(
        "unit__code", "unit__name", "geometry"
    ):
        communities[code] = (name, shapely.geometry.shape(geometry))
    grids = []
    pieces: dict[str, tuple[str, list[Any]]] = {}
    for code, name, parent_code, parent_name, geometry in rows.filter(
        unit__kind=UnitKind.GRID
    ).values_list(
        "unit__code", "unit__name", "unit__parent__code", "unit__parent__name", "geometry"
    ):
        shape = shapely.geometry.shape(geometry)
        grids.append(_feature(code, name, "grid", parent_name or "", shape))
        if parent_code and parent_code not in communities:
            pieces.setdefault(parent_code, (parent_name, []))[1].append(shape)
    for code, (name, shapes) in pieces.items():
        communities[code] = (name, shapely.union_all(shapes))
    features = [
        _feature(code, name, "community", "", shape)
        for code, (name, shape) in sorted(communities.items())
    ]
    collection = {"type": "FeatureCollection", "features": features + grids}
    cache.set(key, collection, CACHE_S)
    return collection
