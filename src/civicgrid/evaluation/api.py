"""The indicators API: their definitions, a table of figures, the cases behind a
figure, and the units' appeals (申诉) against a case's inclusion. The same selection
and refusals as the console (``selection.selection_for``): a unit outside the viewer's
scope is a 404, a role without figures a 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from civicgrid.cases.api import PageSize, UnitRef
from civicgrid.cases.models import Case, WhistleTask
from civicgrid.cases.paging import keyset
from civicgrid.cases.photos import check_photos
from civicgrid.errors import Forbidden, NotFound, answers
from civicgrid.evaluation import actions as appeal_actions
from civicgrid.evaluation import appeal_list, export, public, publishing, topics
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation import permissions as appeal_permissions
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import Appeal, MonthlyTopic, RankingSnapshot
from civicgrid.evaluation.ranking_view import RankingView, ranking_for
from civicgrid.evaluation.rankings import DEPARTMENTS, STREETS, parse_month
from civicgrid.evaluation.selection import Period, Selection, check_role, selection_for
from civicgrid.inputs import Id, WholeNumber
from civicgrid.org.models import User
from civicgrid.org.scoping import scope_of
from civicgrid.web import access

router = Router(tags=["evaluation"])

Dimension = Literal["unit", "category", "channel", "month"]
Level = Literal["street", "community", "grid", "department"]
FigureKey = Literal[ind.FIGURES]  # type: ignore[valid-type]
Part = Literal["numerator", "denominator"]
RevisionNumber = WholeNumber(1, 32767)
NEWEST_FIRST = ("-created_at", "-id")


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


@router.get(
    "/indicators",
    response=answers(DefinitionsOut),
    summary=gettext_lazy("How each indicator is defined"),
    description=gettext_lazy(
        "Every indicator with its definition, numerator and denominator, and what is left "
        "out of every figure: the text of the console and of docs/indicators.md."
    ),
)
def definitions(request: HttpRequest) -> DefinitionsOut:
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
    response=answers(TableOut),
    summary=gettext_lazy("Figures of a period, by unit, category, channel or month"),
    description=gettext_lazy(
        "Each row carries every indicator's numerator and denominator, with the API links "
        "to their cases; figures of units outside my scope are refused (404). Default: the "
        "current month."
    ),
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
    response=answers(BehindOut),
    url_name="evaluation_cases",
    summary=gettext_lazy("The cases behind a figure"),
    description=gettext_lazy(
        "Exactly the rows a figure counts (its numerator or denominator), newest first, "
        "paged by key; the same parameters as the figures' row."
    ),
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
    limit: PageSize = 50,
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> BehindOut:
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


# --- appeals (申诉) ----------------------------------------------------------------------------

AppealStateKey = Literal["submitted", "upheld", "rejected", "withdrawn"]
GroundKey = Literal["not_ours", "unreasonable", "duplicate"]
STATE_PARAMETER = Query(
    None, description="only appeals in this state; submitted: the queue, oldest first"
)
CASE_FIELD = Form(..., description="the case's tracking code")
GROUND_FIELD = Form(..., description="not_ours, unreasonable or duplicate")
REASON_FIELD = Form(..., description="why the case should not count, in words")
EVIDENCE_FILES = File(None, description="photos as evidence: JPEG, PNG or WebP; up to 3")


class AppealEventOut(Schema):
    seq: int
    action: str
    actor: str
    at: datetime
    from_state: str
    to_state: str
    note: str


class AppealOut(Schema):
    id: int
    case: str = Field(description="the case's tracking code")
    case_title: str
    unit: UnitRef = Field(description="the appealing unit")
    ground: GroundKey
    ground_label: str
    reason: str
    evidence: list[str] = Field(description="photos: GET /api/cases/{case}/photos/{name}")
    state: AppealStateKey
    state_label: str
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    allowed_actions: list[str] = Field(description="what I may do to it now")
    events: list[AppealEventOut] | None = Field(description="its log (one appeal only)")


class AppealPageOut(Schema):
    appeals: list[AppealOut]
    next: str | None = Field(description="pass as before= for the next page")
    previous: str | None = Field(description="pass as after= for the previous page")


class AppealDecisionIn(Schema):
    note: str = Field("", description="the district's reason (required to reject)")


def _appeal_out(appeal: Appeal, user: User, *, events: bool = False) -> AppealOut:
    return AppealOut(
        id=appeal.pk,
        case=appeal.case.tracking_code,
        case_title=appeal.case.title,
        unit=UnitRef(code=appeal.unit.code, name=appeal.unit.name),
        ground=appeal.ground,
        ground_label=str(appeal.get_ground_display()),
        reason=appeal.reason,
        evidence=list(appeal.evidence),
        state=appeal.state,
        state_label=str(appeal.get_state_display()),
        submitted_by=str(appeal.submitted_by),
        submitted_at=appeal.submitted_at,
        decided_by=str(appeal.decided_by) if appeal.decided_by else None,
        decided_at=appeal.decided_at,
        decision_note=appeal.decision_note,
        allowed_actions=appeal_permissions.allowed_actions(appeal, user),
        events=[
            AppealEventOut(
                seq=e.seq,
                action=e.action,
                actor=str(e.actor),
                at=e.at,
                from_state=e.from_state,
                to_state=e.to_state,
                note=e.note,
            )
            for e in appeal.events.select_related("actor").order_by("seq")
        ]
        if events
        else None,
    )


def _appeal(request: HttpRequest, pk: int) -> Appeal:
    appeal = (
        Appeal.objects.visible_to(request.user)
        .select_related("case", "unit", "submitted_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise NotFound(_("No appeal %(id)s that you may see.") % {"id": pk})
    return appeal


@router.get(
    "/appeals",
    response=answers(AppealPageOut),
    url_name="evaluation_appeals",
    summary=gettext_lazy("Appeals: my units' own, or (the district) every unit's"),
    description=gettext_lazy(
        "A unit's people see the appeals of the units in their scope; the district sees "
        "every appeal. Newest first, paged by key; the waiting ones (``state=submitted``) "
        "oldest first, as a queue."
    ),
)
def list_appeals(
    request: HttpRequest,
    state: AppealStateKey | None = STATE_PARAMETER,
    limit: PageSize = 50,
    before: str | None = Query(None, description="a page's next cursor: the page after it"),
    after: str | None = Query(None, description="a page's previous cursor: the page before"),
) -> AppealPageOut:
    page = appeal_list.page(request.user, state, before=before, after=after, size=limit)
    return AppealPageOut(
        appeals=[_appeal_out(a, request.user) for a in page.items],
        next=page.next,
        previous=page.previous,
    )


@router.get(
    "/appeals/{pk}",
    response=answers(AppealOut),
    summary=gettext_lazy("An appeal and its log"),
)
def get_appeal(request: HttpRequest, pk: Id) -> AppealOut:
    return _appeal_out(_appeal(request, pk), request.user, events=True)


@router.post(
    "/appeals",
    response=answers(AppealOut, status=201),
    summary=gettext_lazy("申诉 Appeal a case's inclusion in my unit's figures"),
    description=gettext_lazy(
        "Multipart form: the ``case``'s tracking code, ``ground``, ``reason`` and up to 3 "
        "photos as ``evidence`` (checked by content). Until day "
        "``CIVICGRID_APPEAL_DAYS_AFTER_MONTH`` of the month after the case's; by a handler, "
        "dispatcher or leader of the case's unit or a unit above it, below the district."
    ),
)
def submit_appeal(
    request: HttpRequest,
    case: str = CASE_FIELD,
    ground: GroundKey = GROUND_FIELD,
    reason: str = REASON_FIELD,
    evidence: list[UploadedFile] | None = EVIDENCE_FILES,
) -> Status[AppealOut]:
    found = Case.objects.visible_case(request.user, case)
    if found is None:
        raise NotFound(_("No case %(code)s that you may see.") % {"code": case})
    files = evidence or []
    checked = check_photos(files, [f.name or "" for f in files])
    appeal = appeal_actions.submit_appeal(
        found, actor=request.user, ground=ground, reason=reason, evidence=checked
    )
    return Status(201, _appeal_out(_appeal(request, appeal.pk), request.user, events=True))


@router.post(
    "/appeals/{pk}/uphold",
    response=answers(AppealOut),
    summary=gettext_lazy("维持 Uphold an appeal (the district): the case leaves every figure"),
)
def uphold_appeal(request: HttpRequest, pk: Id, body: AppealDecisionIn) -> AppealOut:
    appeal = appeal_actions.uphold_appeal(_appeal(request, pk), actor=request.user, note=body.note)
    return _appeal_out(_appeal(request, appeal.pk), request.user, events=True)


@router.post(
    "/appeals/{pk}/reject",
    response=answers(AppealOut),
    summary=gettext_lazy("驳回 Reject an appeal (the district), saying why"),
)
def reject_appeal(request: HttpRequest, pk: Id, body: AppealDecisionIn) -> AppealOut:
    appeal = appeal_actions.reject_appeal(_appeal(request, pk), actor=request.user, note=body.note)
    return _appeal_out(_appeal(request, appeal.pk), request.user, events=True)


@router.post(
    "/appeals/{pk}/withdraw",
    response=answers(AppealOut),
    summary=gettext_lazy("撤回 Withdraw my unit's appeal while it waits"),
)
def withdraw_appeal(request: HttpRequest, pk: Id) -> AppealOut:
    appeal = appeal_actions.withdraw_appeal(_appeal(request, pk), actor=request.user)
    return _appeal_out(_appeal(request, appeal.pk), request.user, events=True)


# --- monthly rankings (月度榜单) -------------------------------------------------------------

ListKey = Literal["streets", "communities", "departments"]
MONTH_PARAMETER = Query(..., description="the month, 2025-03 (ASCII digits)")
LIST_PARAMETER = Query(None, description="one list only; default: all three")
REVISION_PARAMETER = Query(None, description="a published revision; default: the latest")
LIVE_PARAMETER = Query(
    False, description="computed now even when the month is published (never frozen)"
)


class RankedFigureOut(Schema):
    numerator: int
    denominator: int
    value: float | None = Field(description="the rate (0–1); null without a denominator")


class RankingRowOut(Schema):
    unit: str = Field(description="the unit's code")
    name: str
    kind: str
    group: str | None = Field(description="communities: the street they are ranked within")
    cases: int = Field(description="cases that count (the volume)")
    excluded: dict[str, int] = Field(description="cases left out, by reason")
    figures: dict[str, RankedFigureOut] = Field(
        description="every indicator's numerator and denominator (the inputs); for the "
        "mean hours, working seconds summed over cases"
    )
    score: float | None = Field(description="composite score out of 100; null: none")
    rank: int | None = Field(description="null: listed apart")
    apart: bool = Field(description="listed apart (单列): too few cases or no rate")
    apart_reason: Literal["volume", "no_rate"] | None
    previous_score: float | None = Field(description="the month before's score")
    change: float | None
    red: bool = Field(description="on the red list (红榜)")
    black: bool = Field(description="on the black list (黑榜)")
    improved: bool = Field(description="among the most improved (进步最快)")


class RankingPolicyOut(Schema):
    weight_response: int
    weight_solved: int
    weight_satisfaction: int
    min_volume: int = Field(description="fewer counted cases: listed apart")
    red_size: int
    black_size: int
    improved_size: int


Weight = WholeNumber(0, 100)
ListSize = WholeNumber(0, 20)
Volume = WholeNumber(0, 100000)


class RankingPolicyIn(Schema):
    """The settings to change; those left out stay as they are."""

    weight_response: Weight | None = None  # type: ignore[valid-type]
    weight_solved: Weight | None = None  # type: ignore[valid-type]
    weight_satisfaction: Weight | None = None  # type: ignore[valid-type]
    min_volume: Volume | None = None  # type: ignore[valid-type]
    red_size: ListSize | None = None  # type: ignore[valid-type]
    black_size: ListSize | None = None  # type: ignore[valid-type]
    improved_size: ListSize | None = None  # type: ignore[valid-type]


class RevisionOut(Schema):
    revision: int
    published_at: datetime
    published_by: str
    reason: str
    early: bool = Field(description="published before the appeals closed")


class RankingOut(Schema):
    month: str
    status: Literal["published", "live"]
    revision: int | None = Field(description="the revision shown; null: live")
    computed_at: datetime = Field(description="deadlines are judged as of this moment")
    policy: RankingPolicyOut = Field(description="the policy these lists were computed under")
    score_rule: str
    list_rule: str
    lists: dict[str, list[RankingRowOut]]
    revisions: list[RevisionOut] = Field(description="every published revision, first first")
    hidden: int = Field(description="live rows left out: units outside my scope")


class PublishIn(Schema):
    early: bool = Field(False, description="publish before the month's appeals close")


class CorrectIn(Schema):
    reason: str = Field(..., description="why the month is published again")


class VerificationOut(Schema):
    month: str
    revision: int
    same: bool = Field(description="recomputed from the cases, every row is as published")
    differences: list[str] = Field(description="'list unit: fields' that differ")


def _policy_out(terms: rk.Terms) -> RankingPolicyOut:
    return RankingPolicyOut(
        weight_response=terms.weights["response"],
        weight_solved=terms.weights["solved"],
        weight_satisfaction=terms.weights["satisfaction"],
        min_volume=terms.min_volume,
        red_size=terms.red_size,
        black_size=terms.black_size,
        improved_size=terms.improved_size,
    )


def _ranking_row(row: dict[str, Any]) -> RankingRowOut:
    figures = {}
    for key, (numerator, denominator) in row["figures"].items():
        value = row["rates"].get(key) if key in row["rates"] else None
        if value is None and denominator and ind.KINDS.get(key) == ind.RATE:
            value = numerator / denominator
        figures[key] = RankedFigureOut(numerator=numerator, denominator=denominator, value=value)
    return RankingRowOut(
        **{k: row[k] for k in RankingRowOut.model_fields if k != "figures"}, figures=figures
    )


def _revision_out(snapshot: RankingSnapshot) -> RevisionOut:
    return RevisionOut(
        revision=snapshot.revision,
        published_at=snapshot.published_at,
        published_by=str(snapshot.published_by),
        reason=snapshot.reason,
        early=snapshot.early,
    )


def _ranking_out(view: RankingView, only: str | None = None) -> RankingOut:
    return RankingOut(
        month=view.month.key,
        status=view.status,
        revision=view.snapshot.revision if view.snapshot else None,
        computed_at=view.computed_at,
        policy=_policy_out(view.terms),
        score_rule=str(rk.SCORE_RULE),
        list_rule=str(rk.LIST_RULE),
        lists={
            name: [_ranking_row(r) for r in rows]
            for name, rows in view.lists.items()
            if only in (None, name)
        },
        revisions=[_revision_out(s) for s in view.revisions],
        hidden=view.hidden,
    )


@router.get(
    "/rankings",
    response=answers(RankingOut),
    url_name="evaluation_rankings",
    summary=gettext_lazy("月度榜单 A month's rankings: published, or computed now"),
    description=gettext_lazy(
        "The month's published revision (the latest by default), or, when it is not "
        "published or ``live`` is set, its rankings computed now. Every row carries its "
        "numerators and denominators, score, rank, whether it is listed apart, and its "
        "place on the red, black and most-improved lists. A live computation shows only the "
        "units in my scope; a published month is public."
    ),
)
def rankings_of_month(
    request: HttpRequest,
    month: str = MONTH_PARAMETER,
    list: ListKey | None = LIST_PARAMETER,
    revision: RevisionNumber | None = REVISION_PARAMETER,
    live: bool = LIVE_PARAMETER,
) -> RankingOut:
    period = rk.parse_month(month)
    return _ranking_out(ranking_for(request.user, period, revision=revision, live=live), list)


@router.get(
    "/rankings/policy",
    response=answers(RankingPolicyOut),
    summary=gettext_lazy("The district's ranking policy: weights, minimum volume, list sizes"),
)
def ranking_policy(request: HttpRequest) -> RankingPolicyOut:
    check_role(request.user)
    return _policy_out(rk.Terms.current())


@router.put(
    "/rankings/policy",
    response=answers(RankingPolicyOut),
    summary=gettext_lazy("Change the ranking policy (district leaders and administrators)"),
    description=gettext_lazy(
        "The fields given change; the three weights must add up to 100. Logged; months "
        "already published keep the policy they were computed under."
    ),
)
def change_ranking_policy(request: HttpRequest, body: RankingPolicyIn) -> RankingPolicyOut:
    values = body.model_dump(exclude_none=True)
    publishing.change_policy(request.user, **values)
    return _policy_out(rk.Terms.current())


@router.post(
    "/rankings/{month}/publish",
    response=answers(RankingOut, status=201),
    summary=gettext_lazy(
        "发布 Publish a month: freeze its rankings (district leaders and administrators)"
    ),
    description=gettext_lazy(
        "Refused for the current or a future month, with appeals on its cases still "
        "undecided, before its appeals close (unless ``early``), or when already published "
        "(publish a correction)."
    ),
)
def publish_rankings(request: HttpRequest, month: str, body: PublishIn) -> Status[RankingOut]:
    period = rk.parse_month(month)
    snapshot = publishing.publish_month(request.user, period, early=body.early)
    view = ranking_for(request.user, period, revision=snapshot.revision)
    return Status(201, _ranking_out(view))


@router.post(
    "/rankings/{month}/correct",
    response=answers(RankingOut, status=201),
    summary=gettext_lazy(
        "更正 Publish a month again, recomputed, as a new revision with its reason"
    ),
)
def correct_rankings(request: HttpRequest, month: str, body: CorrectIn) -> Status[RankingOut]:
    period = rk.parse_month(month)
    snapshot = publishing.correct_month(request.user, period, body.reason)
    view = ranking_for(request.user, period, revision=snapshot.revision)
    return Status(201, _ranking_out(view))


@router.get(
    "/rankings/{month}/verify",
    response=answers(VerificationOut),
    summary=gettext_lazy("Recompute a published month from its cases and compare"),
    description=gettext_lazy(
        "At the moment and under the policy it was computed with: ``same`` when every row "
        "is as published; otherwise which fields of which rows moved (a late rating, an "
        "appeal upheld after publishing)."
    ),
)
def verify_rankings(
    request: HttpRequest, month: str, revision: RevisionNumber | None = REVISION_PARAMETER
) -> VerificationOut:
    period = rk.parse_month(month)
    check_role(request.user)
    _published_or_404(period, revision)
    found = publishing.verify(period.key, revision)
    return VerificationOut(
        month=found.month, revision=found.revision, same=found.same, differences=found.differences
    )


def _published_or_404(period: Period, revision: int | None) -> RankingSnapshot:
    snapshot = publishing.published(period.key, revision)
    if snapshot is None:
        raise NotFound(
            _("%(month)s has not been published; there is nothing to correct.")
            % {"month": period.key}
            if revision is None
            else _("%(month)s has no published revision %(n)s.")
            % {"month": period.key, "n": revision}
        )
    return snapshot


@router.get(
    "/rankings/{month}/export.xlsx",
    response=answers(None),
    url_name="evaluation_rankings_export",
    openapi_extra={
        "responses": {200: {"description": "the workbook", "content": {export.XLSX: {}}}}
    },
    summary=gettext_lazy("A published month as an Excel workbook (one sheet per list)"),
    description=gettext_lazy(
        "Streets and towns, communities, departments, the units listed apart, and the "
        "rules; Chinese headers. Only a published month (404 otherwise)."
    ),
)
def export_rankings(
    request: HttpRequest, month: str, revision: RevisionNumber | None = REVISION_PARAMETER
) -> HttpResponse:
    period = rk.parse_month(month)
    check_role(request.user)
    snapshot = _published_or_404(period, revision)
    response = HttpResponse(export.workbook(snapshot), content_type=export.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{export.filename(snapshot)}"'
    return response


# --- what the district publishes, and 每月一题 -------------------------------------------------


class PublicRowOut(Schema):
    name: str
    cases: int
    rank: int | None = Field(description="null: listed apart (too few cases, or no rate)")
    apart: bool
    score: str = Field(description="out of 100, one decimal; '–' without a score")
    rates: dict[str, str] = Field(description="response, solved, satisfaction, as percentages")
    red: bool
    black: bool
    improved: bool


class CategoryShareOut(Schema):
    name: str
    cases: int
    share: str


class StoryOut(Schema):
    category: str
    unit: str
    asked: str = Field(description="the request, personal data masked")
    done: str = Field(description="the reply, personal data masked")


class PublicMonthOut(Schema):
    month: str
    revision: int
    published_at: datetime
    streets: list[PublicRowOut]
    departments: list[PublicRowOut]
    categories: list[CategoryShareOut]
    stories: list[StoryOut]


def _public_rows(rows: list[dict[str, object]]) -> list[PublicRowOut]:
    return [
        PublicRowOut(
            name=r["name"],
            cases=r["cases"],
            rank=None if r["apart"] else r["rank"],
            apart=r["apart"],
            score=r["score"],
            rates={rate["key"]: rate["text"] for rate in r["rates"]},  # type: ignore[attr-defined]
            red=r["red"],
            black=r["black"],
            improved=r["improved"],
        )
        for r in rows
    ]


@router.get(
    "/public/{month}",
    auth=None,
    response=answers(PublicMonthOut, public=True),
    summary=gettext_lazy("A published month as the public page shows it (no login)"),
    description=gettext_lazy(
        "The month's published figures and rankings by street and department (the frozen "
        "snapshot), its category mix and a few resolved cases with personal data masked."
    ),
)
def public_month(request: HttpRequest, month: str) -> PublicMonthOut:
    key = public.chosen_month(month) or month
    report = public.month_report(key)
    if report is None:
        raise NotFound(_("%(month)s has not been published.") % {"month": key})
    return PublicMonthOut(
        month=key,
        revision=report.snapshot.revision,
        published_at=report.snapshot.published_at,
        streets=_public_rows(report.lists[STREETS]),
        departments=_public_rows(report.lists[DEPARTMENTS]),
        categories=[CategoryShareOut(name=n, cases=c, share=s) for n, c, s in report.categories],
        stories=[StoryOut(**vars(s)) for s in public.stories(key)],
    )


class TopicIn(Schema):
    month: str = Field(description="2025-03")
    title: str = Field(description="the hot issue's title")
    label: str = ""
    codes: list[str] = Field(description="the hot issue's cases (tracking codes)")
    reason: str = ""


class TopicOut(Schema):
    month: str
    title: str
    label: str
    reason: str
    chosen_by: str
    chosen_at: datetime
    cases: int
    closed: int
    by_state: dict[str, int]


def _topic_out(topic: MonthlyTopic) -> TopicOut:

    progress = topics.progress(topic)
    return TopicOut(
        month=topic.month,
        title=topic.title,
        label=topic.label,
        reason=topic.reason,
        chosen_by=topic.chosen_by.username,
        chosen_at=topic.chosen_at,
        cases=progress.total,
        closed=progress.closed,
        by_state={state: n for state, _label, n in progress.by_state},
    )


@router.post(
    "/topics",
    response=answers(TopicOut, status=201),
    summary=gettext_lazy("Make a hot issue the month's key problem (每月一题; the district)"),
    description=gettext_lazy(
        "By a dispatcher, leader or administrator of the district; the cases kept are those "
        "of ``codes`` the caller may see."
    ),
)
def choose_topic(request: HttpRequest, body: TopicIn) -> Status[TopicOut]:

    topic = topics.choose_topic(
        request.user,
        body.month,
        {"title": body.title, "label": body.label, "codes": body.codes},
        reason=body.reason,
    )
    return Status(201, _topic_out(topic))


@router.get(
    "/topics/{month}",
    response=answers(TopicOut),
    summary=gettext_lazy("The month's key problem (每月一题) and its cases' progress"),
    description=gettext_lazy(
        "For those the monthly bulletin is for (leaders, dispatchers, administrators)."
    ),
)
def get_topic(request: HttpRequest, month: str) -> TopicOut:

    if not scope_of(request.user).has_role(*access.BULLETIN):
        raise Forbidden(_("This page is for another role."))
    key = parse_month(month).key
    topic = topics.topic_of(key)
    if topic is None:
        raise NotFound(_("No key problem was chosen for this month."))
    return _topic_out(topic)
