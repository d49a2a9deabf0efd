"""Working hours in SQL equal the working calendar's own count (``WorkCalendar.between``),
across weekends, the Spring Festival and its make-up working days, and the district's
own days; the table follows the calendar when it changes."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.deadlines import calendar, clear_calendar
from civicgrid.cases.models import CalendarDay, Case
from civicgrid.evaluation import hours
from civicgrid.evaluation.models import WorkingDay, WorkingDayTable
from tests.evaluation.conftest import World, local
from tests.factories import case_as_it_stands

# From mid-January to mid-February 2025: the Spring Festival (28 Jan – 4 Feb off) and
# its make-up working days (Sunday 26 Jan, Saturday 8 Feb).
START = local(2025, 1, 15)
SPAN = 30 * 86400


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pairs=st.lists(st.tuples(st.integers(0, SPAN), st.integers(0, SPAN)), min_size=1, max_size=12)
)
def test_sql_working_seconds_equal_the_calendar(world: World, pairs) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        rows = Case.objects.bulk_create(
            case_as_it_stands(
                world.tree.district,
                START + timedelta(seconds=a),
                acknowledged_at=START + timedelta(seconds=b),
            )
            for a, b in pairs
        )
        found = dict(
            Case.objects.filter(pk__in=[c.pk for c in rows])
            .annotate(w=hours.working_seconds("created_at", "acknowledged_at"))
            .values_list("pk", "w")
        )
        for case in rows:
            expected = world.calendar.between(case.created_at, case.acknowledged_at)
            assert found[case.pk] == int(expected.total_seconds()), (
                case.created_at,
                case.acknowledged_at,
            )
        transaction.set_rollback(True)


def test_the_table_is_rebuilt_when_the_calendar_changes(world: World) -> None:
    stamp = WorkingDayTable.objects.get()
    monday = date(2025, 3, 10)
    assert WorkingDay.objects.get(date=monday).working
    # Unchanged: nothing is rebuilt (one small query).
    hours.ensure_table(date(2025, 1, 1), date(2025, 6, 30))
    assert WorkingDayTable.objects.get().built_at == stamp.built_at
    # A day off declared by the district.
    CalendarDay.objects.create(date=monday, working=False)
    clear_calendar()
    hours.ensure_table(date(2025, 1, 1), date(2025, 6, 30))
    assert not WorkingDay.objects.get(date=monday).working
    assert WorkingDayTable.objects.get().signature == hours.signature(calendar())
    tuesday = WorkingDay.objects.get(date=monday + timedelta(days=1))
    assert tuesday.before == WorkingDay.objects.get(date=monday).before


def test_the_table_reaches_back_for_an_old_period(world: World) -> None:
    assert WorkingDayTable.objects.get().first > date(2010, 1, 1)
    hours.ensure_table(date(2010, 1, 1), date(2010, 1, 31))
    table = WorkingDayTable.objects.get()
    assert table.first <= date(2010, 1, 1)
    assert WorkingDay.objects.filter(date=date(2010, 1, 4)).exists()
    assert WorkingDay.objects.count() == (table.last - table.first).days + 1
