"""``civicgrid import-grids``: grid polygons from a GeoJSON FeatureCollection.

All or nothing: every feature is checked first (geometry valid, WGS-84
longitude/latitude, known parent, no overlap with another grid); if any fails,
the refusal names each failing feature and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from civicgrid.errors import Invalid
from civicgrid.geo.actions import set_boundaries
from civicgrid.geo.projection import LocalFrame
from civicgrid.org import actions as org_actions
from civicgrid.org.models import COMMUNITY_KINDS, Unit, UnitKind

# Two grids sharing more than this much area overlap; less is digitising noise.
OVERLAP_TOLERANCE_M2 = 1.0
WGS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "CRS84",
}
MAX_ERRORS_SHOWN = 20


class GridImportError(Invalid):
    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(shown)
        if more:
            text += "\n" + _("… and %(n)d more problems.") % {"n": more}
        super().__init__(_("Nothing was imported. Fix these problems and try again:") + "\n" + text)
        self.problems = problems


@dataclass(frozen=True)
class PropertyNames:
    code: str = "code"
    name: str = "name"
    parent: str = "parent"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


@dataclass
class _Feature:
    number: int  # 1-based, as a person counts
    code: str
    name: str
    parent_code: str
    geometry: shapely.Geometry

    def label(self) -> str:
        return _("feature #%(n)d (code %(code)s)") % {"n": self.number, "code": self.code or "?"}


def _coords_are_lon_lat(geometry: shapely.Geometry) -> bool:
    coords = shapely.get_coordinates(geometry)
    if not len(coords):
        return False
    lon, lat = coords[:, 0], coords[:, 1]
    return bool((abs(lon) <= 180).all() and (abs(lat) <= 90).all())


def _read_collection(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GridImportError([_("The file is not a GeoJSON FeatureCollection.")])
    crs = data.get("crs")
    if crs is not None:
        name = (crs.get("properties") or {}).get("name", "") if isinstance(crs, dict) else ""
        if name not in WGS84_NAMES:
            raise GridImportError(
                [
                    _(
                        "The file declares the coordinate system %(crs)s; civicgrid takes "
                        "WGS-84 longitude/latitude (EPSG:4326) only."
                    )
                    % {"crs": name or json.dumps(crs, ensure_ascii=False)}
                ]
            )
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise GridImportError([_("The file holds no features.")])
    return features


def _parse(
    features: list[dict[str, Any]], names: PropertyNames, problems: list[str]
) -> list[_Feature]:
    parsed: list[_Feature] = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        code = str(props.get(names.code) or "").strip()
        label = _("feature #%(n)d (code %(code)s)") % {"n": number, "code": code or "?"}
        missing = [
            p for p in (names.code, names.name, names.parent) if not str(props.get(p) or "").strip()
        ]
        if missing:
            problems.append(
                _("%(f)s: missing properties %(p)s.") % {"f": label, "p": ", ".join(missing)}
            )
            continue
        try:
            geometry = shape(feature["geometry"])
        except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
            problems.append(_("%(f)s: unreadable geometry (%(e)s).") % {"f": label, "e": exc})
            continue
        if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            problems.append(
                _("%(f)s: a grid must be a Polygon or MultiPolygon, not %(t)s.")
                % {"f": label, "t": geometry.geom_type}
            )
            continue
        if not _coords_are_lon_lat(geometry):
            problems.append(
                _(
                    "%(f)s: coordinates are not WGS-84 longitude/latitude "
                    "(longitude within ±180, latitude within ±90, in that order)."
                )
                % {"f": label}
            )
            continue
        if not geometry.is_valid:
            problems.append(
                _("%(f)s: invalid geometry: %(why)s.")
                % {"f": label, "why": explain_validity(geometry)}
            )
            continue
        if geometry.is_empty or geometry.area == 0:
            problems.append(_("%(f)s: the geometry has no area.") % {"f": label})
            continue
        parsed.append(
            _Feature(
                number,
                code,
                str(props[names.name]).strip(),
                str(props[names.parent]).strip(),
                geometry,
            )
        )
    return parsed


def _check_codes(parsed: list[_Feature], problems: list[str]) -> None:
    seen: dict[str, _Feature] = {}
    for f in parsed:
        try:
            org_actions.check_code(f.code)
        except Invalid as exc:
            problems.append(f"{f.label()}: {exc.message}")
        if f.code in seen:
            problems.append(
                _("%(f)s: the same code as %(g)s.") % {"f": f.label(), "g": seen[f.code].label()}
            )
        seen[f.code] = f


def _check_units(
    parsed: list[_Feature], problems: list[str]
) -> tuple[dict[str, Unit], dict[str, Unit]]:
    """Parents must be existing communities/villages/parks; an existing code must be a grid."""
    parents = Unit.objects.in_bulk({f.parent_code for f in parsed}, field_name="code")
    existing = Unit.objects.in_bulk({f.code for f in parsed}, field_name="code")
    for f in parsed:
        parent = parents.get(f.parent_code)
        if parent is None:
            problems.append(
                _("%(f)s: unknown parent unit %(p)s.") % {"f": f.label(), "p": f.parent_code}
            )
        elif parent.kind not in COMMUNITY_KINDS:
            problems.append(
                _("%(f)s: parent %(p)s is a %(k)s; a grid belongs to a community, village or park.")
                % {"f": f.label(), "p": parent.name, "k": UnitKind(parent.kind).label}
            )
        unit = existing.get(f.code)
        if unit is not None and unit.kind != UnitKind.GRID:
            problems.append(
                _("%(f)s: the code already belongs to %(u)s, which is not a grid.")
                % {"f": f.label(), "u": unit.name}
            )
    return parents, existing


def _check_overlaps(parsed: list[_Feature], problems: list[str]) -> None:
    """Refuse features overlapping each other or grids already stored (not replaced here)."""
    from civicgrid.geo.models import Boundary

    new_codes = {f.code for f in parsed}
    stored = [
        (code, shape(geometry))
        for code, geometry in Boundary.objects.filter(unit__kind=UnitKind.GRID)
        .exclude(unit__code__in=new_codes)
        .values_list("unit__code", "geometry")
    ]
    everything = [f.geometry for f in parsed] + [g for _c, g in stored]
    frame = LocalFrame.around(shapely.union_all(shapely.envelope(everything)))
    metric = [frame.to_metres(g) for g in everything]
    tree = shapely.STRtree(metric)
    n_new = len(parsed)
    left, right = tree.query(metric[:n_new], predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if j == i or (j < n_new and j < i):
            continue  # itself, or a pair among new features already seen the other way
        shared = metric[i].intersection(metric[j]).area
        if shared <= OVERLAP_TOLERANCE_M2:
            continue
        other = (
            parsed[j].label() if j < n_new else _("stored grid %(c)s") % {"c": stored[j - n_new][0]}
        )
        problems.append(
            _("%(f)s overlaps %(g)s by %(a).0f m².")
            % {"f": parsed[i].label(), "g": other, "a": shared}
        )


def import_grids(data: Any, names: PropertyNames = PropertyNames()) -> ImportResult:
    """Check every feature of ``data`` (parsed GeoJSON), then create or update the grids."""
    problems: list[str] = []
    parsed = _parse(_read_collection(data), names, problems)
    _check_codes(parsed, problems)
    parents, existing = _check_units(parsed, problems)
    if not problems:
        _check_overlaps(parsed, problems)
    if problems:
        raise GridImportError(problems)

    result = ImportResult()
    with transaction.atomic():
        shapes: list[tuple[Unit, shapely.Geometry]] = []
        for f in parsed:
            parent = parents[f.parent_code]
            unit = existing.get(f.code)
            if unit is None:
                unit = org_actions.create_unit(
                    code=f.code, name=f.name, kind=UnitKind.GRID, parent=parent
                )
                result.created.append(f.code)
            else:
                org_actions.update_unit(unit, name=f.name, parent=parent, active=unit.active)
                result.updated.append(f.code)
            shapes.append((unit, f.geometry))
        set_boundaries(shapes)
    return result


def import_grids_file(path: Path, names: PropertyNames = PropertyNames()) -> ImportResult:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GridImportError([_("Cannot read %(p)s: %(e)s") % {"p": path, "e": exc}]) from exc
    except json.JSONDecodeError as exc:
        raise GridImportError(
            [
                _("%(p)s is not valid JSON (line %(l)d): %(e)s")
                % {"p": path, "l": exc.lineno, "e": exc.msg}
            ]
        ) from exc
    return import_grids(data, names)
