from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router, Schema
from pydantic import Field

from civicgrid import inputs
from civicgrid.errors import Invalid, answers
from civicgrid.geo.locator import locate
from civicgrid.geo.models import Boundary
from civicgrid.geo.outlines import community_outlines, grid_outlines, parse_bbox
from civicgrid.org.api import visible_unit
from civicgrid.org.models import Unit, UnitKind

router = Router(tags=["geo"])


class PointIn(Schema):
    # The ranges documented; refused by inputs.coordinate, like every point taken in.
    lon: float = Field(
        description="WGS-84 longitude", json_schema_extra={"minimum": -180, "maximum": 180}
    )
    lat: float = Field(
        description="WGS-84 latitude", json_schema_extra={"minimum": -90, "maximum": 90}
    )


class LocationOut(Schema):
    located: bool
    grid_code: str | None
    grid_name: str | None
    distance_m: float
    reason: str


@router.get(
    "/units/{code}/grids",
    summary=gettext_lazy("The grids under a unit, as a GeoJSON FeatureCollection"),
    response=answers(dict[str, Any]),
)
def unit_grids(request: HttpRequest, code: str) -> dict[str, Any]:
    unit = visible_unit(request, code)
    rows = Boundary.objects.filter(
        unit__path__startswith=unit.path, unit__kind=UnitKind.GRID
    ).values_list("unit__code", "unit__name", "unit__parent__name", "area_m2", "geometry")
    features = [
        {
            "type": "Feature",
            "id": grid_code,
            "geometry": geometry,
            "properties": {
                "code": grid_code,
                "name": name,
                "community": community,
                "area_m2": round(area),
            },
        }
        for grid_code, name, community, area, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}


class OutlinesIn(Schema):
    level: Literal["community", "grid"] = Field(
        "community", description="community: every community; grid: the grids in bbox"
    )
    bbox: str | None = Field(
        None,
        description="west,south,east,north in WGS-84 degrees: only what meets this box",
        max_length=200,
    )


def _outlines(under: Unit | None, query: OutlinesIn, *, need_bbox: bool) -> dict[str, Any]:
    bbox = parse_bbox(query.bbox)
    if query.level == "community":
        return community_outlines(under)
    if bbox is None and need_bbox:
        raise Invalid(_("Grids are given for a box: add bbox."), field="bbox", kind="missing")
    return grid_outlines(under, bbox)


@router.get(
    "/units/{code}/outlines",
    summary=gettext_lazy("The communities or grids under a unit, with label points, as GeoJSON"),
    response=answers(dict[str, Any]),
    description=gettext_lazy(
        "The communities (villages, parks) under the unit, or its grids (within ``bbox`` "
        "if given, at most 2,000); each feature's ``properties.label`` is a point inside it "
        "where a map writes its name."
    ),
)
def unit_outlines(request: HttpRequest, code: str, query: Query[OutlinesIn]) -> dict[str, Any]:
    return _outlines(visible_unit(request, code), query, need_bbox=False)


@router.get(
    "/outlines",
    auth=None,
    summary=gettext_lazy("The district's communities or grids, with label points, as GeoJSON"),
    response=answers(dict[str, Any], public=True),
    description=gettext_lazy(
        "What the resident site's map draws so a resident sees where they tap: the names "
        "and outlines of every active community, or of the grids within ``bbox`` (required "
        "for grids, at most 2,000), and no one's data."
    ),
)
def public_outlines(request: HttpRequest, query: Query[OutlinesIn]) -> dict[str, Any]:
    return _outlines(None, query, need_bbox=True)


@router.get(
    "/locate", response=answers(LocationOut), summary=gettext_lazy("Which grid a point lies in")
)
def locate_point(request: HttpRequest, point: Query[PointIn]) -> LocationOut:
    lon, lat = inputs.coordinate(point.lon, point.lat)  # type: ignore[misc]
    where = locate(lon, lat)
    name = None
    if where.located:
        from civicgrid.org.models import Unit

        name = Unit.objects.filter(pk=where.grid_id).values_list("name", flat=True).first()
    return LocationOut(
        located=where.located,
        grid_code=where.grid_code,
        grid_name=name,
        distance_m=round(where.distance_m, 1),
        reason=where.reason,
    )


class WhereOut(Schema):
    located: bool
    name: str = Field(description="The point in words: street, community, a near place")
    street: str
    community: str
    near: str = Field(description="A gazetteer place within 300 m, or empty")


@router.get(
    "/where",
    auth=None,
    response=answers(WhereOut, public=True),
    summary="A point in words, as the resident site names it (public)",
)
def where_point(request: HttpRequest, point: Query[PointIn]) -> WhereOut:
    """The street, community and nearest gazetteer place of a point, as the resident
    site shows the place a resident chose (``/r/where/``): public, like the outlines
    the resident's map draws; outside the district's grids ``located`` is false and
    ``name`` says why."""
    from civicgrid.intake.where import describe_point

    lon, lat = inputs.coordinate(point.lon, point.lat)  # type: ignore[misc]
    found = describe_point(lon, lat)
    return WhereOut(
        located=found.located,
        name=found.name,
        street=found.street,
        community=found.community,
        near=found.near,
    )
