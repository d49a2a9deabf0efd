"""The monthly recognition list of a community (月度志愿之星): its people ranked by the
service hours they earned in the month, then by the points. Pure: ledger lines in, the
ranked list out; the pages read the lines (``ledger.recognition_lines``).

Only what was earned counts (hours and points credited): points spent at the
supermarket do not lower a person's place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Line:
    """One ledger line: who, and what it earned (points spent are negative)."""

    person_id: int
    name: str
    hours: Decimal
    points: int


@dataclass(frozen=True)
class Place:
    rank: int  # places of equal hours and points share a rank (1, 2, 2, 4)
    person_id: int
    name: str
    hours: Decimal
    points: int
    lines: int  # how many services earned it


def rank(lines: Iterable[Line]) -> list[Place]:
    """Each person's hours and points earned, best first: hours, then points, then
    name (and id) so the order never depends on the database's."""
    sums: dict[int, list] = {}  # type: ignore[type-arg]
    for line in lines:
        if line.hours <= 0 and line.points <= 0:
            continue  # spent, or nothing earned
        row = sums.setdefault(line.person_id, [line.name, Decimal("0"), 0, 0])
        row[1] += max(line.hours, Decimal("0"))
        row[2] += max(line.points, 0)
        row[3] += 1
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1][1], -kv[1][2], kv[1][0], kv[0]))
    places: list[Place] = []
    for i, (person_id, (name, hours, points, count)) in enumerate(ordered):
        tied = places and (places[-1].hours, places[-1].points) == (hours, points)
        places.append(
            Place(
                rank=places[-1].rank if tied else i + 1,
                person_id=person_id,
                name=name,
                hours=hours,
                points=points,
                lines=count,
            )
        )
    return places


def mask_name(name: str) -> str:
    """A name as others see it on a public list: the surname, the rest hidden (王**)."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
