"""The convention tab of a council's page (公约评分), phone-sized: the convention and its
signatures, the scoring periods, one period's sheet with the self-assessment, the
inspection and the rating, its published results (red and black lists), the Excel
files, and the district's ranking of councils by their convention score.

Thin, as the other council pages: the council through ``visible_council`` (else 404),
what a person sees through ``councils.conventions``, every change through
``councils.scoring``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases.photos import check_photos, open_photo
from civicgrid.councils import convention_excel as excel
from civicgrid.councils import conventions, scoring
from civicgrid.councils import terms as t
from civicgrid.councils.convention_models import (
    Cadence,
    ConventionTemplate,
    PeriodState,
    ScoringPeriod,
)
from civicgrid.councils.models import Council, CouncilAction
from civicgrid.councils.permissions import Standing
from civicgrid.councils.views import act, council_view, page
from civicgrid.errors import Invalid, Refusal
from civicgrid.web import access

XLSX = excel.XLSX


def _to_convention(council: Council) -> HttpResponse:
    return redirect("councils:convention", pk=council.pk)


def _to_period(council: Council, period_id: int) -> HttpResponse:
    return redirect("councils:period", pk=council.pk, period_id=period_id)


@council_view
def convention_page(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """公约: the convention's items and indicators, rewards and penalties, who has signed,
    the periods; the forms for what the person may do."""
    convention = conventions.convention_of(council)
    context: dict[str, Any] = {
        "convention": convention,
        "may_adopt": standing.may(CouncilAction.ADOPT_CONVENTION),
        "may_open": standing.may(CouncilAction.OPEN_PERIOD),
        "runs": conventions.runs_scoring(standing),
        "templates": ConventionTemplate.objects.filter(active=True),
        "cadences": Cadence.choices,
        "methods": list(t.METHOD_LABELS.items()),
    }
    if convention is not None:
        signed = conventions.signatures(convention)
        active = list(council.members.filter(left_on=None).order_by("name"))
        context.update(
            terms=t.parse(convention.terms),
            signed=signed,
            signed_count=sum(1 for m in active if m.pk in signed),
            active=active,
            i_signed=standing.seat is not None and standing.seat.pk in signed,
            may_sign=standing.seat is not None
            and standing.may(CouncilAction.SIGN_CONVENTION, standing.seat),
            periods=list(conventions.periods_for(council, standing)),
        )
    return page(request, "councils/convention.html", council, standing, "convention", context)


@require_POST
@council_view
def adopt(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """Adopt a template, or a workbook's terms (checked whole before anything is written)."""

    def change() -> object:
        upload = request.FILES.get("file")
        if upload is not None:
            name, terms = excel.read_terms(upload)
            return scoring.adopt_convention(
                council, actor=request.user, terms=terms.as_json(), name=name
            )
        pk = inputs.whole_number(request.POST.get("template", ""), "template", 1, 2**63 - 1)
        template = ConventionTemplate.objects.filter(pk=pk, active=True).first()
        if template is None:
            raise Invalid(_("Choose a template."), field="template")
        return scoring.adopt_convention(council, actor=request.user, template=template)

    act(request, change, _("The council has adopted its convention."))
    return _to_convention(council)


def _edited_terms(post: Any, terms: t.Terms) -> dict[str, Any]:
    """The terms as the amendment form sends them: each indicator's name, points, rule,
    method, step and zero tolerance, those ticked ``drop`` left out, and the rewards
    and penalties."""
    items = []
    for item in terms.items:
        indicators = []
        for i in item.indicators:
            k = i.key
            if post.get(f"drop_{k}"):
                continue
            indicators.append(
                {
                    "name": post.get(f"name_{k}", i.name),
                    "points": post.get(f"points_{k}", i.points),
                    "rule": post.get(f"rule_{k}", i.rule),
                    "method": post.get(f"method_{k}", i.method),
                    "step": post.get(f"step_{k}", i.step) or 1,
                    "zero_tolerance": bool(post.get(f"zero_{k}")),
                }
            )
        if indicators:
            items.append(
                {"name": post.get(f"item_{item.name}", item.name), "indicators": indicators}
            )
    honours = {
        key: post.get(key, "")
        for key in ("red_top", "red_min", "red_reward", "black_below", "black_penalty")
    }
    return {"items": items, "honours": honours}


@require_POST
@council_view
def amend(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """Amend the convention: edited in the form, or a workbook's terms."""
    convention = conventions.convention_of(council)
    if convention is None:
        raise Http404(_("This council has no convention yet."))

    def change() -> object:
        version = inputs.whole_number(request.POST.get("version", ""), "version", 1, 2**31 - 1)
        upload = request.FILES.get("file")
        if upload is not None:
            name, terms = excel.read_terms(upload)
            data = terms.as_json()
        else:
            name, data = (
                request.POST.get("name", ""),
                _edited_terms(request.POST, t.parse(convention.terms)),
            )
        return scoring.amend_convention(
            convention, actor=request.user, terms=data, name=name, expected_version=version
        )

    act(request, change, _("The convention is amended; members sign the new version."))
    return _to_convention(council)


@require_POST
@council_view
def sign(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    if standing.seat is None:
        messages.error(request, _("Only the member themself may sign the convention."))
        return _to_convention(council)
    seat = standing.seat
    act(
        request,
        lambda: scoring.sign_convention(seat, actor=request.user),
        _("You have signed the convention."),
    )
    return _to_convention(council)


@council_view
def convention_export(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    convention = conventions.convention_of(council)
    if convention is None:
        raise Http404(_("This council has no convention yet."))
    response = HttpResponse(excel.convention_workbook(convention), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="convention.xlsx"'
    return response


@require_POST
@council_view
def open_period(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    cadence = request.POST.get("cadence", "")
    key = request.POST.get("key", "").strip()
    made: list[ScoringPeriod] = []

    def change() -> object:
        made.append(scoring.open_period(council, actor=request.user, cadence=cadence, key=key))
        return made[0]

    act(request, change, _("The scoring period is open: members assess themselves."))
    if made:
        return _to_period(council, made[0].pk)
    return _to_convention(council)


# --- one period ------------------------------------------------------------------------------


@council_view
def period_page(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    """A period: its state; the member's own self-assessment form; for officers and
    staff the sheet, the inspection, the rating and publishing; once rated, the totals
    and the red and black lists."""
    period = conventions.period_for(council, standing, period_id)
    terms = t.parse(period.terms)
    rows = conventions.sheet(period, standing)
    runs = conventions.runs_scoring(standing)
    mine = next((r for r in rows if standing.seat and r.member.pk == standing.seat.pk), None)
    results = conventions.standings(period)
    if results is not None and not runs and period.state != PeriodState.PUBLISHED:
        results = None  # a member hears nothing before it is published
    return page(
        request,
        "councils/period.html",
        council,
        standing,
        "convention",
        {
            "period": period,
            "terms": terms,
            "rows": rows,
            "mine": mine,
            "runs": runs,
            "results": results,
            "may_assess": mine is not None
            and period.state == PeriodState.SELF_ASSESSMENT
            and standing.may(CouncilAction.SELF_ASSESS, standing.seat),
            "may_inspect": runs
            and period.state in (PeriodState.SELF_ASSESSMENT, PeriodState.INSPECTION),
            "may_close": runs and period.state == PeriodState.SELF_ASSESSMENT,
            "may_rate": runs and period.state == PeriodState.INSPECTION,
            "may_publish": runs and period.state == PeriodState.RATED,
            "honours": terms.honours,
        },
    )


def _period(council: Council, standing: Standing, period_id: int) -> ScoringPeriod:
    return conventions.period_for(council, standing, period_id)


@require_POST
@council_view
def self_assess(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    seat = standing.seat
    if seat is None:
        raise Http404(_("No such scoring period that you may see."))
    terms = t.parse(period.terms)

    def change() -> object:
        points = {
            i.key: inputs.whole_number(request.POST.get(f"points_{i.key}", ""), i.name, 0, i.points)
            for i in terms.indicators
        }
        return scoring.self_assess(
            period, seat, actor=request.user, points=points, note=request.POST.get("note", "")
        )

    act(request, change, _("Your self-assessment is saved."))
    return _to_period(council, period.pk)


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


@require_POST
@council_view
def inspect(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    post = request.POST

    def change() -> object:
        member_id = inputs.whole_number(post.get("member", ""), "member", 1, 2**63 - 1)
        member = council.members.filter(pk=member_id).first()
        if member is None:
            raise Invalid(_("Choose a member scored in this period."), field="member")
        indicator = terms_indicator(period, post.get("indicator", ""))
        findings = post.get("findings", "").strip()
        points = post.get("points", "").strip()
        finding = scoring.Finding(
            indicator.key,
            findings=inputs.whole_number(findings, "findings", 0, t.MAX_FINDINGS)
            if findings
            else None,
            passed=_flag(post.get("passed", "")),
            points=inputs.whole_number(points, "points", 0, indicator.points) if points else None,
            note=post.get("note", ""),
        )
        files = request.FILES.getlist("photos")
        photos = check_photos(files, [f.name or "" for f in files])
        return scoring.inspect(period, member, finding, actor=request.user, photos=photos)

    act(request, change, _("The inspection's finding is recorded."))
    return _to_period(council, period.pk)


def terms_indicator(period: ScoringPeriod, key: str) -> t.Indicator:
    return t.parse(period.terms).indicator(inputs.text(key, "indicator", max_length=8))


@require_POST
@council_view
def close_self_assessment(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    act(
        request,
        lambda: scoring.close_self_assessment(period, actor=request.user),
        _("The self-assessment is closed; the inspection goes on."),
    )
    return _to_period(council, period.pk)


@require_POST
@council_view
def rate(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    act(
        request,
        lambda: scoring.rate_period(period, actor=request.user, note=request.POST.get("note", "")),
        _("The scores are rated."),
    )
    return _to_period(council, period.pk)


@require_POST
@council_view
def publish(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    act(
        request,
        lambda: scoring.publish_period(period, actor=request.user),
        _("The scores are published to the members."),
    )
    return _to_period(council, period.pk)


@council_view
def period_export(
    request: HttpRequest, council: Council, standing: Standing, period_id: int
) -> HttpResponse:
    period = _period(council, standing, period_id)
    if not conventions.runs_scoring(standing) and period.state != PeriodState.PUBLISHED:
        raise Http404(_("No such scoring period that you may see."))
    response = HttpResponse(excel.period_workbook(period), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="scores-{period.key}.xlsx"'
    return response


@council_view
def photo(request: HttpRequest, council: Council, standing: Standing, name: str) -> HttpResponse:
    try:
        found = conventions.photo_for(council, standing, name)
        return FileResponse(open_photo(found.name), filename=found.name.rsplit("/", 1)[-1])
    except Refusal:
        raise Http404(_("No such photo.")) from None


# --- the district's ranking --------------------------------------------------------------------


@access.roles_required(access.EVALUATION)
def rankings_page(request: HttpRequest) -> HttpResponse:
    """Councils in the person's scope ranked by their latest published convention score."""
    return render(
        request,
        "councils/rankings.html",
        {"ranked": conventions.rankings(request.user)},
    )
