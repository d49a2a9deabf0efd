"""The indicators API: their definitions, a table of figures, and the cases behind a
figure. The same selection and refusals as the console (``selection.selection_for``):
a unit outside the viewer's scope is a 404, a role without figures a 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from civicgrid.cases.api import UnitRef
from civicgrid.cases.models import Case, WhistleTask
from civicgrid.cases.paging import keyset
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import Selection, selection_for

router = Router(tags=["evaluation"])

Dimension = Literal["unit", "category", "channel", "month"]
Level = Literal["street", "community", "grid", "department"]
FigureKey = Literal[ind.FIGURES]  # type: ignore[valid-type]
Part = Literal["numerator", "denominator"]
NEWEST_FIRST = ("-created_at", "-id")


class RefusedOut(Schema):
    detail: str = Field(description="why, in the user's language")


class IndicatorOut(Schema):
    key: str
    name: str
    subject: Literal["case", "task"] = Field(description="what it counts: cases or whistle tasks")
    kind: Literal["rate", "hours"] = Field(
        description="rate: numerator ÷ denominator; hours: mean working hours (summed ÷ cases)"
    )
    description: str
    numerator: str
    denominator: str


class ExclusionOut(Schema):
    key: str
    name: str
    description: str


class DefinitionsOut(Schema):
    indicators: list[IndicatorOut]
    exclusions: list[ExclusionOut]
    attribution: str


class FigureOut(Schema):
    numerator: float = Field(description="cases; for a mean, working hours summed")
    denominator: int
    value: float | None = Field(description="the rate (0–1) or the mean hours; null: no cases")
    numerator_cases: str | None = Field(
        description="GET it for the numerator's cases (none for a mean)"
    )
    denominator_cases: str = Field(description="GET it for the denominator's cases")


class RowOut(Schema):
    key: str
    label: str
    unit: str | None = Field(description="a unit row's code: pass as unit= for its own table")
    cases: int = Field(description="cases that count (not left out)")
    cases_list: str
    excluded: dict[str, int] = Field(description="cases left out of every figure, by reason")
    figures: dict[str, FigureOut]
    selection: dict[str, str] = Field(description="the row as query parameters")


class PeriodOut(Schema):
    start: date
    end: date


class TableOut(Schema):
    by: str
    period: PeriodOut
    unit: str | None = Field(description="the unit whose figures these are; null: all of mine")
    computed_at: datetime = Field(description="deadlines are judged as of this moment")
    rows: list[RowOut]
    total: RowOut


class CaseBehindOut(Schema):
    tracking_code: str
    title: str
    state: str
    state_label: str
    category: str | None
    owner_unit: UnitRef
    created_at: datetime
    acknowledge_due: datetime | None
    acknowledged_at: datetime | None
    resolve_due: datetime | None
    resolved_at: datetime | None
    rating: int | None
    solved: bool | None
    reopens: int


class TaskBehindOut(Schema):
    id: int
    case: str
    case_title: str
    department: UnitRef
    state: str
    check_in_due: datetime
    checked_in_at: datetime | None


class BehindOut(Schema):
    figure: str
    part: str
    subject: Literal["case", "task"]
    count: int = Field(description="the figure: every row behind it, on all pages")
    cases: list[CaseBehindOut] = Field(description="for a figure of cases")
    tasks: list[TaskBehindOut] = Field(description="for a figure of whistle tasks (check-in)")
    next: str | None = Field(description="pass as before= for the next (older) page")
    previous: str | None = Field(description="pass as after= for the previous page")


ERRORS = {400: RefusedOut, 403: RefusedOut, 404: RefusedOut}
LEVEL_PARAMETER = Query(
    None, description="by unit: every unit of this level, instead of the units just below"
)
FIGURE_PARAMETER = Query(
    ..., description="an indicator's key, 'cases', or a reason cases are left out"
)


def _behind_url(selection: Selection, figure: str, part: str | None = None) -> str:
    params = {**selection.params(), "figure": figure}
    if part:
        params["part"] = part
    return f"{reverse('api:evaluation_cases')}?{urlencode(params)}"


def _row(
    key: str,
    label: str,
    unit: str | None,
    selection: Selection,
    figures: ind.Figures,
    shown: list[ind.Indicator],
) -> RowOut:
    out = {}
    for indicator in shown:
        figure = figures[indicator.key]
        out[indicator.key] = FigureOut(
            numerator=figure.numerator_hours if indicator.kind == ind.HOURS else figure.numerator,
            denominator=figure.denominator,
            value=figure.value,
            numerator_cases=_behind_url(selection, indicator.key, "numerator")
            if indicator.kind == ind.RATE
            else None,
            denominator_cases=_behind_url(selection, indicator.key, "denominator"),
        )
    return RowOut(
        key=key,
        label=label,
        unit=unit,
        cases=figures.cases,
        cases_list=_behind_url(selection, ind.CASES),
        excluded=figures.excluded,
        figures=out,
        selection=selection.params(),
    )


@router.get("/indicators", response=DefinitionsOut, summary="How each indicator is defined")
def definitions(request: HttpRequest) -> DefinitionsOut:
    """Every indicator with its definition, numerator and denominator, and what is left
    out of every figure: the text of the console and of docs/indicators.md."""
    return DefinitionsOut(
        indicators=[
            IndicatorOut(
                key=i.key,
                name=str(i.name),
                subject=i.subject,
                kind=i.kind,
                description=str(i.description),
                numerator=str(i.numerator_label),
                denominator=str(i.denominator_label),
            )
            for i in ind.indicators()
        ],
        exclusions=[
            ExclusionOut(key=e.key, name=str(e.name), description=str(e.description))
            for e in ind.exclusions()
        ],
        attribution=str(ind.UNITS_DESCRIPTION),
    )


@router.get(
    "/figures",
    response={200: TableOut, **ERRORS},
    summary="Figures of a period, by unit, category, channel or month",
)
def figures(
    request: HttpRequest,
    by: Dimension = "unit",
    level: Level | None = LEVEL_PARAMETER,
    unit: str | None = Query(None, description="a unit code; default: the top of my scope"),
    period: str | None = Query(None, description="a month of submission, 2025-03"),
    start: str | None = Query(None, description="or a first date, 2025-01-01 …"),
    end: str | None = Query(None, description="… and a last date, 2025-03-31 (at most a year)"),
    category: str | None = Query(None, description="a category code ('-': none yet)"),
    channel: str | None = None,
) -> TableOut:
    """Each row carries every indicator's numerator and denominator, with the API links
    to their cases; figures of units outside my scope are refused (404). Default: the
    current month."""
    selection = selection_for(
        request.user,
        unit=unit,
        period=period,
        start=start,
        end=end,
        category=category,
        channel=channel,
    )
    table = ind.table(selection, by, level=level)
    shown = [i for i in ind.indicators(table.at) if i.subject == ind.CASE or table.tasks]
    return TableOut(
        by=by,
        period=PeriodOut(start=selection.period.start, end=selection.period.end),
        unit=selection.unit.code if selection.unit else None,
        computed_at=table.at,
        rows=[
            _row(
                r.key,
                r.label,
                r.unit.code if r.unit else None,
                r.selection,
                r.figures,
                shown,
            )
            for r in table.rows
        ],
        total=_row("total", "", None, selection, table.total, shown),
    )


@router.get(
    "/cases",
    response={200: BehindOut, **ERRORS},
    url_name="evaluation_cases",
    summary="The cases behind a figure",
)
def behind(
    request: HttpRequest,
    figure: FigureKey = FIGURE_PARAMETER,  # type: ignore[valid-type]
    part: Part = "denominator",
    unit: str | None = None,
    own: bool = Query(False, description="only the unit's own cases, not those below it"),
    period: str | None = None,
    start: str | None = None,
    end: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    limit: int = Query(50, ge=1, le=200),
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> BehindOut:
    """Exactly the rows a figure counts (its numerator or denominator), newest first,
    paged by key; the same parameters as the figures' row."""
    selection = selection_for(
        request.user,
        unit=unit,
        own=own,
        period=period,
        start=start,
        end=end,
        category=category,
        channel=channel,
    )
    subject, rows = ind.behind(selection, figure, part)
    cases: list[CaseBehindOut] = []
    tasks: list[TaskBehindOut] = []
    if subject == ind.CASE:
        rows = (rows & Case.objects.visible_to(request.user)).select_related(
            "owner_unit", "category"
        )
        page = keyset(rows, NEWEST_FIRST, before=before, after=after, size=limit)
        cases = [
            CaseBehindOut(
                tracking_code=c.tracking_code,
                title=c.title,
                state=c.state,
                state_label=str(c.get_state_display()),
                category=c.category.name if c.category else None,
                owner_unit=UnitRef(code=c.owner_unit.code, name=c.owner_unit.name),
                created_at=c.created_at,
                acknowledge_due=c.acknowledge_due,
                acknowledged_at=c.acknowledged_at,
                resolve_due=c.resolve_due,
                resolved_at=c.resolved_at,
                rating=c.rating,
                solved=c.solved,
                reopens=c.reopens,
            )
            for c in page.items
        ]
    else:
        rows = (rows & WhistleTask.objects.visible_to(request.user)).select_related(
            "case", "department"
        )
        page = keyset(rows, NEWEST_FIRST, before=before, after=after, size=limit)
        tasks = [
            TaskBehindOut(
                id=t.pk,
                case=t.case.tracking_code,
                case_title=t.case.title,
                department=UnitRef(code=t.department.code, name=t.department.name),
                state=t.state,
                check_in_due=t.check_in_due,
                checked_in_at=t.checked_in_at,
            )
            for t in page.items
        ]
    return BehindOut(
        figure=figure,
        part=part,
        subject=subject,
        count=rows.order_by().count(),
        cases=cases,
        tasks=tasks,
        next=page.next,
        previous=page.previous,
    )
