"""The aggregates equal the naive, one-case-at-a-time computation (``naive.py``) on random
cases: late and missing ratings, reopens, rejected and merged cases, upheld appeals,
late check-ins, cases outside the period, every table and every drill-down."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.models import Case, Category, Channel, State, TaskState, WhistleTask
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import Period, Selection, selection_for
from civicgrid.org.models import Unit
from civicgrid.org.scoping import scope_of
from tests.evaluation import naive
from tests.evaluation.conftest import World, local
from tests.factories import case_as_it_stands

BASE = local(2025, 1, 1)
SECONDS = st.integers(min_value=0, max_value=12 * 86400)
MAYBE = st.one_of(st.none(), SECONDS)

CASE = st.fixed_dictionaries(
    {
        "owner": st.integers(min_value=0, max_value=100),
        "channel": st.sampled_from(Channel.values),
        "category": st.sampled_from([None, "T1", "T3", "T5", "U", "U1"]),
        "state": st.sampled_from(State.values),
        "created": st.integers(min_value=-5 * 86400, max_value=100 * 86400),
        "acknowledge_due": MAYBE,
        "acknowledged": MAYBE,
        "resolve_due": MAYBE,
        "resolved": MAYBE,
        "rating": st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
        "solved": st.sampled_from([None, True, False]),
        "unreachable": st.booleans(),
        "reopens": st.integers(min_value=0, max_value=2),
        "appeal_upheld": st.booleans(),
        "tasks": st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=2),
                SECONDS,
                MAYBE,
                st.sampled_from(TaskState.values),
            ),
            max_size=2,
        ),
    }
)


def later(start: datetime, seconds: int | None) -> datetime | None:
    return None if seconds is None else start + timedelta(seconds=seconds)


def build(world: World, specs: list[dict]) -> tuple[list[Case], list[WhistleTask]]:
    categories = {c.code: c for c in Category.objects.all()}
    cases = []
    for spec in specs:
        created = BASE + timedelta(seconds=spec["created"])
        cases.append(
            case_as_it_stands(
                world.units[spec["owner"] % len(world.units)],
                created,
                channel=spec["channel"],
                category=categories[spec["category"]] if spec["category"] else None,
                state=spec["state"],
                acknowledge_due=later(created, spec["acknowledge_due"]),
                acknowledged_at=later(created, spec["acknowledged"]),
                resolve_due=later(created, spec["resolve_due"]),
                resolved_at=later(created, spec["resolved"]),
                rating=spec["rating"],
                solved=spec["solved"],
                unreachable=spec["unreachable"],
                reopens=spec["reopens"],
                excluded_by_appeal=spec["appeal_upheld"],
            )
        )
    cases = Case.objects.bulk_create(cases)
    tasks = []
    for case, spec in zip(cases, specs, strict=True):
        for department, due, checked, state in spec["tasks"]:
            tasks.append(
                WhistleTask(
                    case=case,
                    department=world.departments[department],
                    case_created_at=case.created_at,
                    state=state,
                    check_in_due=case.created_at + timedelta(seconds=due),
                    checked_in_at=later(case.created_at, checked),
                )
            )
    # (one open task per department and case: the others are finished or returned)
    seen: set[tuple[int, int]] = set()
    for task in tasks:
        key = (task.case.pk, task.department.pk)
        if task.state in ("notified", "checked_in", "working") and key in seen:
            task.state = TaskState.DONE
        seen.add(key)
    tasks = WhistleTask.objects.bulk_create(tasks)
    return cases, tasks


def in_selection(selection: Selection, case: Case, units: dict[int, Unit]) -> bool:
    """Whether ``case`` is one of ``selection``'s, decided in Python from its columns."""
    if not in_filters(selection, case):
        return False
    owner = units[case.owner_unit_id]
    if selection.unit is not None:
        if selection.own and owner.pk != selection.unit.pk:
            return False
        if not owner.path.startswith(selection.unit.path):
            return False
    reach = selection.scope.reach
    return reach.everywhere or owner.pk in reach.unit_ids


def in_filters(selection: Selection, case: Case) -> bool:
    """The case's period, category and channel are the selection's (whoever owns it)."""
    start, end = selection.period.bounds()
    if not start <= case.created_at < end:
        return False
    if selection.category is not None:
        node = case.category
        while node is not None and node.pk != selection.category.pk:
            node = node.parent
        if node is None:
            return False
    if selection.uncategorised and case.category_id is not None:
        return False
    return not (selection.channel and case.channel != selection.channel)


def tasks_in(selection: Selection, built, units: dict[int, Unit]) -> list[tuple[WhistleTask, Case]]:  # type: ignore[no-untyped-def]
    """A selection's whistle tasks: of its departments, in cases of its period, category
    and channel (owned by whichever unit whistled)."""
    cases, tasks = built
    departments = departments_in(selection, units)
    by_id = {c.pk: c for c in cases}
    return [
        (t, by_id[t.case_id])
        for t in tasks
        if t.department_id in departments and in_filters(selection, by_id[t.case_id])
    ]


def departments_in(selection: Selection, units: dict[int, Unit]) -> set[int]:
    reach = selection.scope.reach
    found = set()
    for unit in units.values():
        if unit.kind != "department":
            continue
        if selection.unit is not None:
            if selection.own and unit.pk != selection.unit.pk:
                continue
            if not unit.path.startswith(selection.unit.path):
                continue
        if not reach.everywhere and unit.pk not in reach.unit_ids:
            continue
        found.add(unit.pk)
    return found


def assert_equal(figures: ind.Figures, expected: dict[str, naive.Tally], where: str) -> None:
    def got(key: str) -> naive.Tally:
        return expected.get(key, naive.Tally())

    assert figures.cases == got("cases").numerator, f"{where}: cases"
    assert figures.excluded["rejected"] == got("x_rejected").numerator, f"{where}: rejected"
    assert figures.excluded["merged"] == got("x_merged").numerator, f"{where}: merged"
    assert figures.excluded["appeal_upheld"] == got("x_appeal_upheld").numerator, where
    for key in ind.INDICATOR_KEYS:
        figure = figures[key]
        assert (figure.numerator, figure.denominator) == (
            got(key).numerator,
            got(key).denominator,
        ), f"{where}: {key}"


def check(selection: Selection, world: World, built, at: datetime, units) -> None:  # type: ignore[no-untyped-def]
    cases, _tasks = built
    tables = [ind.table(selection, by, at) for by in ind.DIMENSIONS]
    tables += [ind.by_unit(selection, at, level=level) for level in ind.LEVELS]
    for table in tables:
        for row in table.rows:
            members = [c for c in cases if in_selection(row.selection, c, units)]
            expected = naive.figures(
                members, tasks_in(row.selection, built, units), at, world.calendar
            )
            assert_equal(row.figures, expected, f"{table.by} {row.key}")
        members = [c for c in cases if in_selection(selection, c, units)]
        expected = naive.figures(members, tasks_in(selection, built, units), at, world.calendar)
        if table.by in ("month", "channel") or table.by == "unit":
            # every case of the selection falls in exactly one month and one channel; a
            # unit table's total is the selection's whole subtree
            assert_equal(table.total, expected, f"{table.by} total")
    assert_equal(ind.total(selection, at), expected, "total")
    # Each figure's drill-down is exactly the cases (or tasks) it counts.
    own_tasks = tasks_in(selection, built, units)
    for indicator in ind.indicators(at):
        for part in indicator.parts:
            subject, rows = ind.behind(selection, indicator.key, part, at)
            ids = set(rows.values_list("pk", flat=True))
            if subject == ind.CASE:
                wanted = naive.ids_behind(members, at, world.calendar, indicator.key, part)
            else:
                wanted = {
                    t.pk
                    for t, case in own_tasks
                    if (parts := naive.task_parts(t, case, at))
                    and parts[indicator.key][1]
                    and (part == "denominator" or parts[indicator.key][0])
                }
            assert ids == wanted, f"behind {indicator.key} {part}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(CASE, min_size=1, max_size=18),
    at_days=st.integers(min_value=0, max_value=150),
    month=st.integers(min_value=1, max_value=4),
)
def test_aggregates_equal_the_naive_computation(world: World, specs, at_days, month) -> None:  # type: ignore[no-untyped-def]
    units = {u.pk: u for u in Unit.objects.all()}
    at = BASE + timedelta(days=at_days, seconds=37)
    with transaction.atomic():
        built = build(world, specs)
        quarter = selection_for(world.boss, start="2025-01-01", end="2025-03-31")
        check(quarter, world, built, at, units)
        one_month = selection_for(world.boss, period=f"2025-{month:02d}")
        check(one_month, world, built, at, units)
        street = selection_for(world.street_leader, period=f"2025-{month:02d}")
        assert street.unit is not None and street.unit.code == world.tree.streets[0].code
        check(street, world, built, at, units)
        narrowed = selection_for(
            world.leader, start="2025-01-01", end="2025-03-31", category="T", channel="web"
        )
        check(narrowed, world, built, at, units)
        department = Selection(
            scope=scope_of(world.department_handler),
            period=Period.month(2025, month),
            unit=world.departments[0],
        )
        check(department, world, built, at, units)
        transaction.set_rollback(True)
