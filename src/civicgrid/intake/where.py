"""A point said in words a resident knows: the street, the community and, when one of
the gazetteer's places lies near, that place ("第1街道 社区1 · 幸福小区附近"), never
the raw coordinates. Used by the resident form (the chosen point, after a refusal) and
by ``GET /r/where/`` (the map's keyboard and screen-reader path, and pages without
JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from civicgrid.geo.locator import locate
from civicgrid.intake.models import Place
from civicgrid.org.models import Unit

#: A gazetteer place at most this far from the point is named with it ("… 附近").
NEAR_M = 300.0
EARTH_M_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Whereabouts:
    """What the district knows of a point: ``name`` in words, or why it has none."""

    located: bool
    name: str
    community: str = ""
    street: str = ""
    near: str = ""


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on a local flat frame: good to a few metres over the few hundred that
    matter here."""
    dx = (lon2 - lon1) * EARTH_M_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * EARTH_M_PER_DEGREE
    return math.hypot(dx, dy)


def describe_point(lon: float, lat: float) -> Whereabouts:
    """The street, community and nearest gazetteer place (within :data:`NEAR_M`) of a
    checked point; unlocated (with the locator's reason) outside the district's grids."""
    where = locate(lon, lat)
    if not where.located:
        return Whereabouts(
            located=False,
            name=where.reason or _("This point lies outside the district's grids."),
        )
    grid = Unit.objects.select_related("parent__parent").get(pk=where.grid_id)
    community = grid.parent
    street = community.parent if community is not None else None
    near = ""
    if community is not None:
        places = Place.objects.filter(active=True, community=community).values_list(
            "name", "lon", "lat"
        )
        distances = sorted((_metres(lon, lat, x, y), name) for name, x, y in places)
        if distances and distances[0][0] <= NEAR_M:
            near = distances[0][1]
    parts = [u.name for u in (street, community) if u is not None] or [grid.name]
    name = " ".join(parts)
    if near:
        name = _("%(area)s, near %(place)s") % {"area": name, "place": near}
    return Whereabouts(
        located=True,
        name=name,
        community=community.name if community else "",
        street=street.name if street else "",
        near=near,
    )


def describe_place(place_id: int) -> str:
    """A gazetteer place as the form's list names it: "幸福小区（社区1）"."""
    found = (
        Place.objects.filter(pk=place_id, active=True)
        .values_list("name", "community__name")
        .first()
    )
    return f"{found[0]}（{found[1]}）" if found else ""
