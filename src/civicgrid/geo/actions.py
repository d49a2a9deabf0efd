"""The only functions that write boundaries. Each bumps the geo revision so every
process rebuilds its locator."""

from __future__ import annotations

from collections.abc import Iterable

import shapely
from django.db import transaction
from shapely.geometry import mapping

from civicgrid.geo.locator import invalidate_locator
from civicgrid.geo.models import Boundary, GeoRevision
from civicgrid.geo.projection import area_m2
from civicgrid.org.models import Unit


def boundary_row(unit_id: int, geometry: shapely.Geometry) -> Boundary:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return Boundary(
        unit_id=unit_id,
        geometry=mapping(geometry),
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        area_m2=area_m2(geometry),
    )


@transaction.atomic
def set_boundaries(shapes: Iterable[tuple[Unit | int, shapely.Geometry]]) -> int:
    """Create or replace the boundaries of many units at once."""
    rows = [boundary_row(u if isinstance(u, int) else u.pk, g) for u, g in shapes]
    Boundary.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["unit"],
        update_fields=["geometry", "min_lon", "min_lat", "max_lon", "max_lat", "area_m2"],
    )
    GeoRevision.bump()
    transaction.on_commit(invalidate_locator)
    return len(rows)
