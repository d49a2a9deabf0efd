"""``by_unit``'s roll-up: which units' counts each row adds up (pure, no database)."""

from __future__ import annotations

from civicgrid.evaluation.indicators import under
from civicgrid.evaluation.selection import UnitRow


def head(path: str) -> UnitRow:
    code = path.rstrip("/").rsplit("/", 1)[-1]
    return UnitRow(0, code, code, "street", path, parent_id=None, active=True)


def test_each_unit_counts_under_every_head_above_it_and_its_own() -> None:
    paths = {
        1: "9/",  # the district: under no head
        2: "9/91/",  # a head itself
        3: "9/91/911/",
        4: "9/91/911/9111/",
        5: "9/912/",  # "9/91" is not a prefix of it as a unit: no
        6: "9/92/921/",
    }
    heads = [head("9/91/"), head("9/91/911/"), head("9/92/"), head("9/93/")]
    assert under(heads, paths) == {
        "9/91/": [2, 3, 4],
        "9/91/911/": [3, 4],
        "9/92/": [6],
    }
