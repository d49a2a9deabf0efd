"""Likely duplicates (重复件): a request in the same grid or within 200 m, with similar
text, in the last 7 days. Proposed to a person, who merges in one click."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from civicgrid.cases.models import Case, State

RADIUS_M = 200.0
DAYS = 7
MIN_SIMILARITY = 0.2
_NOT_TEXT = re.compile(r"[\s\d\W_]+")
M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Duplicate:
    case: Case
    similarity: float
    metres: float | None  # None: same grid, no point to measure from


def bigrams(text: str) -> set[str]:
    """Character bigrams of the Chinese text (no segmenter needed, robust to typos)."""
    chars = _NOT_TEXT.sub("", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character bigrams: 1 for the same text, 0 for nothing shared."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * M_PER_DEG_LAT * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * M_PER_DEG_LAT
    return math.hypot(dx, dy)


def likely_duplicates(
    text: str,
    *,
    lon: float | None = None,
    lat: float | None = None,
    grid_id: int | None = None,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    """Open or recent cases near the place (same grid, or within ``RADIUS_M``) from the
    last ``DAYS`` days whose text is similar, most similar first."""
    now = now or timezone.now()
    near = Q()
    if grid_id is not None:
        near |= Q(grid_id=grid_id)
    if lon is not None and lat is not None:
        dlat = RADIUS_M / M_PER_DEG_LAT
        dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
        near |= Q(lon__range=(lon - dlon, lon + dlon), lat__range=(lat - dlat, lat + dlat))
    if not near:
        return []
    candidates = (
        Case.objects.filter(near, created_at__gte=now - timedelta(days=DAYS))
        .exclude(state__in=(State.MERGED, State.REJECTED))
        .only("id", "tracking_code", "title", "text", "lon", "lat", "grid_id", "state")
        .order_by("-created_at")[:500]
    )
    found = []
    for case in candidates:
        if case.pk == exclude:
            continue
        metres = None
        if lon is not None and lat is not None and case.lon is not None and case.lat is not None:
            metres = metres_between(lon, lat, case.lon, case.lat)
            if metres > RADIUS_M and case.grid_id != grid_id:
                continue
        score = similarity(text, f"{case.title} {case.text}")
        if score >= MIN_SIMILARITY:
            found.append(Duplicate(case, round(score, 3), metres))
    found.sort(key=lambda d: -d.similarity)
    return found[:limit]
