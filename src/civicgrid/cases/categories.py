"""The category choices every form offers, from one function.

The resident site, the hotline, patrol, the triage queue and the case page all list
the same categories the same way: the active leaves, at whatever depth (a district's
tree may have two levels or three), grouped under their parents' path. The classifier
suggests leaves, so a choice list must hold every leaf, or accepting a suggestion would
silently pick another category.
"""

from __future__ import annotations

from civicgrid.cases.models import Category

CategoryGroups = list[tuple[str, list[Category]]]


def choice_groups() -> CategoryGroups:
    """The active leaf categories, in code order, grouped under their parents' names
    joined by " / " (one query)."""
    every = {c.pk: c for c in Category.objects.filter(active=True).order_by("code")}
    parents = {c.parent_id for c in every.values()}
    groups: dict[str, list[Category]] = {}
    for category in every.values():
        if category.pk in parents or category.parent_id is None:
            continue
        path, node = [], every.get(category.parent_id)
        while node is not None:
            path.append(node.name)
            node = every.get(node.parent_id) if node.parent_id else None
        groups.setdefault(" / ".join(reversed(path)), []).append(category)
    return list(groups.items())
