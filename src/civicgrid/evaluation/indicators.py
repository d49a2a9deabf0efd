"""The indicators (效果共评): their definitions as data, and one family of functions that
computes them with aggregates.

Each ``Indicator`` is a numerator and a denominator written as conditions on a case's
columns (or a whistle task's), with the sentence that defines it; the pages, the API
and docs/indicators.md (``evaluation.doc``) all show that same sentence. A figure is
always its numerator and denominator, never a bare percentage, and its cases are the
rows matching the condition (``behind``), so every figure drills down to them.

``tally`` computes every indicator for a set of cases in one query: conditional counts
(``Count(…, filter=…)``) and sums of working hours (``evaluation.hours``), grouped by
one dimension. Numerators and denominators add up, so a street's figures are the sum
of its units' (``by_unit`` rolls up in Python from one query grouped by owner unit),
and so will a ranking's or a frozen monthly snapshot's be.

The rules behind the definitions (see docs/indicators.md):

* a case counts to the **month it was submitted** in, and to the **unit that owns it**
  now (for a closed case: the owner at its close) and every unit above; a department
  also answers for its **whistle tasks** (the check-in rate);
* rejected requests, merged duplicates and cases of upheld appeals count nowhere and
  are listed apart (``EXCLUSIONS``);
* "now" (``at``) decides only whether a deadline has passed: a case still within its
  deadline is pending and leaves that denominator until it is decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import (
    SECONDS_MISSING,
    TASKS_COPY_OF_CASE,
    Channel,
    State,
    TaskState,
)
from civicgrid.errors import Invalid
from civicgrid.evaluation import hours
from civicgrid.evaluation.selection import Period, Selection, UnitRow
from civicgrid.org.models import COMMUNITY_KINDS, STREET_KINDS, Unit, UnitKind

CASE = "case"
TASK = "task"
RATE = "rate"
HOURS = "hours"

# 5 非常满意, 4 满意, 3 基本满意, 1–2 不满意: "satisfied or better" is 4 stars or more.
SATISFIED_AT_LEAST = 4
ACKNOWLEDGED_STATES = (State.HANDLING, State.RESOLVED, State.FOLLOW_UP, State.CLOSED)
RESOLVED_STATES = (State.RESOLVED, State.FOLLOW_UP, State.CLOSED)
UNRESOLVED_STATES = (State.SUBMITTED, State.DISPATCHED, State.RETURNED, State.HANDLING)
EXCLUDED_STATES = (State.REJECTED, State.MERGED)


# --- hooks for the later points of issue #15 ------------------------------------------------


def unreachable() -> Q:
    """The cases closed because the resident could not be reached: every follow-up call
    the district's policy allows went unanswered (``Case.unreachable``, set by the
    follow-up call that closes the case, cleared when it is reopened). A case closed by
    hand without the resident's word is not one of them. A condition on the case's own
    columns, so the figures remain one pass over a month's cases (a condition on the
    event log here made PostgreSQL scan every event)."""
    return Q(state=State.CLOSED, unreachable=True)


def upheld_appeal() -> Q:
    """The cases whose unit's appeal the district upheld (申诉), excluded from every
    figure. A column of the case (``excluded_by_appeal``, written by
    ``evaluation.actions.uphold_appeal`` with the appeal's event), not a condition on
    the appeals' table: the figures stay one pass over a month's cases. A case already
    left out as rejected or merged is counted there, not here."""
    return Q(excluded_by_appeal=True) & ~Q(state__in=EXCLUDED_STATES)


# --- definitions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """Cases that count in no figure, listed apart with their number."""

    key: str
    name: Promise
    description: Promise
    condition: Q | None  # None: not possible yet (the hook returns nothing)


def exclusions() -> tuple[Exclusion, ...]:
    return (
        Exclusion(
            "rejected",
            _("rejected as invalid"),
            _(
                "Requests rejected as not for the government to handle (不予受理) count in "
                "no figure; their number is shown beside the figures."
            ),
            Q(state=State.REJECTED),
        ),
        Exclusion(
            "merged",
            _("merged duplicates"),
            _(
                "A duplicate merged into another case counts in no figure: the case it was "
                "merged into carries the request once."
            ),
            Q(state=State.MERGED),
        ),
        Exclusion(
            "appeal_upheld",
            _("upheld appeals"),
            _(
                "A case whose unit appealed before the month closed and had the appeal "
                "upheld by the district (not its responsibility, an unreasonable demand, "
                "a duplicate) counts in no figure, nor do its whistle tasks."
            ),
            upheld_appeal(),
        ),
    )


def counted() -> Q:
    """The cases that count: not rejected, not merged, no upheld appeal."""
    return ~Q(state__in=EXCLUDED_STATES) & ~Q(excluded_by_appeal=True)


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``numerator`` over ``denominator`` (conditions on the rows of its
    ``subject``, exclusions included), or for ``HOURS`` the mean working hours of
    ``span`` (from one column to another) over the denominator's rows."""

    key: str
    name: Promise
    subject: str  # CASE or TASK
    kind: str  # RATE or HOURS
    denominator: Q
    description: Promise
    numerator_label: Promise
    denominator_label: Promise
    numerator: Q | None = None
    span: tuple[str, str] | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts a figure drills down to (a mean's numerator is hours, not cases)."""
        return ("numerator", "denominator") if self.kind == RATE else ("denominator",)

    def condition(self, part: str) -> Q:
        if part == "numerator" and self.numerator is not None:
            return self.numerator
        return self.denominator


def indicators(at: datetime | None = None) -> tuple[Indicator, ...]:
    """Every indicator, as it stands at ``at`` (default now: whether a deadline has
    passed). Built per call, like the queues: "now" moves."""
    at = at or timezone.now()
    ok = counted()
    acknowledged = ok & Q(state__in=ACKNOWLEDGED_STATES, acknowledged_at__isnull=False)
    resolved = ok & Q(state__in=RESOLVED_STATES, resolved_at__isnull=False)
    worded = ok & Q(solved__isnull=False)
    task_ok = ~Q(case__state__in=EXCLUDED_STATES) & ~Q(case__excluded_by_appeal=True)
    checked_in = task_ok & Q(checked_in_at__isnull=False)
    return (
        Indicator(
            "response",
            _("response rate"),
            CASE,
            RATE,
            numerator=acknowledged
            & (Q(acknowledge_due__isnull=True) | Q(acknowledged_at__lte=F("acknowledge_due"))),
            denominator=acknowledged | ok & Q(state=State.DISPATCHED, acknowledge_due__lt=at),
            description=_(
                "Of the cases due to be acknowledged, the share acknowledged by their "
                "acknowledge deadline. A case is due once its unit has acknowledged it, or "
                "once it has waited at its unit past the deadline; a case still within its "
                "deadline is pending and not counted yet. A case escalated or returned and "
                "dispatched again counts against its latest deadline."
            ),
            numerator_label=_("acknowledged by the deadline"),
            denominator_label=_("due to be acknowledged"),
        ),
        Indicator(
            "solved",
            _("solved rate"),
            CASE,
            RATE,
            numerator=worded & Q(solved=True, state=State.CLOSED),
            denominator=worded,
            description=_(
                "Of the cases whose resident gave their word at follow-up, the share "
                "solved: the resident said it is solved and the case was not reopened "
                "since. A resident who could not be reached gives no word: the case "
                "leaves this denominator and is counted under the unreachable rate."
            ),
            numerator_label=_("solved, in the resident's words"),
            denominator_label=_("with the resident's word"),
        ),
        Indicator(
            "satisfaction",
            _("satisfaction rate"),
            CASE,
            RATE,
            numerator=ok & Q(rating__gte=SATISFIED_AT_LEAST),
            denominator=ok & Q(rating__isnull=False),
            description=_(
                "Of the rated cases, the share rated satisfied or better: 4 or 5 stars "
                "(5 very satisfied, 4 satisfied, 3 basically satisfied, 1 and 2 "
                "dissatisfied). A case rated again counts with its latest rating."
            ),
            numerator_label=_("rated 4 or 5 stars"),
            denominator_label=_("rated"),
        ),
        Indicator(
            "on_time",
            _("on-time closure rate"),
            CASE,
            RATE,
            numerator=resolved
            & (Q(resolve_due__isnull=True) | Q(resolved_at__lte=F("resolve_due"))),
            denominator=resolved | ok & Q(state__in=UNRESOLVED_STATES, resolve_due__lt=at),
            description=_(
                "Of the cases due to be resolved, the share resolved by their resolve "
                "deadline. A case is due once it is resolved, or once its resolve deadline "
                "has passed while it is unresolved; a reopened case is unresolved again, "
                "and its latest resolution counts. A case fixed on the spot had no "
                "deadline and counts as resolved on time."
            ),
            numerator_label=_("resolved by the deadline"),
            denominator_label=_("due to be resolved"),
        ),
        Indicator(
            "reopen",
            _("reopen rate"),
            CASE,
            RATE,
            numerator=ok & Q(resolved_at__isnull=False, reopens__gt=0),
            denominator=ok & Q(resolved_at__isnull=False),
            description=_(
                "Of the cases resolved at least once, the share reopened at least once: "
                "the verification failed, the resident said it is not solved, or a "
                "dispatcher or leader reopened it."
            ),
            numerator_label=_("reopened at least once"),
            denominator_label=_("resolved at least once"),
        ),
        Indicator(
            "unreachable",
            _("unreachable rate"),
            CASE,
            RATE,
            numerator=ok & unreachable(),
            denominator=worded | ok & Q(state=State.CLOSED),
            description=_(
                "Of the cases whose follow-up is over (the resident gave their word, or "
                "the case was closed), the share closed because the resident could not be "
                "reached: every follow-up call the district's policy allows went "
                "unanswered. Without the resident's word these cases are left out of the "
                "solved rate, and shown here."
            ),
            numerator_label=_("closed, resident unreachable"),
            denominator_label=_("follow-up over"),
        ),
        Indicator(
            "acknowledge_hours",
            _("mean working hours to acknowledge"),
            CASE,
            HOURS,
            denominator=acknowledged,
            span=("created_at", "acknowledged_at"),
            description=_(
                "Mean working hours from submission to acknowledgment, over the cases "
                "acknowledged (as counted by the response rate). Working hours count on "
                "the district's working calendar; they include the time the case waited "
                "for triage and dispatch."
            ),
            numerator_label=_("working hours, summed"),
            denominator_label=_("acknowledged cases"),
        ),
        Indicator(
            "resolve_hours",
            _("mean working hours to resolve"),
            CASE,
            HOURS,
            denominator=resolved,
            span=("created_at", "resolved_at"),
            description=_(
                "Mean working hours from submission to the latest resolution, over the "
                "cases resolved and not reopened since, on the district's working calendar."
            ),
            numerator_label=_("working hours, summed"),
            denominator_label=_("resolved cases"),
        ),
        Indicator(
            "check_in",
            _("check-in rate"),
            TASK,
            RATE,
            numerator=checked_in & Q(checked_in_at__lte=F("check_in_due")),
            denominator=checked_in
            | task_ok
            & Q(checked_in_at__isnull=True, check_in_due__lt=at)
            & ~Q(state=TaskState.RETURNED),
            description=_(
                "For a department: of its whistle tasks due to check in, the share checked "
                "in by the check-in deadline. A task is due once checked in, or once its "
                "deadline has passed without a check-in; a task returned before checking "
                "in (not the department's matter) is not counted."
            ),
            numerator_label=_("checked in by the deadline"),
            denominator_label=_("due to check in"),
        ),
    )


INDICATOR_KEYS = tuple(i.key for i in indicators())
KINDS = {i.key: i.kind for i in indicators()}
EXCLUSION_KEYS = tuple(e.key for e in exclusions())
CASES = "cases"  # the figure of the cases that count
FIGURES = (CASES, *INDICATOR_KEYS, *EXCLUSION_KEYS)
UNITS_DESCRIPTION = _(
    "Each case counts to the month it was submitted in and to the unit that owns it "
    "now (a closed case: the unit that closed it), and so to every unit above: a "
    "street's figures are those of its own cases, its communities' and their grids'. A "
    "department answers for the cases it owns and, in the check-in rate, for its "
    "whistle tasks."
)


def indicator(key: str, at: datetime | None = None) -> Indicator:
    found = next((i for i in indicators(at) if i.key == key), None)
    if found is None:
        raise Invalid(_("Unknown indicator: %(key)s") % {"key": key})
    return found


# --- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A numerator over a denominator: cases over cases (``RATE``), or working seconds
    summed over cases (``HOURS``)."""

    kind: str
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The rate (0–1) or the mean working hours; None without a denominator."""
        if not self.denominator:
            return None
        if self.kind == HOURS:
            return self.numerator / 3600 / self.denominator
        return self.numerator / self.denominator

    @property
    def numerator_hours(self) -> float:
        return self.numerator / 3600

    def __add__(self, other: Figure) -> Figure:
        return Figure(
            self.kind, self.numerator + other.numerator, self.denominator + other.denominator
        )


@dataclass(frozen=True)
class Figures:
    """Every indicator's figure over one set of cases (a row of a table), with how many
    cases count and how many were left out, by exclusion."""

    cases: int
    excluded: dict[str, int]
    figures: dict[str, Figure]

    @classmethod
    def zero(cls) -> Figures:
        return cls(
            0,
            {key: 0 for key in EXCLUSION_KEYS},
            {key: Figure(kind, 0, 0) for key, kind in KINDS.items()},
        )

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.cases + other.cases,
            {k: v + other.excluded.get(k, 0) for k, v in self.excluded.items()},
            {k: v + other.figures[k] for k, v in self.figures.items()},
        )

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]


def _aggregates(subject: str, at: datetime, stored: bool = False) -> dict[str, Any]:
    """Every count and sum of one subject's indicators, for one ``aggregate`` or
    ``values(…).annotate`` (one query)."""
    found: dict[str, Any] = {}
    if subject == CASE:
        found["cases"] = Count("pk", filter=counted())
        for exclusion in exclusions():
            if exclusion.condition is not None:
                found[f"x_{exclusion.key}"] = Count("pk", filter=exclusion.condition)
    for ind in indicators(at):
        if ind.subject != subject:
            continue
        found[f"d_{ind.key}"] = Count("pk", filter=ind.denominator)
        if ind.kind == RATE:
            assert ind.numerator is not None
            found[f"n_{ind.key}"] = Count("pk", filter=ind.numerator)
        else:
            assert ind.span is not None
            found[f"n_{ind.key}"] = Sum(hours.seconds_of(*ind.span, stored), filter=ind.denominator)
    return found


def _figures(row: dict[str, Any]) -> Figures:
    """A row of aggregates (of cases, of tasks, or both merged) as ``Figures``."""
    zero = Figures.zero()
    return Figures(
        cases=row.get("cases") or 0,
        excluded={key: row.get(f"x_{key}") or 0 for key in zero.excluded},
        figures={
            key: Figure(figure.kind, int(row.get(f"n_{key}") or 0), int(row.get(f"d_{key}") or 0))
            for key, figure in zero.figures.items()
        },
    )


def tally(
    rows: QuerySet[Any],
    subject: str,
    at: datetime,
    group: str | Any | None = None,
    *,
    stored: bool = False,
) -> dict[Any, dict[str, Any]]:
    """Every indicator of ``subject`` over ``rows`` (cases or whistle tasks), in one query:
    the raw counts and sums by group (``group``: a field name or an expression; None:
    one group, keyed None). Merge and turn them into ``Figures`` with ``figures_of``.
    ``stored``: sum the cases' stored working seconds (``_ensure_hours`` says whether
    they are current); otherwise compute them."""
    aggregates = _aggregates(subject, at, stored)
    rows = rows.order_by()
    if not isinstance(group, str) and group is not None:
        rows, group = rows.annotate(bucket=group), "bucket"

    def grouped(rows: QuerySet[Any], aggregates: dict[str, Any]) -> dict[Any, dict[str, Any]]:
        if group is None:
            return {None: rows.aggregate(**aggregates)}
        return {found.pop(group): found for found in rows.values(group).annotate(**aggregates)}

    found = grouped(rows, aggregates)
    missing = _missing_seconds(at) if stored and subject == CASE else {}
    if missing:
        # the stored seconds' sums leave out the cases without them: their computed
        # seconds, summed apart (normally no row: ``SECONDS_MISSING``'s index is empty)
        for key, sums in grouped(rows.filter(SECONDS_MISSING), missing).items():
            for name, value in sums.items():
                if value:
                    found[key][name] = (found[key].get(name) or 0) + value
    return found


def _missing_seconds(at: datetime) -> dict[str, Any]:
    """The sums of working hours over the cases whose stored seconds are missing,
    computed: what ``tally`` adds to the stored seconds' sums."""
    found: dict[str, Any] = {}
    for ind in indicators(at):
        if ind.subject != CASE or ind.kind != HOURS:
            continue
        assert ind.span is not None
        column = hours.stored_column(*ind.span)
        if column is not None:  # (a span without a column is computed in the first place)
            lacking = ind.denominator & Q(**{f"{column}__isnull": True})
            found[f"n_{ind.key}"] = Sum(hours.working_seconds(*ind.span), filter=lacking)
    return found


def figures_of(*rows: dict[str, Any] | None) -> Figures:
    """The figures of one group: its case row and its task row merged."""
    merged: dict[str, Any] = {}
    for row in rows:
        merged.update(row or {})
    return _figures(merged)


def _ensure_hours(selection: Selection) -> bool:
    """The working calendar must cover the cases' times: from the period's first day
    to today (a case is acknowledged or resolved by now). Returns whether the cases'
    stored working seconds are on it (``hours.stored_current``)."""
    return hours.ensure_table(
        selection.period.start, max(selection.period.end, timezone.localdate())
    )


def total(selection: Selection, at: datetime | None = None) -> Figures:
    """The figures of the whole selection: one query for cases, one for tasks if the
    selection reaches departments."""
    at = at or timezone.now()
    stored = _ensure_hours(selection)
    case_row = tally(selection.cases(), CASE, at, stored=stored)[None]
    task_row = tally(selection.tasks(), TASK, at)[None] if selection.department_ids() else None
    return figures_of(case_row, task_row)


# --- tables: one dimension at a time ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A row of a table: what it is over (``selection``, for drill-down links) and its
    figures. ``unit``: the unit a by-unit row is, to open it in turn."""

    key: str
    label: str
    selection: Selection
    figures: Figures
    unit: UnitRow | None = None


@dataclass(frozen=True)
class Table:
    by: str
    selection: Selection
    at: datetime
    rows: list[Row]
    total: Figures
    # whether the selection reaches departments (then the task indicators are shown)
    tasks: bool = False


LEVELS: dict[str, frozenset[str]] = {
    "street": frozenset(STREET_KINDS),
    "community": frozenset(COMMUNITY_KINDS),
    "grid": frozenset({UnitKind.GRID}),
    "department": frozenset({UnitKind.DEPARTMENT}),
}
DIMENSIONS = ("unit", "category", "channel", "month")


def _grouped(
    selection: Selection, at: datetime, case_group: str | Any, task_group: str | Any
) -> tuple[dict[Any, dict[str, Any]], dict[Any, dict[str, Any]], bool]:
    """One case query and, when the selection reaches departments, one task query, each
    grouped by its dimension."""
    stored = _ensure_hours(selection)
    by_case = tally(selection.cases(), CASE, at, case_group, stored=stored)
    with_tasks = bool(selection.department_ids())
    by_task = tally(selection.tasks(), TASK, at, task_group) if with_tasks else {}
    return by_case, by_task, with_tasks


def _sum(groups: Iterable[Figures]) -> Figures:
    result = Figures.zero()
    for figures in groups:
        result = result + figures
    return result


def by_unit(selection: Selection, at: datetime | None = None, level: str | None = None) -> Table:
    """Figures per unit: the children of the selection's unit, each over its whole
    subtree, and a row for the unit's own cases when it has any; or its units of one
    ``level`` (street, community, grid, department). One query grouped by owner unit
    (and one by department for the check-in rate), rolled up here."""
    at = at or timezone.now()
    if level is not None and level not in LEVELS:
        raise Invalid(_("Unknown level: %(level)s") % {"level": level})
    units = selection.units
    by_case, by_task, with_tasks = _grouped(selection, at, "owner_unit_id", "department_id")
    known = {u.pk: u.path for u in units}  # (the selection's units, and only those)
    raw = {pk: row for pk, row in per_unit(by_case, by_task).items() if pk in known}
    paths = {pk: known[pk] for pk in raw}
    if level is not None:
        heads = [u for u in units if u.kind in LEVELS[level]]
    elif selection.unit is not None:
        heads = [u for u in units if u.parent_id == selection.unit.pk]
    else:
        heads = [u for u in units if u.parent_id not in known]
    rows = []
    own = selection.unit is not None and not selection.own and selection.unit.pk in raw
    if own and level is None:
        rows.append(
            Row(
                key=f"{selection.unit.code}:own",
                label=str(_("%(unit)s itself") % {"unit": selection.unit.name}),
                selection=selection.narrowed(own=True),
                figures=figures_of(raw[selection.unit.pk]),
            )
        )
    rolled = roll_up(heads, raw, paths)
    for head in sorted(heads, key=lambda u: (u.kind == UnitKind.DEPARTMENT, u.path)):
        unit = _unit_of(head)
        rows.append(
            Row(
                key=head.code,
                label=head.name,
                selection=selection.narrowed(unit=unit, own=False),
                figures=rolled[head.path],
                unit=head,
            )
        )
    return Table("unit", selection, at, rows, figures_of(_added(raw.values())), with_tasks)


def per_unit(
    by_case: dict[Any, dict[str, Any]], by_task: dict[Any, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """The raw counts and sums of each unit with any: its cases' (``tally`` grouped by
    owner unit) and, for a department, its whistle tasks' (grouped by department)."""
    return {
        pk: _added([by_case.get(pk) or {}, by_task.get(pk) or {}])
        for pk in by_case.keys() | by_task.keys()
    }


def roll_up(
    heads: Iterable[UnitRow | Unit], raw: dict[int, dict[str, Any]], paths: dict[int, str]
) -> dict[str, Figures]:
    """Each head's figures (by its path) over its subtree: the raw counts and sums of
    the units in it (``raw`` by unit id, ``paths`` their paths) added up first
    (numerators and denominators add up), then made ``Figures`` once per head."""
    heads = list(heads)
    inside = under(heads, paths)
    return {
        head.path: figures_of(_added(raw[pk] for pk in inside.get(head.path, ()))) for head in heads
    }


def under(heads: Iterable[UnitRow | Unit], paths: dict[int, str]) -> dict[str, list[int]]:
    """For each head's path, the units of ``paths`` (id: path) in its subtree, itself
    included: what a row rolled up the tree adds up. Each path is read once, ancestor
    by ancestor (a path is its ancestors' codes, each followed by ``/``), rather than
    every path tried against every head."""
    wanted = {head.path for head in heads}
    found: dict[str, list[int]] = {}
    for pk, path in paths.items():
        end = path.find("/")
        while end != -1:
            prefix = path[: end + 1]
            if prefix in wanted:
                found.setdefault(prefix, []).append(pk)
            end = path.find("/", end + 1)
    return found


def _added(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Raw counts and sums (rows of ``tally``) added up by name."""
    total: dict[str, Any] = {}
    for row in rows:
        for name, value in row.items():
            if value:
                total[name] = total.get(name, 0) + value
    return total


def _unit_of(row: UnitRow) -> Unit:
    """A unit for a row's selection, built from what was read (no query per row)."""
    return Unit(
        pk=row.pk,
        code=row.code,
        name=row.name,
        kind=row.kind,
        path=row.path,
        parent_id=row.parent_id,
    )


def by_category(selection: Selection, at: datetime | None = None) -> Table:
    """Figures per category: the top-level categories (or the children of the selected
    one), each over its subtree, and the cases not yet categorised. Rows without cases
    are left out."""
    at = at or timezone.now()
    categories = selection.categories
    by_case, by_task, with_tasks = _grouped(selection, at, "category_id", "case__category_id")
    parent = selection.category.pk if selection.category is not None else None

    def head_of(pk: int | None) -> int | None:
        """The row a category's cases go to: its ancestor just below ``parent``."""
        node = categories.get(pk) if pk is not None else None
        while node is not None and node.parent_id != parent:
            node = categories.get(node.parent_id) if node.parent_id is not None else None
        return node.pk if node is not None else None

    grouped: dict[int | None, list[Figures]] = {}
    for key in {*by_case, *by_task}:
        grouped.setdefault(head_of(key), []).append(figures_of(by_case.get(key), by_task.get(key)))
    rows = []
    for pk in sorted((k for k in grouped if k is not None), key=lambda k: categories[k].code):
        category = categories[pk]
        rows.append(
            Row(
                key=category.code,
                label=category.name,
                selection=selection.narrowed(category=category, uncategorised=False),
                figures=_sum(grouped[pk]),
            )
        )
    if None in grouped and selection.category is None:
        rows.append(
            Row(
                key="-",
                label=str(_("not categorised yet")),
                selection=selection.narrowed(uncategorised=True),
                figures=_sum(grouped[None]),
            )
        )
    all_groups = [f for figures in grouped.values() for f in figures]
    return Table("category", selection, at, rows, _sum(all_groups), with_tasks)


def by_channel(selection: Selection, at: datetime | None = None) -> Table:
    """Figures per channel of intake (every channel, with or without cases)."""
    at = at or timezone.now()
    by_case, by_task, with_tasks = _grouped(selection, at, "channel", "case__channel")
    rows = [
        Row(
            key=value,
            label=str(label),
            selection=selection.narrowed(channel=value),
            figures=figures_of(by_case.get(value), by_task.get(value)),
        )
        for value, label in Channel.choices
        if selection.channel in (None, value)
    ]
    return Table("channel", selection, at, rows, _sum(r.figures for r in rows), with_tasks)


def by_month(selection: Selection, at: datetime | None = None) -> Table:
    """Figures per calendar month of submission within the period."""
    at = at or timezone.now()
    tz = timezone.get_default_timezone()
    by_case, by_task, with_tasks = _grouped(
        selection,
        at,
        TruncMonth("created_at", tzinfo=tz),
        TruncMonth(TASKS_COPY_OF_CASE["created_at"], tzinfo=tz),
    )

    def month_of(found: dict[Any, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            f"{timezone.localtime(k, tz) if timezone.is_aware(k) else k:%Y-%m}": v
            for k, v in found.items()
        }

    cases, tasks = month_of(by_case), month_of(by_task)
    rows = []
    for part in selection.period.months():
        key = f"{part.start:%Y-%m}"
        rows.append(
            Row(
                key=key,
                label=key,
                selection=selection.narrowed(period=part),
                figures=figures_of(cases.get(key), tasks.get(key)),
            )
        )
    return Table("month", selection, at, rows, _sum(r.figures for r in rows), with_tasks)


TABLES = {"unit": by_unit, "category": by_category, "channel": by_channel, "month": by_month}


def table(selection: Selection, by: str, at: datetime | None = None, **options: Any) -> Table:
    """The table of figures of ``selection`` by one dimension."""
    if by not in TABLES:
        raise Invalid(_("Figures are by unit, category, channel or month."))
    if by == "unit":
        return by_unit(selection, at, level=options.get("level"))
    return TABLES[by](selection, at)


# --- drill-down --------------------------------------------------------------------------------


def behind(
    selection: Selection, figure: str, part: str = "denominator", at: datetime | None = None
) -> tuple[str, QuerySet[Any]]:
    """The rows behind one figure of ``selection``: the subject (``CASE``, ``TASK``) and a
    queryset of exactly the cases (or tasks) its numerator or denominator counts. For
    ``CASES`` the cases that count; for an exclusion's key, the cases it left out."""
    at = at or timezone.now()
    if figure == CASES:
        return CASE, selection.cases().filter(counted())
    exclusion = next((e for e in exclusions() if e.key == figure), None)
    if exclusion is not None:
        if exclusion.condition is None:
            return CASE, selection.cases().none()
        return CASE, selection.cases().filter(exclusion.condition)
    ind = indicator(figure, at)
    if part not in ind.parts:
        raise Invalid(_("A figure's part is its numerator or its denominator."))
    rows = selection.cases() if ind.subject == CASE else selection.tasks()
    return ind.subject, rows.filter(ind.condition(part))


def period_label(period: Period) -> str:
    if period.is_month:
        return f"{period.start:%Y-%m}"
    return f"{period.start.isoformat()} – {period.end.isoformat()}"
