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
