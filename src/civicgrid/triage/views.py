"""Console pages of triage: the triage queue with the machine's suggestions, the
hot-issue board, and the classifier versions with their scores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Category, State, Urgency
from civicgrid.cases.permissions import RULES, allowed_actions
from civicgrid.errors import Conflict, Refusal
from civicgrid.org.models import Role, Unit, UnitKind
from civicgrid.org.scoping import scope_of
from civicgrid.triage.actions import activate_version, decide
from civicgrid.triage.hot import Item, hot_issues
from civicgrid.triage.models import ModelVersion
from civicgrid.web import access
from civicgrid.web.access import roles_required

SEVERITY = {Urgency.NORMAL: 1.0, Urgency.URGENT: 2.0, Urgency.EMERGENCY: 3.0}
ESCALATABLE = RULES["escalate"].states
#: Runners-up less likely than this are not worth a dispatcher's reading.
ALTERNATIVE_MIN = 0.05
#: Confusions listed above the matrix.
MISTAKES_SHOWN = 10


def _leaf_groups() -> list[tuple[str, list[Category]]]:
    """The categories a case can be triaged into, grouped under their parents' path.

    Leaves, at whatever depth (a district's tree may have two levels or three): the
    classifier suggests leaves, so the choice must hold the suggestion, or accepting
    it would silently pick another category."""
    every = {c.pk: c for c in Category.objects.filter(active=True).order_by("code")}
    parents = {c.parent_id for c in every.values()}
    groups: dict[str, list[Category]] = {}
    for category in every.values():
        if category.pk in parents or category.parent_id is None:
            continue
        path, node = [], every.get(category.parent_id)
        while node is not None:
            path.append(node.name)
            node = every.get(node.parent_id) if node.parent_id else None
        groups.setdefault(" / ".join(reversed(path)), []).append(category)
    return list(groups.items())


@roles_required(access.TRIAGE)
def queue(request: HttpRequest) -> HttpResponse:
    """Cases waiting for triage: emergencies first, then the machine's least sure.

    Waiting means submitted and not yet given a category: once a person (or the
    classifier, when sure) has triaged a case it waits for dispatch in the console's
    queue, not here, or a decided case would stay in this list until dispatched."""
    cases = list(
        Case.objects.visible_to(request.user)
        .filter(state=State.SUBMITTED, category__isnull=True)
        .select_related("suggestion__category__parent", "grid", "owner_unit")
        .order_by("-created_at")[:200]
    )
    groups = _leaf_groups()
    names = {c.code: c.name for _label, leaves in groups for c in leaves}
    for case in cases:
        # Operators may merge but not triage, leaders neither: show only what works.
        allowed = allowed_actions(case, request.user)
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
        seen = request.POST.get("version", "")
        if seen.isdigit() and int(seen) != case.version:
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


def _clusters(request: HttpRequest, days: int) -> list[dict[str, Any]]:
    """Hot issues among the cases this user sees, from the last ``days`` days (cached a
    few minutes per user: clustering a month of a district takes a second or two)."""
    key = f"hot:{request.user.pk}:{days}"
    found = cache.get(key)
    if found is not None:
        return found
    now = timezone.now()
    rows = (
        Case.objects.visible_to(request.user)
        .filter(created_at__gte=now - timedelta(days=days))
        .exclude(state__in=(State.MERGED, State.REJECTED))
        .values_list(
            "pk",
            "title",
            "text",
            "created_at",
            "lon",
            "lat",
            "grid__code",
            "contact__phone",
            "urgency",
            "tracking_code",
            "state",
            "escalations",
        )[:8000]
    )
    items, codes, movable, escalated = [], {}, set(), set()
    for pk, title, text, at, lon, lat, grid, phone, urgency, code, state, escalations in rows:
        items.append(
            Item(
                id=pk,
                title=title,
                text=text[:600],
                at=at,
                lon=lon,
                lat=lat,
                place=grid,
                residents=phone or None,
                severity=SEVERITY.get(urgency, 1.0),
            )
        )
        codes[pk] = code
        if escalations:
            escalated.add(pk)
        elif state in ESCALATABLE:
            movable.add(pk)
    clusters = hot_issues(items, now=now, window_days=min(days, 30), top=20)
    found = [
        {
            "title": c.title,
            "label": c.label,
            "heat": round(c.heat, 1),
            "size": c.size,
            "residents": c.parts.residents,
            "growth": round(c.parts.growth, 2),
            "lon": c.lon,
            "lat": c.lat,
            "first_at": c.first_at,
            "last_at": c.last_at,
            "codes": [codes[i] for i in c.member_ids],
            # The cases one click would move: dispatched and not yet escalated (not
            # those waiting for triage, done, or already a tier up).
            "open": [codes[i] for i in c.member_ids if i in movable],
            "escalated": sum(1 for i in c.member_ids if i in escalated),
        }
        for c in clusters
    ]
    cache.set(key, found, 300)
    return found


@roles_required(access.HOT_ISSUES)
def hot_board(request: HttpRequest) -> HttpResponse:
    days = 30 if request.GET.get("days") != "90" else 90
    clusters = _clusters(request, days)
    for c in clusters:
        c["propose"] = c["heat"] >= settings.HOT_ESCALATE_HEAT
    points = [
        {"lon": c["lon"], "lat": c["lat"], "heat": c["heat"], "title": c["title"], "n": i + 1}
        for i, c in enumerate(clusters)
        if c["lon"] is not None
    ]
    # The grids of the user's widest unit, drawn under the clusters for orientation.
    top = (
        Unit.objects.tops_for(request.user)
        .exclude(kind__in=(UnitKind.GRID, UnitKind.DEPARTMENT))
        .order_by("path")
        .first()
    )
    context = {
        "clusters": clusters,
        "points": points,
        "days": days,
        "map_unit": top,
        "tile_url": settings.MAP_TILE_URL,
    }
    return render(request, "triage/hot.html", context)


@roles_required(access.HOT_ISSUES)
@require_POST
def escalate_cluster(request: HttpRequest) -> HttpResponse:
    """提级 a hot issue in one click: every open case of it that this person may
    escalate goes one tier up, with the cluster named as the reason.

    Cases already escalated are left where they are (counted as not escalated): a
    second click, or a colleague's board cached before the first, must not push the
    same cases up another tier."""
    codes = request.POST.getlist("codes")
    label = request.POST.get("label", "")[:80]
    cases = Case.objects.visible_to(request.user).filter(tracking_code__in=codes)
    done, refused = 0, cases.exclude(escalations=0).count()
    cases = cases.filter(escalations=0)
    for case in cases:
        try:
            actions.escalate_case(
                case, actor=request.user, reason=_("Hot issue: %(label)s") % {"label": label}
            )
            done += 1
        except Refusal:
            refused += 1
    messages.success(
        request,
        _("Escalated %(done)s cases; %(refused)s could not be escalated now.")
        % {"done": done, "refused": refused},
    )
    cache.delete_many([f"hot:{request.user.pk}:30", f"hot:{request.user.pk}:90"])
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
