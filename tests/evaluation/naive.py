"""The indicators computed the slow, obvious way: one case at a time, in Python, from
the words of docs/indicators.md. The aggregates of ``civicgrid.evaluation.indicators``
are held equal to this (``test_properties.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from civicgrid.cases.models import Case, WhistleTask
from civicgrid.cases.worktime import WorkCalendar

EXCLUDED = {"rejected", "merged"}
ACKNOWLEDGED = {"handling", "resolved", "follow_up", "closed"}
RESOLVED = {"resolved", "follow_up", "closed"}


@dataclass
class Tally:
    numerator: int = 0
    denominator: int = 0


def case_parts(case: Case, at: datetime, cal: WorkCalendar) -> dict[str, tuple[int, bool]]:
    """For each case indicator: (what the case adds to the numerator, whether it is in
    the denominator). Excluded cases are in nothing."""
    if case.state in EXCLUDED or case.excluded_by_appeal:
        return {}
    acknowledged = case.state in ACKNOWLEDGED and case.acknowledged_at is not None
    resolved = case.state in RESOLVED and case.resolved_at is not None
    parts: dict[str, tuple[int, bool]] = {}

    waiting_late = (
        case.state == "dispatched"
        and case.acknowledge_due is not None
        and case.acknowledge_due < at
    )
    in_time = acknowledged and (
        case.acknowledge_due is None or case.acknowledged_at <= case.acknowledge_due
    )
    parts["response"] = (int(in_time), acknowledged or waiting_late)

    worded = case.solved is not None
    parts["solved"] = (int(case.solved is True and case.state == "closed"), worded)

    rated = case.rating is not None
    parts["satisfaction"] = (int(rated and case.rating >= 4), rated)

    overdue = (
        not resolved
        and case.state in {"submitted", "dispatched", "returned", "handling"}
        and case.resolve_due is not None
        and case.resolve_due < at
    )
    on_time = resolved and (case.resolve_due is None or case.resolved_at <= case.resolve_due)
    parts["on_time"] = (int(on_time), resolved or overdue)

    ever_resolved = case.resolved_at is not None
    parts["reopen"] = (int(ever_resolved and case.reopens > 0), ever_resolved)

    unreachable = case.state == "closed" and case.unreachable
    parts["unreachable"] = (int(unreachable), worded or case.state == "closed")

    def seconds(start: datetime, end: datetime) -> int:
        return int(cal.between(start, end).total_seconds())

    parts["acknowledge_hours"] = (
        seconds(case.created_at, case.acknowledged_at) if acknowledged else 0,
        acknowledged,
    )
    parts["resolve_hours"] = (
        seconds(case.created_at, case.resolved_at) if resolved else 0,
        resolved,
    )
    return parts


def task_parts(task: WhistleTask, case: Case, at: datetime) -> dict[str, tuple[int, bool]]:
    if case.state in EXCLUDED or case.excluded_by_appeal:
        return {}
    checked = task.checked_in_at is not None
    late_silence = not checked and task.check_in_due < at and task.state != "returned"
    in_time = checked and task.checked_in_at <= task.check_in_due
    return {"check_in": (int(in_time), checked or late_silence)}


def figures(
    cases: Iterable[Case],
    tasks: Iterable[tuple[WhistleTask, Case]],
    at: datetime,
    cal: WorkCalendar,
) -> dict[str, Tally]:
    """Every indicator's numerator and denominator over ``cases`` and ``tasks`` (each
    with its case), plus the counted and the excluded cases."""
    found: dict[str, Tally] = {}
    for case in cases:
        if case.state in EXCLUDED:
            key = f"x_{case.state}"
        elif case.excluded_by_appeal:
            key = "x_appeal_upheld"
        else:
            key = "cases"
        found.setdefault(key, Tally()).numerator += 1
        for name, (add, counted) in case_parts(case, at, cal).items():
            tally = found.setdefault(name, Tally())
            if counted:
                tally.numerator += add
                tally.denominator += 1
    for task, case in tasks:
        for name, (add, counted) in task_parts(task, case, at).items():
            tally = found.setdefault(name, Tally())
            if counted:
                tally.numerator += add
                tally.denominator += 1
    return found


def ids_behind(
    cases: Iterable[Case],
    at: datetime,
    cal: WorkCalendar,
    key: str,
    part: str,
) -> set[int]:
    """The ids of the cases in one indicator's numerator or denominator."""
    found = set()
    for case in cases:
        parts = case_parts(case, at, cal)
        if key not in parts:
            continue
        add, counted = parts[key]
        if counted and (part == "denominator" or add):
            found.add(case.pk)
    return found


# --- the same definitions as one plain SQL statement (the benchmark's reference) ------------
#
# At millions of cases one Python call per case takes minutes; ``bench/rankings.py``
# compares the aggregates with this instead: one statement over the case table, written
# from the words of docs/indicators.md as ``case_parts`` is, with the working calendar
# joined as rows (``evaluation_workingday``) rather than looked up by a subquery. The
# property tests hold it equal to ``figures`` too.

CASE_KEYS = (
    "response",
    "solved",
    "satisfaction",
    "on_time",
    "reopen",
    "unreachable",
    "acknowledge_hours",
    "resolve_hours",
)


def _local(vendor: str, column: str, tz: str) -> tuple[str, str, str]:
    """SQL for ``column``'s local date, seconds since local midnight and ``YYYY-MM``."""
    if vendor == "postgresql":
        local = f"({column} AT TIME ZONE '{tz}')"
        return (
            f"CAST({local} AS date)",
            f"CAST(floor(extract(epoch FROM CAST({local} AS time))) AS bigint)",
            f"to_char({local}, 'YYYY-MM')",
        )
    # SQLite keeps UTC text; the zone's offset, fixed (a zone without daylight saving)
    offset = _offset_seconds(tz)
    shifted = f"{column}, '{offset:+d} seconds'"
    return (
        f"date({shifted})",
        f"(CAST(strftime('%%H', {shifted}) AS INTEGER) * 3600"
        f" + CAST(strftime('%%M', {shifted}) AS INTEGER) * 60"
        f" + CAST(strftime('%%S', {shifted}) AS INTEGER))",
        f"strftime('%%Y-%%m', {shifted})",
    )


def _offset_seconds(tz: str) -> int:
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    january, july = dt(2025, 1, 1, tzinfo=zone), dt(2025, 7, 1, tzinfo=zone)
    assert january.utcoffset() == july.utcoffset(), "a zone with daylight saving time"
    offset = january.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _position(vendor: str, column: str, alias: str, cal: WorkCalendar) -> tuple[str, str]:
    """(a join of the working day of ``column``, its position on the calendar)."""
    day, into, _month = _local(vendor, column, str(cal.tz))
    parts = []
    for start, end in cal.hours.periods:
        begins = start.hour * 3600 + start.minute * 60 + start.second
        length = end.hour * 3600 + end.minute * 60 + end.second - begins
        parts.append(
            f"CASE WHEN {into} - {begins} < 0 THEN 0 WHEN {into} - {begins} > "
            f"{length} THEN {length} ELSE {into} - {begins} END"
        )
    worked = " + ".join(parts)
    join = f"LEFT JOIN evaluation_workingday {alias} ON {alias}.date = {day}"
    return join, f"({alias}.before + CASE WHEN {alias}.working THEN {worked} ELSE 0 END)"


def sql_tally(  # type: ignore[no-untyped-def]
    connection,
    start: datetime,
    end: datetime,
    at: datetime,
    cal: WorkCalendar,
    group: str,
    owner_path: str | None = None,
) -> dict[object, dict[str, int]]:
    """Every case figure of the cases submitted in [start, end), by ``group``
    (``owner``: the owner unit's id, ``month``: ``YYYY-MM`` of submission), optionally
    only of the units below ``owner_path``: the raw counts and sums by name (``cases``,
    ``x_rejected`` …, ``n_response``, ``d_response`` …)."""
    vendor = connection.vendor
    ops = connection.ops
    tz = str(cal.tz)
    join_c, pos_c = _position(vendor, "c.created_at", "wc", cal)
    join_a, pos_a = _position(vendor, "c.acknowledged_at", "wa", cal)
    join_r, pos_r = _position(vendor, "c.resolved_at", "wr", cal)
    month = _local(vendor, "c.created_at", tz)[2]
    key = {"owner": "c.owner_unit_id", "month": month}[group]
    ok = "(c.state NOT IN ('rejected', 'merged') AND NOT c.excluded_by_appeal)"
    acked = (
        f"({ok} AND c.state IN ('handling', 'resolved', 'follow_up', 'closed')"
        " AND c.acknowledged_at IS NOT NULL)"
    )
    resolved = (
        f"({ok} AND c.state IN ('resolved', 'follow_up', 'closed') AND c.resolved_at IS NOT NULL)"
    )
    worded = f"({ok} AND c.solved IS NOT NULL)"
    parts = {
        "cases": ok,
        "x_rejected": "c.state = 'rejected'",
        "x_merged": "c.state = 'merged'",
        "x_appeal_upheld": "(c.excluded_by_appeal AND c.state NOT IN ('rejected', 'merged'))",
        "n_response": f"({acked} AND (c.acknowledge_due IS NULL"
        " OR c.acknowledged_at <= c.acknowledge_due))",
        "d_response": f"({acked} OR ({ok} AND c.state = 'dispatched'"
        " AND c.acknowledge_due < %(at)s))",
        "n_solved": f"({worded} AND c.solved AND c.state = 'closed')",
        "d_solved": worded,
        "n_satisfaction": f"({ok} AND c.rating >= 4)",
        "d_satisfaction": f"({ok} AND c.rating IS NOT NULL)",
        "n_on_time": f"({resolved} AND (c.resolve_due IS NULL OR c.resolved_at <= c.resolve_due))",
        "d_on_time": f"({resolved} OR ({ok} AND c.state IN ('submitted', 'dispatched',"
        " 'returned', 'handling') AND c.resolve_due < %(at)s))",
        "n_reopen": f"({ok} AND c.resolved_at IS NOT NULL AND c.reopens > 0)",
        "d_reopen": f"({ok} AND c.resolved_at IS NOT NULL)",
        "n_unreachable": f"({ok} AND c.state = 'closed' AND c.unreachable)",
        "d_unreachable": f"({worded} OR ({ok} AND c.state = 'closed'))",
        "d_acknowledge_hours": acked,
        "d_resolve_hours": resolved,
    }
    counts = [f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}" for name, cond in parts.items()]

    def span(condition: str, end_position: str) -> str:
        gap = f"{end_position} - {pos_c}"
        return f"SUM(CASE WHEN {condition} THEN CASE WHEN {gap} > 0 THEN {gap} ELSE 0 END END)"

    sums = [
        f"{span(acked, pos_a)} AS n_acknowledge_hours",
        f"{span(resolved, pos_r)} AS n_resolve_hours",
    ]
    where = "c.created_at >= %(start)s AND c.created_at < %(end)s"
    join_o = ""
    if owner_path is not None:
        join_o = "JOIN org_unit o ON o.id = c.owner_unit_id"
        where += " AND o.path LIKE %(path)s"
    sql = (
        f"SELECT {key} AS k, {', '.join(counts + sums)} FROM cases_case c "
        f"{join_o} {join_c} {join_a} {join_r} WHERE {where} GROUP BY {key}"
    )
    params = {
        "start": ops.adapt_datetimefield_value(start),
        "end": ops.adapt_datetimefield_value(end),
        "at": ops.adapt_datetimefield_value(at),
        "path": f"{owner_path}%",
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return {
            row[0]: {name: int(value or 0) for name, value in zip(names[1:], row[1:], strict=True)}
            for row in cursor.fetchall()
        }


def sql_task_tally(  # type: ignore[no-untyped-def]
    connection, start: datetime, end: datetime, at: datetime
) -> dict[object, dict[str, int]]:
    """The check-in rate's counts by department, of the tasks of the cases submitted in
    [start, end)."""
    ops = connection.ops
    ok = "(c.state NOT IN ('rejected', 'merged') AND NOT c.excluded_by_appeal)"
    checked = f"({ok} AND t.checked_in_at IS NOT NULL)"
    sql = (
        "SELECT t.department_id, "
        f"SUM(CASE WHEN {checked} AND t.checked_in_at <= t.check_in_due THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {checked} OR ({ok} AND t.checked_in_at IS NULL"
        " AND t.check_in_due < %(at)s AND t.state <> 'returned') THEN 1 ELSE 0 END) "
        "FROM cases_whistletask t JOIN cases_case c ON c.id = t.case_id "
        "WHERE c.created_at >= %(start)s AND c.created_at < %(end)s GROUP BY t.department_id"
    )
    params = {
        "start": ops.adapt_datetimefield_value(start),
        "end": ops.adapt_datetimefield_value(end),
        "at": ops.adapt_datetimefield_value(at),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            department: {"n_check_in": int(n or 0), "d_check_in": int(d or 0)}
            for department, n, d in cursor.fetchall()
        }
