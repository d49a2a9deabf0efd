"""The working seconds a case keeps (``Case.acknowledge_seconds``, ``resolve_seconds``):
written by the transitions that acknowledge and resolve, equal to the SQL count on the
working-day table (to the whole second, microseconds and the Spring Festival included),
left aside by the figures when the calendar changes and rebuilt by
``civicgrid working-seconds``."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases import actions
from civicgrid.cases.deadlines import clear_calendar, working_seconds
from civicgrid.cases.models import CalendarDay, Case
from civicgrid.evaluation import hours
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.models import WorkingDayTable
from civicgrid.evaluation.selection import selection_for
from tests.cases.conftest import Staff
from tests.evaluation.conftest import World, local
from tests.evaluation.test_lifecycle import FRIDAY_EVENING, MONDAY, at, dispatched, march
from tests.factories import case_as_it_stands

START = local(2025, 1, 15)  # the Spring Festival and its make-up days ahead
SPAN = 30 * 86400


def computed(pks: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """Each case's working seconds to acknowledge and to resolve, by the SQL count."""
    hours.ensure_table(date(2024, 12, 1), date(2025, 12, 31))
    rows = Case.objects.filter(pk__in=pks).annotate(
        a=hours.working_seconds("created_at", "acknowledged_at"),
        r=hours.working_seconds("created_at", "resolved_at"),
    )
    return {pk: (a, r) for pk, a, r in rows.values_list("pk", "a", "r")}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pairs=st.lists(
        st.tuples(st.integers(0, SPAN), st.integers(0, SPAN), st.integers(0, 999_999)),
        min_size=1,
        max_size=12,
    )
)
def test_the_python_count_equals_the_sql_count(world: World, pairs) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        rows = Case.objects.bulk_create(
            case_as_it_stands(
                world.tree.district,
                START + timedelta(seconds=a, microseconds=micro),
                acknowledged_at=START + timedelta(seconds=b, microseconds=999_999 - micro),
            )
            for a, b, micro in pairs
        )
        found = computed([c.pk for c in rows])
        for case in rows:
            assert found[case.pk][0] == working_seconds(case.created_at, case.acknowledged_at), (
                case.created_at,
                case.acknowledged_at,
            )
        transaction.set_rollback(True)


def test_the_transitions_write_them_and_the_figures_sum_them(staff: Staff) -> None:
    case = dispatched(staff, FRIDAY_EVENING + timedelta(microseconds=250_000))
    assert (case.acknowledge_seconds, case.resolve_seconds) == (None, None)
    case = at(
        MONDAY.replace(hour=9, second=7),
        actions.acknowledge_case,
        case,
        actor=staff.community_handler,
    )
    case = at(
        MONDAY.replace(hour=14, minute=3, microsecond=5),
        actions.resolve_case,
        case,
        actor=staff.community_handler,
        reply="已清理完毕",
    )
    case.refresh_from_db()
    # Friday 17:00–17:30, Monday 08:30–09:00:07: 1 h 7 s; to 14:03: 3.5 h + 33 min
    assert case.acknowledge_seconds == 3600 + 7
    assert case.resolve_seconds == 30 * 60 + 3.5 * 3600 + 33 * 60
    assert computed([case.pk])[case.pk] == (case.acknowledge_seconds, case.resolve_seconds)
    assert hours.stored_current()
    # The figures read the stored columns: a stored value is what they sum.
    Case.objects.filter(pk=case.pk).update(resolve_seconds=3600)
    assert march(staff).total["resolve_hours"] == ind.Figure(ind.HOURS, 3600, 1)
    # A stored value missing (a row from before them): computed for that case.
    Case.objects.filter(pk=case.pk).update(resolve_seconds=None)
    assert march(staff).total["resolve_hours"].numerator == case.resolve_seconds


def test_the_sums_read_the_stored_columns_alone_and_the_rows_without_them_apart(
    staff: Staff,
) -> None:
    """The month's aggregate holds no lookup of the calendar (one per case kept
    PostgreSQL from aggregating in parallel: 744 ms against 469 ms for a month at 10 M
    cases); the cases without stored seconds are summed by a query of their own."""
    case = dispatched(staff, FRIDAY_EVENING)
    at(MONDAY.replace(hour=9), actions.acknowledge_case, case, actor=staff.community_handler)
    march(staff)  # (the calendar's table built)
    assert hours.stored_current()
    with CaptureQueriesContext(connection) as queries:
        assert march(staff).total["acknowledge_hours"] == ind.Figure(ind.HOURS, 3600, 1)
    sums = [q["sql"] for q in queries.captured_queries if '"acknowledge_seconds"' in q["sql"]]
    assert len(sums) == 2, sums
    whole, apart = sums
    assert "evaluation_workingday" not in whole
    assert "evaluation_workingday" in apart and '"acknowledge_seconds" IS NULL' in apart


def test_a_calendar_change_sets_them_aside_until_they_are_rebuilt(staff: Staff) -> None:
    case = dispatched(staff, FRIDAY_EVENING)
    case = at(MONDAY.replace(hour=9), actions.acknowledge_case, case, actor=staff.community_handler)
    assert case.acknowledge_seconds == 3600
    assert march(staff).total["acknowledge_hours"] == ind.Figure(ind.HOURS, 3600, 1)
    # The district declares that Monday a day off: the case's hour falls on Tuesday.
    CalendarDay.objects.create(date=MONDAY.date(), working=False, note="测试调休")
    clear_calendar()
    assert march(staff).total["acknowledge_hours"] == ind.Figure(ind.HOURS, 30 * 60, 1)
    assert not hours.stored_current()
    out = StringIO()
    call_command("working_seconds", "--check", stdout=out)
    assert "stale" in out.getvalue()
    call_command("working_seconds", stdout=out)
    assert hours.stored_current()
    case.refresh_from_db()
    assert case.acknowledge_seconds == 30 * 60
    assert march(staff).total["acknowledge_hours"] == ind.Figure(ind.HOURS, 30 * 60, 1)
    stamp = WorkingDayTable.objects.get()
    assert stamp.seconds_signature == stamp.signature


def test_the_rebuild_fills_the_rows_written_without_them(world: World) -> None:
    rows = Case.objects.bulk_create(
        [
            case_as_it_stands(
                world.tree.district,
                START,
                acknowledged_at=START + timedelta(days=3),
                resolved_at=START + timedelta(days=20),
            ),
            case_as_it_stands(world.tree.district, START, acknowledge_seconds=99),
        ]
    )
    call_command("working_seconds", "--batch", "1", stdout=StringIO())
    first, second = (Case.objects.get(pk=c.pk) for c in rows)
    assert (first.acknowledge_seconds, first.resolve_seconds) == computed([first.pk])[first.pk]
    assert first.resolve_seconds is not None and first.resolve_seconds > 0
    # no acknowledgment, no seconds
    assert (second.acknowledge_seconds, second.resolve_seconds) == (None, None)
    selection = selection_for(world.boss, period="2025-01")
    assert ind.total(selection, START + timedelta(days=40))["resolve_hours"].numerator == 0
