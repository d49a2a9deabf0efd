"""Console pages for the indicators: the table of figures (by unit, category, channel or
month, for a chosen period) and the drill-down from any figure to its cases.

Thin: the selection is read and refused by ``selection.selection_for`` (the viewer's
scope), the figures computed by ``indicators``; these views only lay them out, with
each indicator's definition on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel, State, WhistleTask
from civicgrid.cases.paging import keyset
from civicgrid.cases.photos import check_photos
from civicgrid.councils.conventions import rankings as council_rankings
from civicgrid.enterprise import figures as window_figures
from civicgrid.errors import Invalid, Refusal
from civicgrid.evaluation import actions as appeal_actions
from civicgrid.evaluation import appeal_list, cockpit_api, export, public, publishing, topics
from civicgrid.evaluation import cockpit as cp
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation import permissions as appeal_permissions
from civicgrid.evaluation import rankings as rk
from civicgrid.evaluation.models import Appeal, AppealAction, AppealState, Ground
from civicgrid.evaluation.ranking_view import RankingView, ranking_for
from civicgrid.evaluation.selection import Period, Selection, recent_months, selection_for
from civicgrid.inputs import whole_number
from civicgrid.org.models import STREET_KINDS, Unit, UnitKind, User
from civicgrid.org.scoping import scope_of
from civicgrid.web import access
from civicgrid.web.middleware import refused

NEWEST_FIRST = ("-created_at", "-id")
# The big screen asks the API for fresh figures this often.
COCKPIT_REFRESH_S = 60
DIMENSION_LABELS: dict[str, Promise] = {
    "unit": gettext_lazy("by unit"),
    "category": gettext_lazy("by category"),
    "channel": gettext_lazy("by channel"),
    "month": gettext_lazy("by month"),
}
LEVEL_LABELS: dict[str, Promise] = {
    "": gettext_lazy("the units just below"),
    "street": gettext_lazy("every street and town"),
    "community": gettext_lazy("every community, village and park"),
    "grid": gettext_lazy("every grid"),
    "department": gettext_lazy("every department"),
}


# --- what the templates show -----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One figure as shown: its value, and its numerator and denominator as links to
    their cases (a mean's numerator is hours: no link)."""

    indicator: ind.Indicator
    figure: ind.Figure
    numerator_url: str | None
    denominator_url: str

    @property
    def value(self) -> str:
        value = self.figure.value
        if value is None:
            return "—"
        if self.indicator.kind == ind.HOURS:
            return f"{value:.1f}"
        return f"{value * 100:.1f}%"

    @property
    def numerator(self) -> str:
        if self.indicator.kind == ind.HOURS:
            return f"{self.figure.numerator_hours:.1f}"
        return str(self.figure.numerator)


@dataclass(frozen=True)
class Line:
    """A row of the table, as shown."""

    key: str
    label: str
    open_url: str | None  # the row's own table (a unit's children, a category's)
    cases: int
    cases_url: str
    excluded: list[tuple[str, int, str]]  # (name, count, link)
    cells: list[Cell]


def drill_url(selection: Selection, figure: str, part: str | None = None) -> str:
    params = {**selection.params(), "figure": figure}
    if part:
        params["part"] = part
    return f"{reverse('evaluation:cases')}?{urlencode(params)}"


def _line(
    row_key: str,
    label: str,
    selection: Selection,
    figures: ind.Figures,
    shown: list[ind.Indicator],
    open_url: str | None,
) -> Line:
    cells = []
    for indicator in shown:
        figure = figures[indicator.key]
        cells.append(
            Cell(
                indicator,
                figure,
                drill_url(selection, indicator.key, "numerator")
                if indicator.kind == ind.RATE
                else None,
                drill_url(selection, indicator.key, "denominator"),
            )
        )
    excluded = [
        (str(e.name), figures.excluded[e.key], drill_url(selection, e.key))
        for e in ind.exclusions()
        if e.condition is not None
    ]
    return Line(
        row_key,
        label,
        open_url,
        figures.cases,
        drill_url(selection, ind.CASES),
        excluded,
        cells,
    )


def page_url(path: str, selection: Selection, **extra: str) -> str:
    params = {**selection.params(), **{k: v for k, v in extra.items() if v}}
    return f"{path}?{urlencode(params)}"


def figures_context(
    request: HttpRequest, selection: Selection, by: str, level: str | None, path: str
) -> dict[str, Any]:
    """What the table of figures needs (the indicators page and the leader's home):
    ``path`` is the page the period picker reloads; a row opens on the indicators page."""
    table = ind.table(selection, by, level=level or None)
    opens = reverse("evaluation:indicators")
    shown = [i for i in ind.indicators(table.at) if i.subject == ind.CASE or table.tasks]
    lines = []
    for row in table.rows:
        open_url = None
        if by == "unit" and row.unit is not None:
            open_url = page_url(opens, row.selection, by="unit")
        elif by == "category" and row.selection.category is not None:
            open_url = page_url(opens, row.selection, by="category")
        lines.append(_line(row.key, row.label, row.selection, row.figures, shown, open_url))
    total = _line("total", str(_("all")), selection, table.total, shown, None)
    return {
        "table": table,
        "selection": selection,
        "shown": shown,
        "lines": lines,
        "total": total,
        "period_label": ind.period_label(selection.period),
        "months": [(p.key, p.key) for p in recent_months()],
        "by": by,
        "level": level or "",
        "path": path,
        "hidden": {
            k: v for k, v in selection.params().items() if k not in ("period", "start", "end")
        },
        "trail": _trail(request, selection, opens),
        "definitions": ind.indicators(table.at),
        "exclusions": ind.exclusions(),
        "attribution": ind.UNITS_DESCRIPTION,
    }


def _trail(request: HttpRequest, selection: Selection, opens: str) -> list[tuple[str, str]]:
    """The selected unit and the units above it the viewer may see, as links."""
    if selection.unit is None:
        return []
    above = Unit.objects.visible_to(request.user).filter(code__in=selection.unit.ancestor_codes())
    trail = []
    for unit in above.order_by("path"):
        narrowed = selection.narrowed(unit=unit, own=False)
        trail.append((unit.name, page_url(opens, narrowed, by="unit")))
    return trail


# --- pages -----------------------------------------------------------------------------------


def cockpit(request: HttpRequest) -> dict[str, Any]:
    """The leader's home: the figures of their scope by unit, for the period picked
    there (the current month by default)."""
    q = request.GET
    selection = selection_for(
        request.user,
        period=q.get("period") or None,
        start=q.get("start") or None,
        end=q.get("end") or None,
    )
    return figures_context(request, selection, "unit", None, request.path)


def _selection(request: HttpRequest) -> Selection:
    q = request.GET
    return selection_for(
        request.user,
        unit=q.get("unit") or None,
        own=q.get("own") == "1",
        period=q.get("period") or None,
        start=q.get("start") or None,
        end=q.get("end") or None,
        category=q.get("category") or None,
        channel=q.get("channel") or None,
    )


@access.roles_required(access.EVALUATION)
def indicators_page(request: HttpRequest) -> HttpResponse:
    """The figures of the viewer's scope for a period, by one dimension."""
    selection = _selection(request)
    by = request.GET.get("by") or "unit"
    if by not in ind.DIMENSIONS:
        raise Invalid(_("Figures are by unit, category, channel or month."))
    level = request.GET.get("level") or None
    context = figures_context(request, selection, by, level, request.path)
    context["tabs"] = [
        (key, label, page_url(request.path, selection, by=key))
        for key, label in DIMENSION_LABELS.items()
    ]
    context["levels"] = list(LEVEL_LABELS.items())
    return render(request, "evaluation/indicators.html", context)


@access.roles_required(access.EVALUATION)
def cases_page(request: HttpRequest) -> HttpResponse:
    """The cases (or whistle tasks) behind one figure, newest first, a page at a time
    by key; only those the viewer may see."""
    selection = _selection(request)
    figure = request.GET.get("figure") or ind.CASES
    part = request.GET.get("part") or "denominator"
    if figure not in ind.FIGURES:
        raise Invalid(_("Unknown indicator: %(key)s") % {"key": figure})
    subject, rows = ind.behind(selection, figure, part)
    if subject == ind.CASE:
        rows = (rows & Case.objects.visible_to(request.user)).select_related(
            "owner_unit", "category"
        )
    else:
        rows = (rows & WhistleTask.objects.visible_to(request.user)).select_related(
            "case", "department"
        )
    page = keyset(
        rows,
        NEWEST_FIRST,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        size=30,
    )
    indicator = next((i for i in ind.indicators() if i.key == figure), None)
    exclusion = next((e for e in ind.exclusions() if e.key == figure), None)
    if indicator is not None:
        title = indicator.name
        part_label = (
            indicator.numerator_label if part == "numerator" else indicator.denominator_label
        )
    elif exclusion is not None:
        title, part_label = exclusion.name, _("left out")
    else:
        title, part_label = _("cases"), _("the cases that count in the figures")
    base = {**selection.params(), "figure": figure, "part": part}
    return render(
        request,
        "evaluation/cases.html",
        {
            "selection": selection,
            "subject": subject,
            "page": page,
            "count": rows.order_by().count(),
            "indicator": indicator,
            "exclusion": exclusion,
            "title": title,
            "part_label": part_label,
            "period_label": ind.period_label(selection.period),
            "channel_label": Channel(selection.channel).label if selection.channel else "",
            "base_query": urlencode(base),
            "back_url": page_url(reverse("evaluation:indicators"), selection),
        },
    )


# --- appeals (申诉) ----------------------------------------------------------------------------

APPEAL_TABS: dict[str, tuple[Promise, str | None]] = {
    "pending": (gettext_lazy("Waiting for a decision"), AppealState.SUBMITTED),
    "all": (gettext_lazy("All appeals"), None),
}


def appeal_panel(case: Case, user: User) -> dict[str, Any]:
    """The case page's 申诉 part: the case's appeals (one query) and whether ``user`` may
    appeal it now (the rights table, the scope read already: no query)."""
    appeals = list(
        case.appeals.select_related("unit", "decided_by").order_by("-submitted_at", "-id")
    )
    waiting = any(a.state == AppealState.SUBMITTED for a in appeals)
    upheld = case.excluded_by_appeal
    may = (
        appeal_permissions.may_appeal_for(user, case.owner_unit)
        and not waiting
        and not upheld
        and case.state not in (State.REJECTED, State.MERGED)
        and clock.now() < appeal_actions.appeal_closes_at(case.created_at)
    )
    return {
        "appeals": appeals,
        "may_appeal": may,
        "appeal_last_day": appeal_actions.last_day_to_appeal(case.created_at),
        "grounds": Ground.choices,
    }


@access.roles_required(access.EVALUATION)
def appeals_page(request: HttpRequest) -> HttpResponse:
    """The appeals a person may see: a unit's own, or the district's every unit's, the
    waiting ones first (oldest first, a queue), a page at a time, with the buttons the
    rights table gives (``permissions.allowed_actions``)."""
    default = "pending" if appeal_permissions.may_decide(request.user) else "all"
    name = request.GET.get("tab", default)
    if name not in APPEAL_TABS:
        name = default
    page = appeal_list.page(
        request.user,
        APPEAL_TABS[name][1],
        before=request.GET.get("before"),
        after=request.GET.get("after"),
    )
    rows = [(a, appeal_permissions.allowed_actions(a, request.user)) for a in page.items]
    tabs = [(key, label) for key, (label, _state) in APPEAL_TABS.items()]
    return render(
        request,
        "evaluation/appeals.html",
        {"page": page, "rows": rows, "tabs": tabs, "current": name},
    )


@access.roles_required(access.EVALUATION)
@require_POST
def appeal_case(request: HttpRequest, code: str) -> HttpResponse:
    """The case page's 申诉 form: ground, reason, photos as evidence."""
    case = Case.objects.visible_case(request.user, code)
    if case is None:
        raise Http404(_("No case %(code)s that you may see.") % {"code": code})
    try:
        files = request.FILES.getlist("evidence")
        appeal_actions.submit_appeal(
            case,
            actor=request.user,
            ground=request.POST.get("ground", ""),
            reason=request.POST.get("reason", ""),
            evidence=check_photos(files, [f.name or "" for f in files]),
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Appeal submitted; the district will decide."))
    return redirect("cases:case", code=case.tracking_code)


APPEAL_ACTIONS = {
    AppealAction.UPHOLD: lambda a, r: appeal_actions.uphold_appeal(
        a, actor=r.user, note=r.POST.get("note", "")
    ),
    AppealAction.REJECT: lambda a, r: appeal_actions.reject_appeal(
        a, actor=r.user, note=r.POST.get("note", "")
    ),
    AppealAction.WITHDRAW: lambda a, r: appeal_actions.withdraw_appeal(a, actor=r.user),
}


@access.roles_required(access.EVALUATION)
@require_POST
def appeal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    appeal = Appeal.objects.visible_to(request.user).select_related("unit").filter(pk=pk).first()
    if appeal is None or action not in APPEAL_ACTIONS:
        raise Http404(_("No appeal %(id)s that you may see.") % {"id": pk})
    try:
        APPEAL_ACTIONS[action](appeal, request)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("evaluation:appeals")


# --- monthly rankings (月度榜单) -------------------------------------------------------------


@dataclass(frozen=True)
class RankedLine:
    """A row of a ranking as shown: the stored row, its three rates' cells (numerator,
    denominator, value) and, for units the viewer sees, links to their cases."""

    row: dict[str, Any]
    rates: list[tuple[str, int, int, str, str | None, str | None]]
    apart_reason: str


def _ranked_line(view: RankingView, row: dict[str, Any], selection: Selection | None) -> RankedLine:
    rates = []
    for key in rk.SCORED:
        numerator, denominator = row["figures"][key]
        value = row["rates"][key]
        shown = "—" if value is None else f"{value * 100:.1f}%"
        links: tuple[str | None, str | None] = (None, None)
        if selection is not None and row["unit"] in view.visible:
            unit = _unit_row(row)
            narrowed = selection.narrowed(unit=unit, own=False)
            links = (drill_url(narrowed, key, "numerator"), drill_url(narrowed, key, "denominator"))
        rates.append((key, numerator, denominator, shown, *links))
    return RankedLine(row, rates, rk.describe_apart(row, view.terms) if row["apart"] else "")


def _unit_row(row: dict[str, Any]) -> Unit:
    """A unit for a drill-down link, from the row (no query per row)."""
    return Unit(code=row["unit"], name=row["name"], kind=row["kind"], path="")


def _groups(view: RankingView, name: str, selection: Selection | None) -> list[dict[str, Any]]:
    """A list's rows by group (communities: by street; the others: one group), each with
    its ranked lines, its lines listed apart, and its red, black and improved units."""
    rows = view.lists.get(name, [])
    names = {r["unit"]: r["name"] for r in view.lists.get(rk.STREETS, [])}
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"] or "", []).append(row)
    found = []
    for group, members in groups.items():
        found.append(
            {
                "key": group,
                "label": names.get(group, group),
                "ranked": [_ranked_line(view, r, selection) for r in members if not r["apart"]],
                "apart": [_ranked_line(view, r, selection) for r in members if r["apart"]],
                "red": rk.red_list(members),
                "black": rk.black_list(members),
                "improved": rk.most_improved(members),
            }
        )
    return found


def _month_or_default(request: HttpRequest) -> Period:
    """The month asked for (strictly ``YYYY-MM``), or the month before this one."""
    given = request.GET.get("month")
    if given is None or given == "":
        return rk.previous_month(Period.current_month())
    return rk.parse_month(given)


def _revision(request: HttpRequest) -> int | None:
    given = request.GET.get("revision") or None
    return None if given is None else whole_number(given, "revision", 1, 32767)


@access.roles_required(access.EVALUATION)
def rankings_page(request: HttpRequest) -> HttpResponse:
    """A month's three lists (published, a revision of it, or live), with their inputs,
    the red, black and most-improved lists, the revisions, and for district leaders and
    administrators the publish and correct forms."""
    month = _month_or_default(request)
    view = ranking_for(
        request.user, month, revision=_revision(request), live=request.GET.get("live") == "1"
    )
    selection = None
    if not view.published:
        selection = Selection(scope=scope_of(request.user), period=month)
    may = publishing.may_publish(request.user)
    verification = None
    if view.published and request.GET.get("verify") == "1" and view.snapshot is not None:
        verification = publishing.verify(month.key, view.snapshot.revision)
    months = [p.key for p in recent_months(13)]
    for key in publishing.published_months():
        if key not in months:
            months.append(key)
    return render(
        request,
        "evaluation/rankings.html",
        {
            "view": view,
            "month": month.key,
            "months": sorted(months, reverse=True),
            "published_months": set(publishing.published_months()),
            "lists": [
                (name, rk.LIST_LABELS[name], _groups(view, name, selection)) for name in rk.LISTS
            ],
            "score_rule": rk.SCORE_RULE,
            "list_rule": rk.LIST_RULE,
            "may_publish": may,
            "appeals_close": publishing.last_day_to_appeal(month.bounds()[0]),
            "undecided": publishing.undecided_appeals(month) if may else 0,
            "verification": verification,
            "events": publishing.events(month.key),
            # The councils' convention scores (公约评分), beside the units' rankings.
            "council_ranking": council_rankings(request.user, limit=10),
            # 企业服务窗口（办不成事）: its three rates, live (not part of the ranking)
            "window": window_figures.panel(Selection(scope=scope_of(request.user), period=month)),
        },
    )


def _back_to(month: str) -> HttpResponse:
    return redirect(f"{reverse('evaluation:rankings')}?{urlencode({'month': month})}")


@access.roles_required(access.EVALUATION)
@require_POST
def rankings_publish(request: HttpRequest) -> HttpResponse:
    month = rk.parse_month(request.POST.get("month", ""))
    try:
        publishing.publish_month(request.user, month, early=request.POST.get("early") == "1")
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(month)s published.") % {"month": month.key})
    return _back_to(month.key)


@access.roles_required(access.EVALUATION)
@require_POST
def rankings_correct(request: HttpRequest) -> HttpResponse:
    month = rk.parse_month(request.POST.get("month", ""))
    try:
        publishing.correct_month(request.user, month, request.POST.get("reason", ""))
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(month)s corrected.") % {"month": month.key})
    return _back_to(month.key)


@access.roles_required(access.EVALUATION)
def rankings_export(request: HttpRequest, month: str) -> HttpResponse:
    """A published month (a revision of it) as an Excel workbook."""
    period = rk.parse_month(month)
    view = ranking_for(request.user, period, revision=_revision(request))
    if view.snapshot is None:
        raise Http404(_("%(month)s has not been published.") % {"month": period.key})
    response = HttpResponse(export.workbook(view.snapshot), content_type=export.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{export.filename(view.snapshot)}"'
    return response


# --- the cockpit (领导驾驶舱) ------------------------------------------------------------------


def _cockpit_context(request: HttpRequest) -> dict[str, Any]:
    """What both cockpit pages draw: the API's answer (the screen refreshes from it),
    and the units the viewer may switch to."""
    data = cockpit_api.cockpit_for(request.user, request.GET.get("unit") or None)
    units = (
        Unit.objects.visible_to(request.user)
        .filter(kind__in=(UnitKind.DISTRICT, *STREET_KINDS, UnitKind.DEPARTMENT))
        .order_by("path")
        .values_list("code", "name")
    )
    query = urlencode({"unit": data.unit}) if data.unit else ""
    return {
        "data": data,
        "json": data.model_dump(mode="json"),
        "units": list(units),
        "api_url": reverse("api:evaluation_cockpit") + (f"?{query}" if query else ""),
        "screen_url": reverse("evaluation:cockpit_screen") + (f"?{query}" if query else ""),
        "page_url": reverse("evaluation:cockpit") + (f"?{query}" if query else ""),
        "tile_url": settings.MAP_TILE_URL,
        "refresh_s": COCKPIT_REFRESH_S,
        "figure_definitions": [
            (key, cp.FIGURE_LABELS[key], cp.FIGURE_DESCRIPTIONS[key]) for key in cp.FIGURES
        ],
        "definitions": [i for i in ind.indicators() if i.key in cp.RATES],
        "exclusions": ind.exclusions(),
        "attribution": ind.UNITS_DESCRIPTION,
    }


@access.roles_required(access.COCKPIT)
def cockpit_page(request: HttpRequest) -> HttpResponse:
    """The leader's dashboard: today, the grids' load, a year's trend, the month's
    rates by street and department, hot issues, whistle tasks; each figure a link."""
    return render(request, "evaluation/cockpit.html", _cockpit_context(request))


@access.roles_required(access.COCKPIT)
def cockpit_screen(request: HttpRequest) -> HttpResponse:
    """The same cockpit for a big screen (1920×1080, dark), refreshed from the API every
    ``COCKPIT_REFRESH_S`` seconds without reloading the page."""
    return render(request, "evaluation/cockpit_screen.html", _cockpit_context(request))


@access.roles_required(access.COCKPIT)
def cockpit_cases(request: HttpRequest) -> HttpResponse:
    """The cases (or whistle tasks) behind one figure of the cockpit, newest first, a
    page at a time by key; only those the viewer may see."""
    scope, unit = cockpit_api.unit_for(request.user, request.GET.get("unit") or None)
    subject, rows = cp.behind(scope, request.GET, unit=unit)
    rows = rows & cp.visible(subject, request.user)
    if subject == cp.CASES:
        rows = rows.select_related("owner_unit", "category")
    else:
        rows = rows.select_related("case", "department")
    page = keyset(
        rows,
        NEWEST_FIRST,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        size=30,
    )
    figure = request.GET.get("figure", "")
    kept = {k: v for k, v in request.GET.items() if k not in ("before", "after")}
    back = reverse("evaluation:cockpit") + (f"?{urlencode({'unit': unit.code})}" if unit else "")
    return render(
        request,
        "evaluation/cockpit_cases.html",
        {
            "subject": "task" if subject == cp.TASKS else "case",
            "page": page,
            "count": rows.order_by().count(),
            "title": cp.FIGURE_LABELS[figure],
            "description": cp.FIGURE_DESCRIPTIONS[figure],
            "narrowed": cp.narrowing(request.GET),
            "unit": unit,
            "base_query": urlencode(kept),
            "back_url": back,
        },
    )


# --- what the district publishes ------------------------------------------------------


def _month_asked(request: HttpRequest) -> str | None:
    """The ``month`` asked for (refused with 400 when not ``2025-03``), else the latest
    published month."""
    return public.chosen_month(request.GET.get("month") or None)


def public_page(request: HttpRequest) -> HttpResponse:
    """公开 (no login): a published month's figures by street and department, its
    rankings, the category mix and a few resolved cases told without anyone's data."""
    try:
        month = _month_asked(request)
    except Refusal as refusal:
        return refused(request, refusal)
    report = public.month_report(month) if month else None
    context = {
        "month": month,
        "months": public.months(),
        "report": report,
        "stories": public.stories(month) if report else [],
    }
    return render(
        request, "evaluation/public.html", context, status=200 if report or not month else 404
    )


@access.roles_required(access.BULLETIN)
def bulletin_page(request: HttpRequest) -> HttpResponse:
    """月度通报: the printable A4 bulletin of a published month: its figures and lists,
    its top categories and the key problem of the month (每月一题) with its cases'
    progress."""
    try:
        month = _month_asked(request)
    except Refusal as refusal:
        return refused(request, refusal)
    report = public.month_report(month) if month else None
    topic = topics.topic_of(month) if month else None
    context = {
        "month": month,
        "months": public.months(),
        "report": report,
        "topic": topic,
        "topic_progress": topics.progress(topic) if topic else None,
    }
    return render(
        request, "evaluation/bulletin.html", context, status=200 if report or not month else 404
    )
