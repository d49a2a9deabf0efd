"""Figures stay exact when a case changes after its month: a late rating (closing the
case, or reopening it by the district's policy), a reopen, an upheld appeal and a
back-dated correction of its times. After each change the indicators' aggregates
equal both naive computations: the one-case-at-a-time Python (``naive.figures``) and
the plain SQL statement ``bench/rankings.py`` compares with at millions of cases
(``naive.sql_tally``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.models import Case, State
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import Period, selection_for
from civicgrid.org.models import STREET_KINDS, Unit
from tests.evaluation import naive
from tests.evaluation.conftest import World
from tests.evaluation.test_properties import BASE, CASE, build, in_selection

INDEX = st.integers(min_value=0, max_value=100)
CHANGE = st.one_of(
    # the resident's word arrives late (days after the month): closed, or back to
    # handling when it is "not solved" or 1–2 stars (the default policy)
    st.tuples(
        st.just("rate"),
        INDEX,
        st.integers(min_value=1, max_value=5),
        st.booleans(),
        st.integers(min_value=0, max_value=60 * 86400),
    ),
    # a dispatcher or leader reopens a resolved or closed case
    st.tuples(st.just("reopen"), INDEX),
    # the district upholds the unit's appeal
    st.tuples(st.just("appeal"), INDEX),
    # a correction moves the submission (and the times that follow it) back in time,
    # possibly into the month before
    st.tuples(st.just("backdate"), INDEX, st.integers(min_value=1, max_value=40 * 86400)),
    # a correction of the acknowledge or resolve time alone
    st.tuples(
        st.just("retime"),
        INDEX,
        st.sampled_from(["acknowledged_at", "resolved_at"]),
        st.integers(min_value=-3 * 86400, max_value=3 * 86400),
    ),
)


def apply(case: Case, change: tuple) -> None:  # type: ignore[type-arg]
    """The columns the transition (or correction) writes, as ``cases.rules`` writes them."""
    kind = change[0]
    if kind == "rate":
        _kind, _index, rating, solved, _delay = change
        if case.state not in (State.RESOLVED, State.FOLLOW_UP, State.CLOSED):
            return
        case.rating, case.solved = rating, solved
        if not solved or rating <= 2:
            case.state, case.reopens = State.HANDLING, case.reopens + 1
        else:
            case.state = State.CLOSED
        case.unreachable = False
    elif kind == "reopen":
        if case.state not in (State.RESOLVED, State.FOLLOW_UP, State.CLOSED):
            return
        case.state, case.reopens, case.unreachable = State.HANDLING, case.reopens + 1, False
    elif kind == "appeal":
        case.excluded_by_appeal = True
    elif kind == "backdate":
        shift = timedelta(seconds=change[2])
        for name in ("created_at", "acknowledge_due", "acknowledged_at", "resolve_due"):
            if getattr(case, name) is not None:
                setattr(case, name, getattr(case, name) - shift)
        if case.resolved_at is not None:
            case.resolved_at -= shift
    else:
        _kind, _index, column, seconds = change
        if getattr(case, column) is not None:
            setattr(case, column, getattr(case, column) + timedelta(seconds=seconds))
    case.save()


def check(world: World, at: datetime, units: dict[int, Unit], month: int) -> None:
    cases = list(Case.objects.all())
    selection = selection_for(world.boss, period=f"2025-{month:02d}")
    streets = ind.by_unit(selection, at, level="street")
    for row in streets.rows:
        members = [c for c in cases if in_selection(row.selection, c, units)]
        expected = naive.figures(members, [], at, world.calendar)
        for key in ("cases", *ind.INDICATOR_KEYS):
            figure = row.figures.cases if key == "cases" else row.figures[key]
            got = (figure,) if key == "cases" else (figure.numerator, figure.denominator)
            tally = expected.get(key, naive.Tally())
            want = (tally.numerator,) if key == "cases" else (tally.numerator, tally.denominator)
            if key != "check_in":
                assert got == want, f"street {row.key}: {key}"
    # the benchmark's reference, by owner and rolled up, equals the aggregates too
    start, end = Period.month(2025, month).bounds()
    by_owner = naive.sql_tally(connection, start, end, at, world.calendar, "owner")
    for row in streets.rows:
        assert row.unit is not None
        total: dict[str, int] = {}
        for pk, unit in units.items():
            if unit.path.startswith(row.unit.path):
                for name, value in by_owner.get(pk, {}).items():
                    total[name] = total.get(name, 0) + value
        assert row.figures.cases == total.get("cases", 0), f"sql {row.key}: cases"
        for key in ind.INDICATOR_KEYS:
            if key == "check_in":
                continue
            figure = row.figures[key]
            want = (total.get(f"n_{key}", 0), total.get(f"d_{key}", 0))
            assert (figure.numerator, figure.denominator) == want, f"sql {row.key}: {key}"
    # and a street's months, as the trend shows them
    street = next(u for u in units.values() if u.kind in STREET_KINDS)
    trend = selection_for(world.boss, unit=street.code, start="2024-12-01", end="2025-04-30")
    by_month = naive.sql_tally(
        connection, *trend.period.bounds(), at, world.calendar, "month", owner_path=street.path
    )
    for row in ind.by_month(trend, at).rows:
        found = by_month.get(row.key, {})
        assert row.figures.cases == found.get("cases", 0), f"month {row.key}"
        for key in ("response", "on_time", "satisfaction", "resolve_hours"):
            figure = row.figures[key]
            want = (found.get(f"n_{key}", 0), found.get(f"d_{key}", 0))
            assert (figure.numerator, figure.denominator) == want, f"month {row.key}: {key}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(CASE, min_size=1, max_size=12),
    changes=st.lists(CHANGE, min_size=1, max_size=6),
    month=st.integers(min_value=1, max_value=3),
)
def test_figures_stay_exact_under_late_changes(world: World, specs, changes, month) -> None:  # type: ignore[no-untyped-def]
    units = {u.pk: u for u in Unit.objects.all()}
    with transaction.atomic():
        cases, _tasks = build(world, specs)
        at = BASE + timedelta(days=100)
        check(world, at, units, month)
        for change in changes:
            case = Case.objects.get(pk=cases[change[1] % len(cases)].pk)
            apply(case, change)
            if change[0] == "rate":
                at = max(at, case.created_at + timedelta(seconds=change[4]))
            check(world, at, units, month)
        transaction.set_rollback(True)
