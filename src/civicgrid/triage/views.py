"""Console pages of triage: the triage queue with the machine's suggestions, the
hot-issue board, and the classifier versions with their scores."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases import actions, clock
from civicgrid.cases.categories import choice_groups
from civicgrid.cases.models import Case, Category, State, Urgency
from civicgrid.cases.paging import keyset
from civicgrid.cases.permissions import allowed_actions_for
from civicgrid.cases.queues import NEWEST_FIRST
from civicgrid.errors import Conflict, Refusal
from civicgrid.evaluation import topics
from civicgrid.org.models import Role, Unit, UnitKind
from civicgrid.org.scoping import scope_of
from civicgrid.triage import boards
from civicgrid.triage.actions import activate_version, decide
from civicgrid.triage.models import ModelVersion
from civicgrid.triage.tasks import schedule_board_refresh
from civicgrid.web import access
from civicgrid.web.access import roles_required
from civicgrid.web.middleware import refused

#: Runners-up less likely than this are not worth a dispatcher's reading.
ALTERNATIVE_MIN = 0.05
#: Cases on a page of the triage queue (each carries a form with every category).
PAGE_SIZE = 30
#: Confusions listed above the matrix.
MISTAKES_SHOWN = 10


@roles_required(access.TRIAGE)
def queue(request: HttpRequest) -> HttpResponse:
    """Cases waiting for triage, newest first a page at a time; on each page emergencies
    first, then the machine's least sure.

    Waiting means submitted and not yet given a category: once a person (or the
    classifier, when sure) has triaged a case it waits for dispatch in the console's
    queue, not here, or a decided case would stay in this list until dispatched."""
    page = keyset(
        Case.objects.visible_to(request.user)
        .filter(state=State.SUBMITTED, category__isnull=True)
        .select_related("suggestion__category__parent", "grid", "owner_unit"),
        NEWEST_FIRST,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        size=PAGE_SIZE,
    )
    cases = page.items
    groups = choice_groups()
    names = {c.code: c.name for _label, leaves in groups for c in leaves}
    allowed_on = allowed_actions_for(cases, request.user)
    for case in cases:
        # Operators may merge but not triage, leaders neither: show only what works.
        allowed = allowed_on[case.pk]
        case.may_triage, case.may_merge = "triage" in allowed, "merge" in allowed
        suggestion = getattr(case, "suggestion", None)
        # Preselected only if it is one of the choices (a retired category is not).
        suggested = suggestion.category if suggestion is not None else None
        case.preselect = suggested.code if suggested and suggested.code in names else ""
        # The machine's runners-up, to help a person correct it.
        ranked = suggestion.ranked if suggestion is not None else []
        case.alternatives = [
            (names.get(code, code), p) for code, p in ranked[1:3] if p >= ALTERNATIVE_MIN
        ]

    def order(case: Case) -> tuple[int, float]:
        s = getattr(case, "suggestion", None)
        emergency = case.urgency == Urgency.EMERGENCY or (s is not None and s.emergency)
        return (0 if emergency else 1, s.confidence if s else -1.0)

    cases.sort(key=order)
    context = {
        "cases": cases,
        "page": page,
        "category_groups": groups,
        "urgencies": Urgency.choices,
        "auto": settings.TRIAGE_AUTO_CONFIDENCE,
    }
    return render(request, "triage/queue.html", context)


@roles_required(access.TRIAGE)
@require_POST
def decide_view(request: HttpRequest, code: str) -> HttpResponse:
    case = Case.objects.visible_to(request.user).filter(tracking_code=code).first()
    if case is None:
        raise Http404(_("No case %(code)s that you may see.") % {"code": code})
    try:
        seen = request.POST.get("version", "").strip()
        if seen and inputs.whole_number(seen, "version", 0, inputs.ID_MAX) != case.version:
            # Triaged or changed by someone else (or a second click) since the page
            # was drawn: theirs stands until this person has seen it.
            raise Conflict(
                _("Someone else has changed this case since you opened it. Reload and try again.")
            )
        into = request.POST.get("merge_into", "")
        if into:
            actions.merge_case(case, actor=request.user, into=into)
        else:
            category = Category.objects.filter(
                code=request.POST.get("category", ""), active=True
            ).first()
            if category is None:
                messages.error(request, _("Choose a category."))
                return redirect("triage:queue")
            decide(
                case,
                actor=request.user,
                category=category,
                urgency=request.POST.get("urgency") or case.urgency,
            )
    except Refusal as refusal:
        messages.error(request, f"{code}: {refusal.message}")
    else:
        messages.success(request, _("%(code)s: done.") % {"code": code})
    return redirect("triage:queue")


@roles_required(access.HOT_ISSUES)
def hot_board(request: HttpRequest) -> HttpResponse:
    """The hot issues of the user's widest unit, as the worker last computed them (a
    board opened for the first time is computed within moments: the page says so)."""
    days = 30 if request.GET.get("days") != "90" else 90
    # The grids of the user's widest unit, drawn under the clusters for orientation.
    top = (
        Unit.objects.tops_for(request.user)
        .exclude(kind__in=(UnitKind.GRID, UnitKind.DEPARTMENT))
        .order_by("path")
        .first()
    )
    board, clusters = None, []
    if top is not None:
        board = boards.board_for(top, days)
        if board.computed_at is None:
            schedule_board_refresh()
        clusters = boards.shown(board)
    for c in clusters:
        c["propose"] = c["heat"] >= settings.HOT_ESCALATE_HEAT
    points = [
        {"lon": c["lon"], "lat": c["lat"], "heat": c["heat"], "title": c["title"], "n": i + 1}
        for i, c in enumerate(clusters)
        if c["lon"] is not None
    ]
    month = timezone.localtime(clock.now()).strftime("%Y-%m")
    topic = topics.topic_of(month)
    context = {
        "clusters": clusters,
        "points": points,
        "days": days,
        "board": board,
        "map_unit": top,
        "tile_url": settings.MAP_TILE_URL,
        "month": month,
        "topic": topic,
        "topic_progress": topics.progress(topic) if topic else None,
        "may_choose_topic": topics.may_choose_topic(request.user),
    }
    return render(request, "triage/hot.html", context)


@roles_required(access.HOT_ISSUES)
@require_POST
def choose_topic(request: HttpRequest) -> HttpResponse:
    """每月一题: this hot issue is the month's key problem (the district's command side)."""
    cluster = {
        "title": request.POST.get("title", ""),
        "label": request.POST.get("label", ""),
        "codes": request.POST.getlist("codes"),
    }
    try:
        topic = topics.choose_topic(
            request.user,
            request.POST.get("month", ""),
            cluster,
            reason=request.POST.get("reason", ""),
        )
    except Refusal as refusal:
        return refused(request, refusal)
    messages.success(
        request,
        _("Key problem of %(month)s: %(title)s.") % {"month": topic.month, "title": topic.title},
    )
    return redirect("triage:hot")


@roles_required(access.HOT_ISSUES)
@require_POST
def escalate_cluster(request: HttpRequest) -> HttpResponse:
    """提级 a hot issue in one click: every open case of it that this person may
    escalate goes one tier up, with the cluster named as the reason.

    Cases already escalated are left where they are (counted as not escalated): a
    second click, or a colleague's board computed before the first, must not push the
    same cases up another tier. The boards stop offering the moved cases at once."""
    codes = request.POST.getlist("codes")
    label = request.POST.get("label", "")[:80]
    cases = Case.objects.visible_to(request.user).filter(tracking_code__in=codes)
    done, refused = 0, cases.exclude(escalations=0).count()
    cases = cases.filter(escalations=0)
    moved = set()
    for case in cases:
        try:
            actions.escalate_case(
                case, actor=request.user, reason=_("Hot issue: %(label)s") % {"label": label}
            )
            done += 1
            moved.add(case.tracking_code)
        except Refusal:
            refused += 1
    boards.note_escalated(moved)
    messages.success(
        request,
        _("Escalated %(done)s cases; %(refused)s could not be escalated now.")
        % {"done": done, "refused": refused},
    )
    schedule_board_refresh()
    return redirect("triage:hot")


def _may_activate(request: HttpRequest) -> bool:
    return request.user.is_superuser or scope_of(request.user).has_role(Role.ADMIN)


@roles_required(access.CLASSIFIER)
def models(request: HttpRequest) -> HttpResponse:
    versions = ModelVersion.objects.defer("data").select_related("created_by")
    return render(
        request,
        "triage/models.html",
        {"versions": versions, "may_activate": _may_activate(request)},
    )


@roles_required(access.CLASSIFIER)
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = ModelVersion.objects.defer("data").filter(pk=pk).first()
    if version is None:
        raise Http404(_("No such version."))
    ev = version.evaluation
    names = dict(Category.objects.values_list("code", "name"))
    per_class = [
        {"code": code, "name": names.get(code, code), **scores}
        for code, scores in sorted(ev.get("per_class", {}).items())
    ]
    labels = ev.get("confusion_labels", [])
    matrix = ev.get("confusion", [])
    confusion = [
        {"name": names.get(code, code), "row": row}
        for code, row in zip(labels, matrix, strict=False)
    ]
    # With dozens of categories the matrix is read by scrolling; its largest
    # off-diagonal cells, listed first, are what a person looks for in it.
    mistakes = sorted(
        (
            (n, names.get(labels[i], labels[i]), names.get(labels[j], labels[j]))
            for i, row in enumerate(matrix[: len(labels)])
            for j, n in enumerate(row[: len(labels)])
            if i != j and n
        ),
        key=lambda m: -m[0],
    )[:MISTAKES_SHOWN]
    context = {
        "version": version,
        "ev": ev,
        "per_class": per_class,
        "columns": [names.get(code, code) for code in labels],
        "confusion": confusion,
        "mistakes": [{"n": n, "true": t, "predicted": p} for n, t, p in mistakes],
        "may_activate": _may_activate(request),
    }
    return render(request, "triage/model.html", context)


@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_activate(request):
        raise PermissionDenied(_("Only an administrator may change the active classifier."))
    version = ModelVersion.objects.defer("data").filter(pk=pk).first()
    if version is None:
        raise Http404(_("No such version."))
    activate_version(version)
    messages.success(request, _("Version %(v)s is now active.") % {"v": version.pk})
    return redirect("triage:models")
