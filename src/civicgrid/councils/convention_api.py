"""The conventions API (公约评分), under ``/api/councils``: a council's convention, its
signatures, scoring periods, scores and results, the Excel files, and the district's
ranking of councils. The same refusals as the pages: a council a person may not see, or
a period they may not see, is a 404; a change they may not make a 403; one the state
does not allow a 409."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.responses import Status

from civicgrid.cases.photos import check_photos
from civicgrid.councils import convention_excel as excel
from civicgrid.councils import conventions, scoring
from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import (
    Cadence,
    Convention,
    ConventionTemplate,
    PeriodState,
    ScoringPeriod,
)
from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.councils.permissions import Standing
from civicgrid.councils.views import visible_council
from civicgrid.errors import Forbidden, NotFound, answers
from civicgrid.inputs import Id, WholeNumber
from civicgrid.org.scoping import scope_of
from civicgrid.web import access

router = Router(tags=["conventions"])

CadenceKey = Literal[tuple(Cadence.values)]  # type: ignore[valid-type]
StateKey = Literal[tuple(PeriodState.values)]  # type: ignore[valid-type]
Points = WholeNumber(0, t.MAX_POINTS)
Version = WholeNumber(1, 2**31 - 1)


def _council(request: HttpRequest, pk: int) -> tuple[Council, Standing]:
    council = visible_council(request.user, pk)
    return council, Standing(council, request.user)


def _convention(council: Council) -> Convention:
    convention = conventions.convention_of(council)
    if convention is None:
        raise NotFound(_("This council has no convention yet."))
    return convention


# --- schemas ---------------------------------------------------------------------------------


class TemplateOut(Schema):
    id: int
    name: str
    terms: dict[str, Any] = Field(description="items, indicators and rewards (see the convention)")


class ConventionOut(Schema):
    council: int
    name: str
    version: int
    template: int | None
    terms: dict[str, Any] = Field(
        description="items (name, indicators: key, name, points, rule, method deduct | "
        "pass_fail | graded, step, zero_tolerance) and honours (red_top, red_min, "
        "red_reward, black_below, black_penalty)"
    )
    points: int = Field(description="the convention's total")
    signed: int = Field(description="active members who signed this version")
    i_signed: bool
    adopted_at: datetime
    amended_at: datetime | None


class AdoptIn(Schema):
    template: int | None = Field(None, description="a template's id (GET /templates)")
    terms: dict[str, Any] | None = Field(None, description="or terms of the council's own")
    name: str = ""


class AmendIn(Schema):
    terms: dict[str, Any]
    name: str = ""
    version: Version = Field(description="the version the change was made on (else 409)")


class SignatureOut(Schema):
    member: int
    name: str
    version: int
    signed_at: datetime


class ScoringPeriodOut(Schema):
    id: int
    key: str
    cadence: str
    starts_on: date
    ends_on: date
    state: StateKey
    state_label: str
    convention_version: int
    average: float | None = Field(description="the council's score out of 100, once rated")


class OpenIn(Schema):
    cadence: CadenceKey
    key: str = Field(description="2026-03 (monthly) or 2026-Q1 (quarterly)", max_length=7)


class ScoreOut(Schema):
    member: int
    member_name: str
    indicator: str
    self_points: int | None
    findings: int | None
    inspected_points: int | None
    inspection_note: str
    photos: list[str] = Field(description="each at /councils/{pk}/convention/photos/{name}")
    final_points: int | None


class SelfAssessmentIn(Schema):
    points: dict[str, Points] = Field(
        description="points by indicator key, every indicator (0 to its points)"
    )
    note: str = ""


class OverrideIn(Schema):
    member: Id
    indicator: str = Field(max_length=8)
    points: Points


class RatePeriodIn(Schema):
    overrides: list[OverrideIn] = Field(
        default_factory=list,
        description="the council's own points for some scores",
        max_length=5000,
    )
    note: str = ""


class MemberTotalOut(Schema):
    member: int
    name: str
    total: int
    breaches: list[str] = Field(description="zero-tolerance indicators it lost points on")


class ResultsOut(Schema):
    period: ScoringPeriodOut
    max: int
    average: float | None
    members: list[MemberTotalOut] = Field(description="best first")
    red: list[MemberTotalOut]
    red_reward: str
    black: list[MemberTotalOut]
    black_penalty: str


class RankedOut(Schema):
    rank: int
    council: int
    council_name: str
    unit: str
    period: str
    average: float


def convention_out(convention: Convention, standing: Standing) -> ConventionOut:
    signed = conventions.signatures(convention)
    active = set(
        CouncilMember.objects.filter(council_id=convention.council_id, left_on=None).values_list(
            "pk", flat=True
        )
    )
    return ConventionOut(
        council=convention.council_id,
        name=convention.name,
        version=convention.version,
        template=convention.template_id,
        terms=convention.terms,
        points=t.parse(convention.terms).total,
        signed=len(active & set(signed)),
        i_signed=standing.seat is not None and standing.seat.pk in signed,
        adopted_at=convention.adopted_at,
        amended_at=convention.amended_at,
    )


def period_out(period: ScoringPeriod) -> ScoringPeriodOut:
    return ScoringPeriodOut(
        id=period.pk,
        key=period.key,
        cadence=period.cadence,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        state=period.state,
        state_label=str(period.get_state_display()),
        convention_version=period.convention_version,
        average=period.average,
    )


# --- the convention -----------------------------------------------------------------------------


@router.get(
    "/convention-templates",
    response=answers(list[TemplateOut]),
    summary=gettext_lazy("The district's convention templates"),
)
def list_templates(request: HttpRequest) -> list[TemplateOut]:
    if not request.user.is_authenticated:
        raise NotFound(_("No such scoring period that you may see."))
    scoring.district_template()
    return [
        TemplateOut(id=tpl.pk, name=tpl.name, terms=tpl.terms)
        for tpl in ConventionTemplate.objects.filter(active=True)
    ]


@router.get(
    "/convention-rankings",
    response=answers(list[RankedOut]),
    summary=gettext_lazy("Councils ranked by their latest published convention score"),
    description=gettext_lazy(
        "The councils in the caller's scope with a published scoring period, by its "
        "members' average total out of 100; staff only."
    ),
)
def council_rankings(request: HttpRequest) -> list[RankedOut]:
    if not request.user.is_authenticated or not scope_of(request.user).has_role(*access.EVALUATION):
        raise Forbidden(_("Only staff see the councils' ranking."))
    return [
        RankedOut(
            rank=r.rank,
            council=r.council.pk,
            council_name=r.council.name,
            unit=r.council.unit.code,
            period=r.period.key,
            average=r.average,
        )
        for r in conventions.rankings(request.user)
    ]


@router.get(
    "/{pk}/convention",
    response=answers(ConventionOut),
    summary=gettext_lazy("A council's convention (公约)"),
)
def get_convention(request: HttpRequest, pk: Id) -> ConventionOut:
    council, standing = _council(request, pk)
    return convention_out(_convention(council), standing)


@router.post(
    "/{pk}/convention",
    response=answers(ConventionOut, status=201),
    summary=gettext_lazy("采用公约 Adopt a template, or terms of the council's own"),
)
def adopt_convention(request: HttpRequest, pk: Id, body: AdoptIn) -> Status[ConventionOut]:
    council, standing = _council(request, pk)
    template = None
    if body.template is not None:
        template = ConventionTemplate.objects.filter(pk=body.template, active=True).first()
        if template is None:
            raise NotFound(_("Choose a template."))
    convention = scoring.adopt_convention(
        council, actor=request.user, template=template, terms=body.terms, name=body.name
    )
    return Status(201, convention_out(convention, standing))


@router.put(
    "/{pk}/convention",
    response=answers(ConventionOut),
    summary=gettext_lazy("修订公约 Amend the convention: a new version, signed anew"),
)
def amend_convention(request: HttpRequest, pk: Id, body: AmendIn) -> ConventionOut:
    council, standing = _council(request, pk)
    convention = scoring.amend_convention(
        _convention(council),
        actor=request.user,
        terms=body.terms,
        name=body.name,
        expected_version=body.version,
    )
    return convention_out(convention, standing)


@router.post(
    "/{pk}/convention/import",
    response=answers(ConventionOut),
    summary=gettext_lazy("Import the convention from an Excel workbook (adopt or amend)"),
    description=gettext_lazy(
        "Multipart: ``file`` (.xlsx, sheets 公约 and 奖惩) and, to amend, the ``version`` "
        "amended. The whole workbook is checked before anything is written."
    ),
)
def import_convention(
    request: HttpRequest,
    pk: Id,
    file: UploadedFile = File(..., description="the workbook"),  # noqa: B008
    version: int | None = Form(None, ge=1, le=2**31 - 1),
) -> ConventionOut:
    council, standing = _council(request, pk)
    standing.check(CouncilAction.ADOPT_CONVENTION)
    name, terms = excel.read_terms(file)
    existing = conventions.convention_of(council)
    if existing is None:
        convention = scoring.adopt_convention(
            council, actor=request.user, terms=terms.as_json(), name=name
        )
    else:
        convention = scoring.amend_convention(
            existing,
            actor=request.user,
            terms=terms.as_json(),
            name=name,
            expected_version=version,
        )
    return convention_out(convention, standing)


XLSX_RESPONSE = {"responses": {200: {"description": "the workbook", "content": {excel.XLSX: {}}}}}


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/{pk}/convention/export.xlsx",
    response=answers(None),
    openapi_extra=XLSX_RESPONSE,
    summary=gettext_lazy("The convention as an Excel workbook"),
)
def export_convention(request: HttpRequest, pk: Id) -> HttpResponse:
    council, _standing = _council(request, pk)
    return _xlsx(excel.convention_workbook(_convention(council)), "convention.xlsx")


@router.get(
    "/{pk}/convention/signatures",
    response=answers(list[SignatureOut]),
    summary=gettext_lazy("Who has signed the convention's current version"),
)
def list_signatures(request: HttpRequest, pk: Id) -> list[SignatureOut]:
    council, _standing = _council(request, pk)
    convention = _convention(council)
    rows = convention.signatures.filter(version=convention.version).select_related("member")
    return [
        SignatureOut(
            member=s.member_id, name=s.member.name, version=s.version, signed_at=s.signed_at
        )
        for s in rows.order_by("signed_at", "pk")
    ]


@router.post(
    "/{pk}/convention/sign",
    response=answers(SignatureOut, status=201),
    summary=gettext_lazy("签署公约 Sign the convention (the member themself)"),
)
def sign_convention(request: HttpRequest, pk: Id) -> Status[SignatureOut]:
    _c, standing = _council(request, pk)
    if standing.seat is None:
        raise Forbidden(_("Only the member themself may sign the convention."))
    signature = scoring.sign_convention(standing.seat, actor=request.user)
    return Status(
        201,
        SignatureOut(
            member=signature.member_id,
            name=standing.seat.name,
            version=signature.version,
            signed_at=signature.signed_at,
        ),
    )


# --- periods ------------------------------------------------------------------------------------


def _period(council: Council, standing: Standing, period_id: int) -> ScoringPeriod:
    return conventions.period_for(council, standing, period_id)


@router.get(
    "/{pk}/periods",
    response=answers(list[ScoringPeriodOut]),
    summary=gettext_lazy("A council's scoring periods I may see"),
    description=gettext_lazy(
        "Officers and staff see every period; a member sees the published ones and those "
        "they are scored in. Newest first."
    ),
)
def list_periods(request: HttpRequest, pk: Id) -> list[ScoringPeriodOut]:
    council, standing = _council(request, pk)
    return [period_out(p) for p in conventions.periods_for(council, standing)[:200]]


@router.post(
    "/{pk}/periods",
    response=answers(ScoringPeriodOut, status=201),
    summary=gettext_lazy("开启评分期 Open a monthly or quarterly scoring period"),
)
def open_period(request: HttpRequest, pk: Id, body: OpenIn) -> Status[ScoringPeriodOut]:
    council, _standing = _council(request, pk)
    period = scoring.open_period(council, actor=request.user, cadence=body.cadence, key=body.key)
    return Status(201, period_out(period))


@router.get(
    "/{pk}/periods/{period_id}",
    response=answers(ScoringPeriodOut),
    summary=gettext_lazy("A scoring period"),
)
def get_period(request: HttpRequest, pk: Id, period_id: Id) -> ScoringPeriodOut:
    council, standing = _council(request, pk)
    return period_out(_period(council, standing, period_id))


@router.get(
    "/{pk}/periods/{period_id}/scores",
    response=answers(list[ScoreOut]),
    summary=gettext_lazy("A period's scores I may see (self-assessed, inspected, final)"),
    description=gettext_lazy(
        "Officers and staff: every member's; a member: their own until the period is "
        "published, everyone's after."
    ),
)
def list_scores(request: HttpRequest, pk: Id, period_id: Id) -> list[ScoreOut]:
    council, standing = _council(request, pk)
    period = _period(council, standing, period_id)
    return [
        ScoreOut(
            member=row.member.pk,
            member_name=row.member.name,
            indicator=cell.indicator.key,
            self_points=cell.score.self_points,
            findings=cell.score.findings,
            inspected_points=cell.score.inspected_points,
            inspection_note=cell.score.inspection_note,
            photos=[p.name for p in cell.photos],
            final_points=cell.score.final_points,
        )
        for row in conventions.sheet(period, standing)
        for cell in row.cells
    ]


@router.post(
    "/{pk}/periods/{period_id}/self-assessment",
    response=answers(ScoringPeriodOut),
    summary=gettext_lazy("自评 My self-assessment: points on every indicator"),
)
def self_assess(
    request: HttpRequest,
    pk: Id,
    period_id: Id,
    body: SelfAssessmentIn,
) -> ScoringPeriodOut:
    council, standing = _council(request, pk)
    period = _period(council, standing, period_id)
    if standing.seat is None:
        raise Forbidden(_("Only the member themself may fill in their self-assessment."))
    scoring.self_assess(
        period, standing.seat, actor=request.user, points=body.points, note=body.note
    )
    return period_out(period)


@router.post(
    "/{pk}/periods/{period_id}/inspections",
    response=answers(ScoreOut),
    summary=gettext_lazy("联合巡查 Record an inspection's finding, with photos"),
    description=gettext_lazy(
        "Multipart form: ``member``, ``indicator`` (its key), and ``findings`` (indicators "
        "scored per finding), ``passed`` (pass or fail) or ``points`` (graded, or to set "
        "them directly), a ``note`` and up to 3 ``photos`` (JPEG, PNG or WebP, checked by "
        "content)."
    ),
)
def inspect(
    request: HttpRequest,
    pk: Id,
    period_id: Id,
    member: int = Form(..., ge=1, le=2**63 - 1),
    indicator: str = Form(..., max_length=8),
    findings: int | None = Form(None, ge=0, le=t.MAX_FINDINGS),
    passed: bool | None = Form(None),
    points: int | None = Form(None, ge=0, le=t.MAX_POINTS),
    note: str = Form("", max_length=300),
    photos: list[UploadedFile] | None = File(None, description="up to 3"),  # noqa: B008
) -> ScoreOut:
    council, standing = _council(request, pk)
    period = _period(council, standing, period_id)
    standing.check(CouncilAction.INSPECT)
    found = council.members.filter(pk=member).first()
    if found is None:
        raise NotFound(_("Choose a member scored in this period."))
    files = photos or []
    checked = check_photos(files, [f.name or "" for f in files])
    score = scoring.inspect(
        period,
        found,
        scoring.Finding(indicator, findings=findings, passed=passed, points=points, note=note),
        actor=request.user,
        photos=checked,
    )
    return ScoreOut(
        member=found.pk,
        member_name=found.name,
        indicator=score.indicator,
        self_points=score.self_points,
        findings=score.findings,
        inspected_points=score.inspected_points,
        inspection_note=score.inspection_note,
        photos=list(score.photos.values_list("name", flat=True)),
        final_points=score.final_points,
    )


@router.post(
    "/{pk}/periods/{period_id}/close",
    response=answers(ScoringPeriodOut),
    summary=gettext_lazy("结束自评 Close the self-assessment"),
)
def close_self_assessment(request: HttpRequest, pk: Id, period_id: Id) -> ScoringPeriodOut:
    council, standing = _council(request, pk)
    period = scoring.close_self_assessment(
        _period(council, standing, period_id), actor=request.user
    )
    return period_out(period)


@router.post(
    "/{pk}/periods/{period_id}/rate",
    response=answers(ScoringPeriodOut),
    summary=gettext_lazy("理事会评定 Rate the period: final scores, totals, red and black lists"),
)
def rate_period(
    request: HttpRequest, pk: Id, period_id: Id, body: RatePeriodIn
) -> ScoringPeriodOut:
    council, standing = _council(request, pk)
    overrides = {(o.member, o.indicator): o.points for o in body.overrides}
    period = scoring.rate_period(
        _period(council, standing, period_id),
        actor=request.user,
        overrides=overrides,
        note=body.note,
    )
    return period_out(period)


@router.post(
    "/{pk}/periods/{period_id}/publish",
    response=answers(ScoringPeriodOut),
    summary=gettext_lazy("公布 Publish the rated scores to the members"),
)
def publish_period(request: HttpRequest, pk: Id, period_id: Id) -> ScoringPeriodOut:
    council, standing = _council(request, pk)
    period = scoring.publish_period(_period(council, standing, period_id), actor=request.user)
    return period_out(period)


@router.get(
    "/{pk}/periods/{period_id}/results",
    response=answers(ResultsOut),
    summary=gettext_lazy("A period's results: totals, the red and black lists (红黑榜)"),
    description=gettext_lazy("Officers and staff once rated; members once published (404 before)."),
)
def period_results(request: HttpRequest, pk: Id, period_id: Id) -> ResultsOut:
    council, standing = _council(request, pk)
    period = _period(council, standing, period_id)
    found = conventions.standings(period)
    if found is None or (
        not conventions.runs_scoring(standing) and period.state != PeriodState.PUBLISHED
    ):
        raise NotFound(_("No such scoring period that you may see."))
    honours = t.parse(period.terms).honours

    def totals(rows: list[dict[str, Any]]) -> list[MemberTotalOut]:
        return [
            MemberTotalOut(
                member=m["member"], name=m["name"], total=m["total"], breaches=m["breaches"]
            )
            for m in rows
        ]

    return ResultsOut(
        period=period_out(period),
        max=found.max,
        average=found.average,
        members=totals(found.members),
        red=totals(found.red),
        red_reward=honours.red_reward,
        black=totals(found.black),
        black_penalty=honours.black_penalty,
    )


@router.get(
    "/{pk}/periods/{period_id}/export.xlsx",
    response=answers(None),
    openapi_extra=XLSX_RESPONSE,
    summary=gettext_lazy("A period's scores as an Excel workbook"),
    description=gettext_lazy(
        "Member × indicator, totals and the red and black lists; officers and staff, or "
        "members once published."
    ),
)
def export_period(request: HttpRequest, pk: Id, period_id: Id) -> HttpResponse:
    council, standing = _council(request, pk)
    period = _period(council, standing, period_id)
    if not conventions.runs_scoring(standing) and period.state != PeriodState.PUBLISHED:
        raise NotFound(_("No such scoring period that you may see."))
    return _xlsx(excel.period_workbook(period), f"scores-{period.key}.xlsx")
