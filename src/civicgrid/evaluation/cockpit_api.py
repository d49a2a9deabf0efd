"""``GET /api/evaluation/cockpit``: the leader's cockpit as data, the one shape the
console's cockpit and the big screen draw (the screen refreshes from it). Every figure
carries the link to the console's list of its cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from civicgrid.errors import answers
from civicgrid.evaluation import cockpit as cp
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import check_role, default_unit, visible_unit
from civicgrid.org.models import Unit, User
from civicgrid.org.scoping import Scope

router = Router(tags=["evaluation"])


class NumberOut(Schema):
    value: int
    cases: str = Field(description="the console's list of exactly these cases")


class SliceOut(Schema):
    key: str = Field(description="the tier, top-level category or channel ('-': none yet)")
    label: str
    today: NumberOut = Field(description="received today")
    open: NumberOut
    overdue: NumberOut


class RateOut(Schema):
    numerator: int
    denominator: int
    value: float | None = Field(description="numerator ÷ denominator; null: no cases")
    numerator_cases: str
    denominator_cases: str


class MonthOut(Schema):
    month: str = Field(description="2025-03")
    intake: NumberOut = Field(description="cases received in the month that count")
    closed: NumberOut = Field(description="cases closed in the month")
    rates: dict[str, RateOut] = Field(description="response, solved, satisfaction")


class HotOut(Schema):
    title: str
    label: str
    heat: float
    cases: NumberOut


class TasksOut(Schema):
    code: str
    name: str
    open: NumberOut
    overdue: NumberOut = Field(description="not checked in by the deadline")


class RankOut(Schema):
    code: str
    name: str
    cases: int
    rates: dict[str, RateOut]
    score: float | None = Field(description="published: the composite score; live: null")
    rank: int | None = Field(description="published: the district's rank; null: apart or live")
    apart: bool = Field(description="published: listed apart (单列), unranked")
    red: bool = Field(description="published: on the red list (红榜)")
    black: bool = Field(description="published: on the black list (黑榜)")


class RankingsOut(Schema):
    status: Literal["published", "live"] = Field(
        description="published: the latest published month; live: none is published yet, "
        "the current month's rates so far (not a ranking)"
    )
    month: str = Field(description="2025-03")
    revision: int | None = Field(description="the published revision shown; null: live")
    published_at: datetime | None
    label: str = Field(description="what the panel shows, in words")
    page: str = Field(description="the month's rankings page")
    period_start: date
    period_end: date
    streets: list[RankOut]
    departments: list[RankOut]


class CockpitOut(Schema):
    computed_at: datetime
    unit: str | None = Field(description="the unit whose subtree this is; null: all of mine")
    unit_name: str
    grids_url: str | None = Field(description="GeoJSON of the grids the map colours")
    today: NumberOut
    open: NumberOut
    overdue: NumberOut
    by_tier: list[SliceOut]
    by_category: list[SliceOut]
    by_channel: list[SliceOut]
    grids: dict[str, int] = Field(
        description="open cases by the code of the grid they lie in (grids without any left out)"
    )
    grid_cases: str = Field(description="a grid's open cases: append the grid's code")
    trend: list[MonthOut] = Field(description="the last 12 months, oldest first")
    rate_names: dict[str, str]
    hot: list[HotOut]
    hot_computed_at: datetime | None
    tasks: list[TasksOut] = Field(description="open whistle tasks by department")
    rankings: RankingsOut = Field(
        description="the latest published month's ranking, or the month's live rates"
    )


def unit_for(user: User | Scope, code: str | None) -> tuple[Scope, Unit | None]:
    """The viewer's scope (403 for a role without figures) and the unit named (404
    outside their scope), or the top of their scope."""
    scope = check_role(user)
    return scope, visible_unit(user, code) if code else default_unit(user)


# The small parts are built without validation (``model_construct``): their values come
# from typed code, a district's cockpit has hundreds of them, and the API validates its
# answer once on the way out.


def _number(n: cp.Number) -> NumberOut:
    return NumberOut.model_construct(value=n.value, cases=n.drill.url())


def _rate(r: cp.Rate) -> RateOut:
    return RateOut.model_construct(
        numerator=r.numerator,
        denominator=r.denominator,
        value=r.value,
        numerator_cases=r.drill.url(),
        denominator_cases=r.drill_denominator.url(),
    )


def _slice(s: cp.Slice) -> SliceOut:
    return SliceOut(
        key=s.key,
        label=s.label,
        today=_number(s.today),
        open=_number(s.open),
        overdue=_number(s.overdue),
    )


def cockpit_out(found: cp.Cockpit, panel: cp.RankingPanel, unit_name: str) -> CockpitOut:
    """The cockpit's figures as the API answers them (and the pages embed them)."""
    grids_url = None
    if found.map_unit is not None:
        grids_url = reverse("api:unit_grids", kwargs={"code": found.map_unit.code})
    names = {i.key: str(i.name) for i in ind.indicators(found.at) if i.key in cp.RATES}
    unit = {"unit": found.unit.code} if found.unit is not None else {}
    return CockpitOut(
        computed_at=found.at,
        unit=found.unit.code if found.unit else None,
        unit_name=unit_name,
        grids_url=grids_url,
        today=_number(found.today),
        open=_number(found.open),
        overdue=_number(found.overdue),
        by_tier=[_slice(s) for s in found.by_tier],
        by_category=[_slice(s) for s in found.by_category],
        by_channel=[_slice(s) for s in found.by_channel],
        grids={g.code: g.open.value for g in found.grids},
        grid_cases=cp.Drill({**unit, "figure": "open", "grid": ""}).url(),
        trend=[
            MonthOut(
                month=m.key,
                intake=_number(m.intake),
                closed=_number(m.closed),
                rates={k: _rate(r) for k, r in m.rates.items()},
            )
            for m in found.trend
        ],
        rate_names=names,
        hot=[
            HotOut(title=h.title, label=h.label, heat=h.heat, cases=_number(h.cases))
            for h in found.hot
        ],
        hot_computed_at=found.hot_computed_at,
        tasks=[
            TasksOut(code=t.code, name=t.name, open=_number(t.open), overdue=_number(t.overdue))
            for t in found.tasks
        ],
        rankings=RankingsOut(
            status=panel.status,
            month=panel.period.key,
            revision=panel.revision,
            published_at=panel.published_at,
            label=panel.label,
            page=f"{reverse('evaluation:rankings')}?{urlencode({'month': panel.period.key})}",
            period_start=panel.period.start,
            period_end=panel.period.end,
            streets=[_rank(r) for r in panel.streets],
            departments=[_rank(r) for r in panel.departments],
        ),
    )


def _rank(r: cp.RankRow) -> RankOut:
    return RankOut.model_construct(
        code=r.code,
        name=r.name,
        cases=r.cases,
        rates={k: _rate(v) for k, v in r.rates.items()},
        score=r.score,
        rank=r.rank,
        apart=r.apart,
        red=r.red,
        black=r.black,
    )


def _keep_board(unit: Unit | None) -> None:
    """The cockpit shows the unit's hot-issue board: made and computed by the worker the
    first time, and kept fresh while someone looks at it (``triage.boards``)."""
    from civicgrid.triage import boards
    from civicgrid.triage.tasks import schedule_board_refresh

    area = cp.hot_board_unit(unit)
    if area is None:
        return
    board = boards.board_for(area, cp.HOT_DAYS)
    if board.computed_at is None:
        schedule_board_refresh()


def cockpit_for(user: User | Scope, code: str | None) -> CockpitOut:
    """Everything the cockpit shows for ``user`` over unit ``code`` (default: the top of
    their scope)."""
    scope, unit = unit_for(user, code)
    _keep_board(unit)
    found = cp.figures(scope, unit=unit)
    panel = cp.ranking_panel(scope, found.at, unit)
    return cockpit_out(found, panel, unit.name if unit else "")


@router.get(
    "/cockpit",
    response=answers(CockpitOut),
    url_name="evaluation_cockpit",
    summary=gettext_lazy(
        "The leader's cockpit: today, the grids' load, a year's trend, hot issues"
    ),
    description=gettext_lazy(
        "Today's intake, open and overdue cases by tier, category and channel; open cases "
        "by grid; twelve months of intake, closures and the three rates; the latest hot "
        "issues; open whistle tasks by department; the streets' and departments' ranking "
        "of the latest published month (while none is published: the month's live rates). "
        "Within my scope: a unit outside it is a 404, a role without figures a 403."
    ),
)
def cockpit(
    request: HttpRequest,
    unit: str | None = Query(None, description="a unit code; default: the top of my scope"),
) -> CockpitOut:
    return cockpit_for(request.user, unit)
