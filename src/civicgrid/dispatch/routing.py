"""Where a case goes: its tier (from the district's rules) and the unit that owns it.

grid → community → street → district: a case goes to the unit of its tier above
its located grid; a case that cannot be located goes to the district (its
dispatchers' queue); a category marked "to department" goes to its department.
"""

from __future__ import annotations

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


def escalation_target(owner: Unit) -> Unit | None:
    """The next unit up: a department's and a street's is the district."""
    if owner.kind == UnitKind.DEPARTMENT:
        return district_of(owner)
    return owner.parent


def tier_of_unit(unit: Unit) -> str:
    level = LEVEL_OF_KIND[unit.kind]
    for tier, tier_level in TIER_LEVEL.items():
        if tier_level == level:
            return tier
    return Tier.MAJOR  # departments work at district level
