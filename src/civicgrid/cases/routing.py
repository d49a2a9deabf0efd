"""Where a case goes: its tier (from the district's rules) and the unit that owns it.

grid → community → street → district: a case goes to the unit of its tier above
its located grid; a case that cannot be located goes to the district (its
dispatchers' queue); a category marked "to department" goes to its department.
Escalation and return go one unit up (``UnitTree.above``): a unit's parent, and for a
department (which may sit under another department) the district.
"""

from __future__ import annotations

from collections.abc import Iterable

from civicgrid.cases.models import TIER_LEVEL, Category, Tier, TierRule
from civicgrid.org.models import LEVEL_OF_KIND, Level, Unit, UnitKind


def tier_for(category: Category | None, urgency: str) -> str:
    """The most specific rule: nearest category first, then one naming the urgency."""
    if category is None:
        return Tier.MINOR
    lineage = category.lineage()
    rules = {
        (r.category_id, r.urgency): r.tier for r in TierRule.objects.filter(category__in=lineage)
    }
    for node in lineage:
        for key in ((node.pk, urgency), (node.pk, "")):
            if key in rules:
                return rules[key]
    general = TierRule.objects.filter(category=None, urgency__in=[urgency, ""]).order_by("-urgency")
    if rule := general.first():
        return rule.tier
    return category.default_tier


def district_of(unit: Unit) -> Unit:
    return Unit.objects.get(code=unit.ancestor_codes()[0])


def ancestor_at(unit: Unit, level: Level) -> Unit | None:
    """``unit`` itself or its ancestor at ``level`` (None for departments)."""
    codes = unit.ancestor_codes()
    if LEVEL_OF_KIND[unit.kind] is None:
        return None
    depth = int(level)  # district 1, street 2, community 3, grid 4: the depth in the tree
    if depth > len(codes):
        return None
    return unit if depth == len(codes) else Unit.objects.get(code=codes[depth - 1])


def owner_for(*, tier: str, grid: Unit | None, category: Category | None, district: Unit) -> Unit:
    """The unit that should own a case of ``tier`` located in ``grid``."""
    if category is not None and category.to_department:
        department = category.departments.filter(active=True).order_by("code").first()
        if department is not None:
            return department
    if grid is None:
        return district
    if tier == Tier.MICRO and category is not None and not category.grid_may_self_handle:
        tier = Tier.MINOR  # a grid handles only what its category allows
    return ancestor_at(grid, TIER_LEVEL[Tier(tier)]) or district


def tier_of_unit(unit: Unit) -> str:
    level = LEVEL_OF_KIND[unit.kind]
    for tier, tier_level in TIER_LEVEL.items():
        if tier_level == level:
            return tier
    return Tier.MAJOR  # departments work at district level


class UnitTree:
    """Some units and all their ancestors, read in two queries (for one case or a
    sweeper's batch alike): enough to answer ``above`` for them and the units above."""

    def __init__(self, unit_ids: Iterable[int]) -> None:
        self.by_id: dict[int, Unit] = Unit.objects.in_bulk(set(unit_ids))
        codes = {c for u in self.by_id.values() for c in u.ancestor_codes()}
        codes -= {u.code for u in self.by_id.values()}
        self.by_code = {u.code: u for u in self.by_id.values()}
        for unit in Unit.objects.filter(code__in=codes):
            self.by_id[unit.pk] = self.by_code[unit.code] = unit

    def get(self, unit_id: int | None) -> Unit | None:
        return self.by_id.get(unit_id) if unit_id is not None else None

    def above(self, unit: Unit | None) -> Unit | None:
        """The next unit up: the parent; a department's is the district. None above
        the district."""
        if unit is None:
            return None
        if unit.kind == UnitKind.DEPARTMENT:
            return self.by_code.get(unit.ancestor_codes()[0])
        return self.by_id.get(unit.parent_id) if unit.parent_id is not None else None
