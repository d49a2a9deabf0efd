"""What the rules read around cases, beyond their rows: for one case (an action, the
console's buttons) or a sweeper's batch, with the same few queries either way."""

from __future__ import annotations

from collections.abc import Sequence

from civicgrid.cases.models import OPEN_TASK_STATES, Case, Category, WhistleTask
from civicgrid.cases.routing import UnitTree, tier_of_unit
from civicgrid.cases.rules import Snapshot, Surroundings
from civicgrid.org.models import LEVEL_OF_KIND, Level


def surroundings(cases: Sequence[Snapshot]) -> dict[int, Surroundings]:
    """Each case's ``Surroundings``, by case id."""
    if not cases:
        return {}
    tree = UnitTree(
        {c.owner_unit_id for c in cases} | {c.dispatcher_unit_id for c in cases} - {None}
    )
    ids = [c.pk for c in cases]
    busy = set(
        WhistleTask.objects.filter(case_id__in=ids, state__in=OPEN_TASK_STATES).values_list(
            "case_id", flat=True
        )
    )
    category_ids = {c.category_id for c in cases} - {None}
    self_handled = set(
        Category.objects.filter(pk__in=category_ids, grid_may_self_handle=True).values_list(
            "pk", flat=True
        )
        if category_ids
        else ()
    )
    # Cases of a batch share a few owners and dispatchers: the units above are read once
    # per pair.
    units: dict[
        tuple[int, int | None], tuple[Level | None, int | None, str | None, int | None, bool]
    ] = {}
    found = {}
    for case in cases:
        pair = (case.owner_unit_id, case.dispatcher_unit_id)
        around = units.get(pair)
        if around is None:
            owner = tree.get(case.owner_unit_id)
            above = tree.above(owner)
            dispatcher = tree.get(case.dispatcher_unit_id)
            up = tree.above(above)
            around = units[pair] = (
                LEVEL_OF_KIND[owner.kind] if owner is not None else None,
                above.pk if above is not None else None,
                tier_of_unit(above) if above is not None else None,
                up.pk if up is not None else None,
                dispatcher is not None and above is not None and dispatcher.is_within(above),
            )
        found[case.pk] = Surroundings(
            *around,
            open_tasks=case.pk in busy,
            grid_may_self_handle=case.category_id is None or case.category_id in self_handled,
        )
    return found


def surroundings_of(case: Case) -> Surroundings:
    snapshot = Snapshot.of(case)
    return surroundings([snapshot])[snapshot.pk]
