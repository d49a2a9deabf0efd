"""The leader's cockpit (领导驾驶舱): today's work, the load of the grids, a year's trend,
the hot issues, the whistle tasks open by department and the rankings of the streets and
departments (the latest published month; the current month's live rates while none is
published), for one unit's subtree within the viewer's scope.

``figures`` reads them with a fixed handful of aggregate queries, whatever the number of
cases: one grouped pass over the open cases and today's intake (by tier, top category
and channel, rolled up here), one over the open cases by grid, one grouped by month for
the trend (the indicators' own conditions for the three rates: ``rate_counts``), one
grouped count of the closures by month, the latest
hot-issue board (computed by the worker, ``triage.boards``), one grouped count of the
open whistle tasks.

Every figure carries its ``Drill``: the parameters of the list of exactly the rows it
counts. ``behind`` turns a cockpit drill into that queryset from the same conditions the
figure was counted with (``CONDITIONS``), so a figure and its list cannot drift apart;
the trend's rates and intake drill into the indicators' own list (``indicators.behind``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import (
    OPEN_STATES,
    OPEN_TASK_STATES,
    Case,
    Category,
    Channel,
    State,
    Tier,
    WhistleTask,
)
from civicgrid.cases.queues import RUNNING
from civicgrid.errors import Invalid, NotFound
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation import publishing
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import RankingSnapshot
from civicgrid.evaluation.ranking_view import LIVE, PUBLISHED
from civicgrid.evaluation.selection import Period, Selection, UnitRow
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.org.scoping import Scope
from civicgrid.triage.models import HotBoard

CASES = "case"
TASKS = "task"
# The three rates the cockpit shows (三率: 响应率 · 解决率 · 满意率).
RATES = ("response", "solved", "satisfaction")
TREND_MONTHS = 12
HOT_DAYS = 30
HOT_SHOWN = 8
NONE = "-"  # a drill's value for "not tiered / not categorised yet"

FIGURE_LABELS = {
    "today": gettext_lazy("received today"),
    "open": gettext_lazy("open"),
    "overdue": gettext_lazy("overdue"),
    "closed": gettext_lazy("closed"),
    "hot": gettext_lazy("hot issue"),
    "tasks_open": gettext_lazy("open whistle tasks"),
    "tasks_overdue": gettext_lazy("whistle tasks not checked in by the deadline"),
}
FIGURE_DESCRIPTIONS = {
    "today": gettext_lazy("Every request received since midnight, whatever became of it."),
    "open": gettext_lazy("Cases not closed, rejected or merged yet."),
    "overdue": gettext_lazy(
        "Cases waiting to be acknowledged or being handled past their deadline."
    ),
    "closed": gettext_lazy("Cases closed in the month, whenever they were received."),
    "hot": gettext_lazy("The cases of one hot issue, as the worker last found it."),
    "tasks_open": gettext_lazy("Whistle tasks a department has not finished or returned."),
    "tasks_overdue": gettext_lazy(
        "Open whistle tasks whose department has not checked in by the deadline."
    ),
}


# --- drill-downs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """The list behind a figure: ``view`` (the cockpit's list, or the indicators' for a
    rate) and its query parameters."""

    params: dict[str, str]
    view: str = "evaluation:cockpit_cases"

    def url(self) -> str:
        return f"{_path(self.view)}?{urlencode(self.params)}"


@lru_cache(maxsize=8)
def _path(view: str) -> str:
    """A list's path, reversed once (a district's cockpit has a thousand links)."""
    return reverse(view)


@dataclass(frozen=True)
class Number:
    value: int
    drill: Drill


@dataclass(frozen=True)
class Slice:
    """One part of a breakdown (a tier, a category, a channel): received today, open,
    and overdue among the open."""

    key: str
    label: str
    today: Number
    open: Number
    overdue: Number


@dataclass(frozen=True)
class GridLoad:
    code: str
    name: str
    open: Number


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int
    drill: Drill  # the numerator's cases; the denominator's: ``drill_denominator``
    drill_denominator: Drill

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Month:
    key: str  # 2025-03
    intake: Number  # the cases that count in the month's figures
    closed: Number
    rates: dict[str, Rate]


@dataclass(frozen=True)
class HotIssue:
    title: str
    label: str
    heat: float
    cases: Number


@dataclass(frozen=True)
class DepartmentTasks:
    code: str
    name: str
    open: Number
    overdue: Number


@dataclass(frozen=True)
class Cockpit:
    at: datetime
    unit: Unit | None  # the unit whose subtree this is; None: the viewer's whole scope
    map_unit: Unit | None  # the unit whose grids the map draws (not a department)
    today: Number
    open: Number
    overdue: Number
    by_tier: list[Slice]
    by_category: list[Slice]
    by_channel: list[Slice]
    grids: list[GridLoad]
    trend: list[Month]
    hot: list[HotIssue]
    hot_computed_at: datetime | None
    tasks: list[DepartmentTasks]


# --- the conditions, shared by the figures and their lists -----------------------------------


def _day(at: datetime) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    today = timezone.localtime(at, tz).date()
    start = datetime.combine(today, time(), tzinfo=tz)
    return start, start + timedelta(days=1)


def _month_bounds(key: str) -> tuple[datetime, datetime]:
    period = _parse_month(key)
    return period.bounds()


def _parse_month(key: str) -> Period:
    try:
        year, month = (int(part) for part in key.split("-"))
        if not 2000 <= year <= 2099:
            raise ValueError(key)
        return Period.month(year, month)
    except ValueError:
        raise Invalid(_("A month is written 2025-03.")) from None


def today_q(at: datetime) -> Q:
    start, end = _day(at)
    return Q(created_at__gte=start, created_at__lt=end)


def open_q() -> Q:
    return Q(state__in=OPEN_STATES)


def overdue_q(at: datetime) -> Q:
    """As the queues' "overdue": waiting to be acknowledged or handled past its due time."""
    return Q(state__in=RUNNING, due_at__lt=at)


def task_overdue_q(at: datetime) -> Q:
    return Q(checked_in_at__isnull=True, check_in_due__lt=at)


CONDITIONS = {
    "today": today_q,
    "open": lambda at: open_q(),
    "overdue": overdue_q,
}


def _selection(scope: Scope, at: datetime, unit: Unit | None) -> Selection:
    today = timezone.localtime(at, timezone.get_default_timezone()).date()
    return Selection(scope=scope, period=Period.month(today.year, today.month), unit=unit)


def _cases(selection: Selection) -> QuerySet[Case]:
    """The cases owned in the selection's units (every one, whenever received)."""
    rows = Case.objects.order_by()
    owners = selection.owner_ids()
    if owners is not None:
        rows = rows.filter(ids_q(owners, "owner_unit_id"))
    return rows


def _tasks(selection: Selection) -> QuerySet[WhistleTask]:
    """The open whistle tasks of the selection: those of its departments, and those
    whistled for its units' cases (a street sees whom it called)."""
    rows = WhistleTask.objects.filter(state__in=OPEN_TASK_STATES).order_by()
    owners = selection.owner_ids()
    if owners is None:
        return rows
    departments = selection.department_ids()
    mine = ids_q(owners, "case__owner_unit_id")
    if departments:
        mine |= ids_q(departments, "department_id")
    return rows.filter(mine)


def _top_categories(selection: Selection) -> dict[int, Category]:
    """Each category's top-level ancestor, by category id."""
    categories = selection.categories
    tops: dict[int, Category] = {}
    for pk, category in categories.items():
        node = category
        while node.parent_id is not None and node.parent_id in categories:
            node = categories[node.parent_id]
        tops[pk] = node
    return tops


def _category_ids_under(selection: Selection, code: str) -> list[int]:
    tops = _top_categories(selection)
    return [pk for pk, top in tops.items() if top.code == code]


# --- the figures -----------------------------------------------------------------------------


def figures(scope: Scope, at: datetime | None = None, unit: Unit | None = None) -> Cockpit:
    """The cockpit of ``unit``'s subtree (None: the viewer's whole scope) as of ``at``.
    ``unit`` must be one the viewer may see (``selection.visible_unit``)."""
    at = at or timezone.now()
    selection = _selection(scope, at, unit)
    base = {"unit": unit.code} if unit is not None else {}
    tops = _top_categories(selection)

    # One pass over the open cases and today's intake, grouped by tier, category, channel.
    counts = {
        "today": Count("pk", filter=today_q(at)),
        "open": Count("pk", filter=open_q()),
        "overdue": Count("pk", filter=overdue_q(at)),
    }
    rows = list(
        _cases(selection)
        .filter(open_q() | today_q(at))
        .values("tier", "category_id", "channel")
        .annotate(**counts)
    )

    def number(figure: str, value: int, **narrow: str) -> Number:
        return Number(value, Drill({**base, "figure": figure, **narrow}))

    def breakdown(dimension: str, key_of: Any, labels: dict[str, str]) -> list[Slice]:
        order = {key: n for n, key in enumerate(labels)}
        sums: dict[str, dict[str, int]] = {}
        for row in rows:
            part = sums.setdefault(key_of(row), dict.fromkeys(counts, 0))
            for name in counts:
                part[name] += row[name]
        return [
            Slice(
                key,
                labels.get(key, key),
                *(number(name, sums[key][name], **{dimension: key}) for name in counts),
            )
            for key in sorted(sums, key=lambda k: (k == NONE, order.get(k, len(order)), k))
        ]

    tier_labels = {str(v): str(label) for v, label in Tier.choices} | {NONE: _("not tiered yet")}
    category_labels = {c.code: c.name for c in sorted(set(tops.values()), key=lambda c: c.code)}
    category_labels[NONE] = _("not categorised yet")
    channel_labels = {str(v): str(label) for v, label in Channel.choices}

    totals = {name: sum(row[name] for row in rows) for name in counts}
    by_tier = breakdown("tier", lambda r: r["tier"] or NONE, tier_labels)
    by_category = breakdown(
        "category",
        lambda r: tops[r["category_id"]].code if r["category_id"] in tops else NONE,
        category_labels,
    )
    by_channel = breakdown("channel", lambda r: r["channel"], channel_labels)

    # The grids' load: open cases by the grid they lie in, within the map's unit (the
    # grids without any are left out: a district has thousands, the map draws them at
    # zero). Their names are read for those grids only.
    map_unit = _map_unit(selection)
    loads: dict[int, int] = {}
    grids: list[GridLoad] = []
    if map_unit is not None:
        loads = dict(
            _cases(selection)
            .filter(open_q(), grid_id__isnull=False)
            .values("grid_id")
            .annotate(n=Count("pk"))
            .values_list("grid_id", "n")
        )
    if loads:
        assert map_unit is not None
        named = _grids(map_unit).filter(ids_q(list(loads), "pk")).order_by("path")
        grids = [
            GridLoad(code, name, number("open", loads[pk], grid=code))
            for pk, code, name in named.values_list("pk", "code", "name")
        ]

    trend = _trend(selection, at, base)
    hot, hot_at = _hot(map_unit, base)
    tasks = _department_tasks(selection, at, base)
    return Cockpit(
        at=at,
        unit=unit,
        map_unit=map_unit,
        today=number("today", totals["today"]),
        open=number("open", totals["open"]),
        overdue=number("overdue", totals["overdue"]),
        by_tier=by_tier,
        by_category=by_category,
        by_channel=by_channel,
        grids=grids,
        trend=trend,
        hot=hot,
        hot_computed_at=hot_at,
        tasks=tasks,
    )


def trend_period(at: datetime) -> Period:
    """The month of ``at`` and the eleven before it."""
    today = timezone.localtime(at, timezone.get_default_timezone()).date()
    first = today.replace(day=1)
    for _step in range(TREND_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, Period.month(today.year, today.month).end)


def rate_counts(at: datetime) -> dict[str, Any]:
    """The aggregates of the cases that count and of the three rates' numerators and
    denominators, from the indicators' own conditions (``indicators.indicators``): the
    cockpit's trend and panel need no working hours, so they do not sum them."""
    found: dict[str, Any] = {"cases": Count("pk", filter=ind.counted())}
    for indicator in ind.indicators(at):
        if indicator.key in RATES:
            assert indicator.numerator is not None
            found[f"n_{indicator.key}"] = Count("pk", filter=indicator.numerator)
            found[f"d_{indicator.key}"] = Count("pk", filter=indicator.denominator)
    return found


def _rates(row: dict[str, Any] | None, params: dict[str, str]) -> dict[str, Rate]:
    """The three rates of one aggregate row, each drilling into the indicators' list."""
    row = row or {}
    return {
        key: Rate(
            row.get(f"n_{key}") or 0,
            row.get(f"d_{key}") or 0,
            Drill({**params, "figure": key, "part": "numerator"}, "evaluation:cases"),
            Drill({**params, "figure": key, "part": "denominator"}, "evaluation:cases"),
        )
        for key in RATES
    }


def _month_key(moment: Any, tz: Any) -> str:
    return f"{timezone.localtime(moment, tz) if timezone.is_aware(moment) else moment:%Y-%m}"


def _trend(selection: Selection, at: datetime, base: dict[str, str]) -> list[Month]:
    """Twelve months by month of submission: the cases that count and the three rates
    (as the indicators count them: their list is the drill-down), in one query; and the
    closures by month of closing, in one more."""
    period = trend_period(at)
    start, end = period.bounds()
    tz = timezone.get_default_timezone()
    submitted = {
        _month_key(row.pop("bucket"), tz): row
        for row in _cases(selection)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(bucket=TruncMonth("created_at", tzinfo=tz))
        .values("bucket")
        .annotate(**rate_counts(at))
    }
    closed = {
        _month_key(month, tz): n
        for month, n in _cases(selection)
        .filter(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end)
        .annotate(month=TruncMonth("closed_at", tzinfo=tz))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    }
    months = []
    for part in period.months():
        key = f"{part.start:%Y-%m}"
        params = selection.narrowed(period=part).params()
        row = submitted.get(key) or {}
        months.append(
            Month(
                key=key,
                intake=Number(
                    row.get("cases") or 0,
                    Drill({**params, "figure": ind.CASES}, "evaluation:cases"),
                ),
                closed=Number(
                    closed.get(key, 0), Drill({**base, "figure": "closed", "month": key})
                ),
                rates=_rates(row, params),
            )
        )
    return months


def _map_unit(selection: Selection) -> Unit | None:
    """The unit whose grids the map shows: the selection's unit, unless a department."""
    unit = selection.unit
    if unit is None or unit.kind == UnitKind.DEPARTMENT:
        return None
    return unit


def _grids(unit: Unit) -> QuerySet[Unit]:
    """The grids of ``unit``'s subtree (the map's polygons)."""
    return Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.GRID)


def hot_board_unit(unit: Unit | None) -> Unit | None:
    """The unit whose hot-issue board the cockpit reads: an area above a grid (the
    board of the hot-issue page, ``triage.views.hot_board``)."""
    if unit is None or unit.kind in (UnitKind.DEPARTMENT, UnitKind.GRID):
        return None
    return unit


def _hot(unit: Unit | None, base: dict[str, str]) -> tuple[list[HotIssue], datetime | None]:
    """The latest hot-issue board of the unit (30 days), as the worker last computed it."""
    unit = hot_board_unit(unit)
    if unit is None:
        return [], None
    board = HotBoard.objects.filter(unit=unit, days=HOT_DAYS).first()
    if board is None:
        return [], None
    found = [
        HotIssue(
            c["title"],
            c["label"],
            c["heat"],
            Number(len(c["codes"]), Drill({**base, "figure": "hot", "hot": str(n)})),
        )
        for n, c in enumerate(board.clusters[:HOT_SHOWN])
    ]
    return found, board.computed_at


def _department_tasks(
    selection: Selection, at: datetime, base: dict[str, str]
) -> list[DepartmentTasks]:
    """Open whistle tasks by department, with those not checked in by the deadline."""
    rows = list(
        _tasks(selection)
        .values("department_id", "department__code", "department__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=task_overdue_q(at)))
    )
    rows.sort(key=lambda r: (-r["open"], r["department__code"]))
    return [
        DepartmentTasks(
            r["department__code"],
            r["department__name"],
            Number(
                r["open"],
                Drill({**base, "figure": "tasks_open", "department": r["department__code"]}),
            ),
            Number(
                r["overdue"],
                Drill({**base, "figure": "tasks_overdue", "department": r["department__code"]}),
            ),
        )
        for r in rows
    ]


# --- the rows behind a figure ----------------------------------------------------------------


CASE_FIGURES = ("today", "open", "overdue", "closed", "hot")
TASK_FIGURES = ("tasks_open", "tasks_overdue")
FIGURES = (*CASE_FIGURES, *TASK_FIGURES)


def behind(
    scope: Scope, params: Mapping[str, str], at: datetime | None = None, unit: Unit | None = None
) -> tuple[str, QuerySet[Any]]:
    """The rows one cockpit figure counts (``CASES`` or ``TASKS`` and the queryset), from
    a drill's parameters: ``figure`` and optionally ``tier``, ``category`` (a top-level
    category's code), ``channel``, ``grid``, ``month``, ``hot``, ``department``.
    Refused with 400 for a figure or value that cannot be read; 404 for a grid or
    department the viewer may not see. The caller intersects with what the viewer may
    see (``visible_to``), as every list does."""
    at = at or timezone.now()
    selection = _selection(scope, at, unit)
    figure = params.get("figure") or ""
    if figure not in FIGURES:
        raise Invalid(_("Unknown figure: %(key)s") % {"key": figure})
    if figure in TASK_FIGURES:
        rows = _tasks(selection)
        code = params.get("department")
        if code:
            department = Unit.objects.filter(code=code, kind=UnitKind.DEPARTMENT).first()
            if department is None:
                raise NotFound(_("No department %(code)s.") % {"code": code})
            rows = rows.filter(department=department)
        if figure == "tasks_overdue":
            rows = rows.filter(task_overdue_q(at))
        return TASKS, rows
    rows = _cases(selection)
    if figure == "closed":
        start, end = _month_bounds(params.get("month") or "")
        return CASES, rows.filter(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end)
    if figure == "hot":
        return CASES, rows.filter(tracking_code__in=_hot_codes(selection, params.get("hot")))
    rows = rows.filter(CONDITIONS[figure](at))
    tier = params.get("tier")
    if tier:
        if tier != NONE and tier not in Tier.values:
            raise Invalid(_("Unknown tier: %(key)s") % {"key": tier})
        rows = rows.filter(tier="" if tier == NONE else tier)
    category = params.get("category")
    if category == NONE:
        rows = rows.filter(category__isnull=True)
    elif category:
        ids = _category_ids_under(selection, category)
        if not ids:
            raise NotFound(_("No category %(code)s.") % {"code": category})
        rows = rows.filter(ids_q(ids, "category_id"))
    channel = params.get("channel")
    if channel:
        if channel not in Channel.values:
            raise Invalid(_("Unknown channel: %(c)s") % {"c": channel})
        rows = rows.filter(channel=channel)
    grid = params.get("grid")
    if grid:
        map_unit = _map_unit(selection)
        found = _grids(map_unit).filter(code=grid).first() if map_unit is not None else None
        if found is None:
            raise NotFound(_("No grid %(code)s that you may see.") % {"code": grid})
        rows = rows.filter(grid_id=found.pk)
    return CASES, rows


def visible(subject: str, user: User | Scope) -> QuerySet[Any]:
    """What ``user`` may see of a drill's rows: their cases (``Case.visible_to``), or the
    whistle tasks of those cases (a street sees whom it whistled for its cases, a
    department the tasks of the cases whistled to it)."""
    cases = Case.objects.visible_to(user)
    if subject == CASES:
        return cases
    return WhistleTask.objects.filter(case__in=cases.values("pk"))


def narrowing(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """A drill's narrowing in words, for the list's heading."""
    found = []
    tier = params.get("tier")
    if tier:
        label = dict(Tier.choices).get(tier, _("not tiered yet") if tier == NONE else tier)
        found.append((_("tier"), str(label)))
    category = params.get("category")
    if category:
        name = Category.objects.filter(code=category).values_list("name", flat=True).first()
        found.append((_("category"), name or _("not categorised yet")))
    channel = params.get("channel")
    if channel:
        found.append((_("channel"), str(dict(Channel.choices).get(channel, channel))))
    for key, label in (("grid", _("grid")), ("department", _("department"))):
        code = params.get(key)
        if code:
            name = Unit.objects.filter(code=code).values_list("name", flat=True).first()
            found.append((label, name or code))
    if params.get("month"):
        found.append((_("month"), params["month"]))
    return found


def _hot_codes(selection: Selection, n: str | None) -> list[str]:
    unit = hot_board_unit(_map_unit(selection))
    board = HotBoard.objects.filter(unit=unit, days=HOT_DAYS).first() if unit else None
    if not n or not n.isascii() or not n.isdigit() or len(n) > 3:
        raise Invalid(_("Name the hot issue by its number on the board."))
    index = int(n)
    if board is None or index >= min(len(board.clusters), HOT_SHOWN):
        raise NotFound(_("No such hot issue on the board."))
    return list(board.clusters[index]["codes"])


# --- the rankings panel ----------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    code: str
    name: str
    cases: int
    rates: dict[str, Rate]
    # a published month's place (``rankings``): none for live rates
    score: float | None = None
    rank: int | None = None
    apart: bool = False
    red: bool = False
    black: bool = False

    @property
    def mean(self) -> float | None:
        """The unweighted mean of the rates the unit has (the live panel's order)."""
        values = [r.value for r in self.rates.values() if r.value is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class RankingPanel:
    """The streets' and departments' rows the cockpit shows: the latest published
    month's ranking (``status`` PUBLISHED, with its ``revision``), or, while no month is
    published, the current month's live rates (LIVE: not a ranking that counts)."""

    period: Period
    streets: list[RankRow]
    departments: list[RankRow]
    status: str = LIVE
    revision: int | None = None
    published_at: datetime | None = None

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def label(self) -> str:
        """What the panel shows, in words (the page and the big screen print it)."""
        if self.published:
            return _(
                "Published ranking of %(month)s, revision %(revision)s: ranks and composite "
                "scores as published."
            ) % {"month": self.period.key, "revision": self.revision}
        return _(
            "Not yet published: the live rates of %(month)s so far, best first by the mean "
            "of the three rates; they are not a ranking."
        ) % {"month": self.period.key}


def ranking_panel(
    scope: Scope, at: datetime | None = None, unit: Unit | None = None
) -> RankingPanel:
    """The rankings panel for ``unit``'s subtree (or the viewer's scope): the latest
    published month (``publishing.published_months``, its latest revision) as published,
    its streets and departments within the subtree, ranks and scores the district's; or,
    when no month has been published, the current month's live rates (``live_panel``)."""
    months = publishing.published_months()
    snapshot = publishing.published(months[0]) if months else None
    if snapshot is None:
        return live_panel(scope, at, unit)
    return published_panel(scope, snapshot, unit)


def _heads(scope: Scope, unit: Unit | None) -> list[UnitRow]:
    """The streets and departments of ``unit``'s subtree, or of the scope (not every
    unit: a district has thousands)."""
    within = Unit.objects.filter(kind__in=(*ind.LEVELS["street"], *ind.LEVELS["department"]))
    if unit is not None:
        within = within.filter(path__startswith=unit.path)
    else:
        within = within.filter(scope.q("path"))
    return UnitRow.read(within)


def published_panel(scope: Scope, snapshot: RankingSnapshot, unit: Unit | None) -> RankingPanel:
    """A published month's streets and departments, in the published order, kept to the
    units of ``unit``'s subtree (or the viewer's scope); every rate drills into the
    month's cases of its unit (as they stand now: the figures are the frozen ones)."""
    period = rk.parse_month(snapshot.month)
    heads = {u.code for u in _heads(scope, unit)}

    def rows(name: str) -> list[RankRow]:
        found = []
        for row in snapshot.lists.get(name, []):
            if row["unit"] not in heads:
                continue
            params = {**period.params(), "unit": row["unit"]}
            counts: dict[str, int] = {}
            for key in RATES:
                numerator, denominator = row["figures"][key]
                counts[f"n_{key}"], counts[f"d_{key}"] = numerator, denominator
            found.append(
                RankRow(
                    row["unit"],
                    row["name"],
                    row["cases"],
                    _rates(counts, params),
                    score=row["score"],
                    rank=row["rank"],
                    apart=row["apart"],
                    red=row["red"],
                    black=row["black"],
                )
            )
        return found

    return RankingPanel(
        period,
        rows(rk.STREETS),
        rows(rk.DEPARTMENTS),
        status=PUBLISHED,
        revision=snapshot.revision,
        published_at=snapshot.published_at,
    )


def live_panel(scope: Scope, at: datetime | None = None, unit: Unit | None = None) -> RankingPanel:
    """The month's live rates per street and per department within ``unit``'s subtree
    (or the viewer's scope), as the indicators count them (``by_unit`` by level: a unit's
    figures are its subtree's), best first by the unweighted mean of the three rates. One
    query grouped by owner unit, rolled up here."""
    at = at or timezone.now()
    selection = _selection(scope, at, unit)
    start, end = selection.period.bounds()
    per_unit = {
        row.pop("owner_unit_id"): row
        for row in _cases(selection)
        .filter(created_at__gte=start, created_at__lt=end)
        .values("owner_unit_id")
        .annotate(**rate_counts(at))
    }
    allowed = selection.owner_ids()
    keep = None if allowed is None else set(allowed)
    paths = dict(Unit.objects.filter(ids_q(list(per_unit), "pk")).values_list("pk", "path"))
    units = _heads(scope, selection.unit)
    names = list(rate_counts(at))

    def rows(kinds: frozenset[str]) -> list[RankRow]:
        heads = {u.path: u for u in units if u.kind in kinds}
        # each unit's counts go to every head above it (or itself)
        counted = {pk: path for pk, path in paths.items() if keep is None or pk in keep}
        inside = ind.under(heads.values(), counted)
        found = []
        for path, head in heads.items():
            params = selection.narrowed(unit=_unit(head), own=False).params()
            summed = dict.fromkeys(names, 0)
            for pk in inside.get(path, ()):
                for name in names:
                    summed[name] += per_unit[pk][name] or 0
            found.append(RankRow(head.code, head.name, summed["cases"], _rates(summed, params)))
        found.sort(key=lambda r: (r.mean is None, -(r.mean or 0), r.code))
        return found

    return RankingPanel(
        selection.period, rows(ind.LEVELS["street"]), rows(ind.LEVELS["department"])
    )


def _unit(row: UnitRow) -> Unit:
    """A unit for a drill's parameters, from what was read (no query per row)."""
    return Unit(pk=row.pk, code=row.code, name=row.name, kind=row.kind, path=row.path)
