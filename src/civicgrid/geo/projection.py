"""A local metric frame for distances and areas within one district.

An equirectangular projection around the district's centre: within ~100 km it
errs by well under 1 %, which is plenty for "the nearest grid within 50 m" and
areas in m². It is an affine map, so "point in polygon" gives the same answer
in either frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0


@dataclass(frozen=True)
class LocalFrame:
    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        return METRES_PER_DEGREE_LAT

    @classmethod
    def around(cls, geometry: BaseGeometry) -> LocalFrame:
        c = geometry.centroid if not geometry.is_empty else shapely.Point(0, 0)
        return cls(lon0=c.x, lat0=c.y)

    def to_metres(self, geometry: BaseGeometry | np.ndarray) -> BaseGeometry | np.ndarray:
        kx, ky, lon0, lat0 = self.kx, self.ky, self.lon0, self.lat0
        return shapely.transform(
            geometry, lambda xy: np.column_stack(((xy[:, 0] - lon0) * kx, (xy[:, 1] - lat0) * ky))
        )

    def xy(self, lon: float | np.ndarray, lat: float | np.ndarray) -> tuple:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky


def area_m2(geometry: BaseGeometry) -> float:
    return float(LocalFrame.around(geometry).to_metres(geometry).area)
