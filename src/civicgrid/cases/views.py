"""Console pages for cases: the work queue, a case, its transitions, department tasks.

Thin: read through the scoped querysets, call the transition functions, show
their refusals as messages. The buttons on a case page are exactly
``allowed_actions(case, user)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid import inputs, sheets
from civicgrid.cases import actions, export, followup, search
from civicgrid.cases import queues as work_queues
from civicgrid.cases.api import contact_view
from civicgrid.cases.categories import choice_groups
from civicgrid.cases.models import (
    OPEN_TASK_STATES,
    Case,
    Category,
    Channel,
    Photo,
    State,
    Tier,
    Urgency,
    WhistleTask,
)
from civicgrid.cases.paging import Page, keyset
from civicgrid.cases.permissions import allowed_actions, known_residents, may_know_resident
from civicgrid.cases.photos import CheckedPhoto, check_photos, open_photo
from civicgrid.councils.work_views import case_origin
from civicgrid.errors import Invalid, Refusal
from civicgrid.evaluation.views import appeal_panel
from civicgrid.geo.models import Boundary
from civicgrid.org.models import Unit, UnitKind
from civicgrid.people.call_views import case_panel
from civicgrid.projects.views import case_origin as project_origin
from civicgrid.web import access
from civicgrid.web.access import roles_required


def _visible_case(request: HttpRequest, code: str) -> Case:
    case = Case.objects.select_related("owner_unit", "category", "grid", "contact").visible_case(
        request.user, code
    )
    if case is None:
        raise Http404(_("No case %(code)s that you may see.") % {"code": code})
    return case


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """A work queue, searched, filtered and sorted (``cases.search``), a page at a time
    by key (newer/older, never "page N"), with the open queues' counts. A filter that
    means nothing is shown on the page with its status (400, 403), the list empty."""
    counts = work_queues.queue_counts(request.user)
    defined = work_queues.queues()
    name = request.GET.get("queue") or next(
        (q for q in ("triage", "to_acknowledge", "handling") if counts.get(q)), "all"
    )
    if name not in defined:
        name = "all"
    context: dict[str, Any] = {
        "tabs": [(q, queue.label, counts[q]) for q, queue in defined.items()],
        "current": name,
        "cap": work_queues.COUNT_CAP,
        "export_limit": export.ROW_LIMIT,
        **_filter_choices(request),
    }
    status = 200
    try:
        filters = search.read(request.GET, request.user)
        sort = search.sort_of(filters, defined[name].order)
        page = search.page_of(
            request.user,
            name,
            filters,
            sort,
            before=request.GET.get("before"),
            after=request.GET.get("after"),
            size=30,
            related=("owner_unit", "category"),
        )
        if filters.phone:
            actions.log_phone_search(page.items, actor=request.user, digits=filters.phone)
    except Refusal as refusal:
        given = {k: request.GET[k] for k in search.FIELDS if request.GET.get(k)}
        filters = search.Filters(given=given)
        page, status = Page([], next=None, previous=None), refusal.status
        context["error"] = refusal.message
        sort = search.sort_of(search.Filters(), defined[name].order)
    params = {"queue": name, **filters.given}
    context.update(
        page=page,
        filters=filters,
        sort=sort,
        query=urlencode(params),
        unsorted=urlencode({k: v for k, v in params.items() if k != "sort"}),
        export_query=urlencode(params),
    )
    return render(request, "cases/queue.html", context, status=status)


def _filter_choices(request: HttpRequest) -> dict[str, Any]:
    """The filter form's choices: the units the viewer may see (grids are within their
    community), the categories, tiers and channels, and the sorts."""
    return {
        "units": Unit.objects.visible_to(request.user)
        .exclude(kind=UnitKind.GRID)
        .filter(active=True)
        .only("code", "name", "path"),
        "filter_categories": Category.objects.filter(active=True).select_related("parent"),
        "tiers": Tier.choices,
        "channels": Channel.choices,
        "sorts": search.SORTS,
        "may_search_phones": known_residents(request.user) is not None,
    }


@login_required
def export_queue(request: HttpRequest) -> HttpResponse:
    """The queue as the page shows it (queue, search, filters, order) as an Excel file,
    up to ``export.ROW_LIMIT`` cases; a refusal (a bad filter, too many cases) as the
    refusal page, with its status."""
    defined = work_queues.queues()
    name = request.GET.get("queue") or "all"
    if name not in defined:
        name = "all"
    filters = search.read(request.GET, request.user)
    sort = search.sort_of(filters, defined[name].order)
    with search.time_limited(filters):
        kept = search.narrowing(filters, request.user)
        cases = export.rows_for(work_queues.in_queue(request.user, name), sort, kept=kept.q)
    response = HttpResponse(
        export.workbook(cases, request.user),
        content_type=sheets.CONTENT_TYPE,
    )
    response["Content-Disposition"] = content_disposition_header(True, export.filename())
    response["Cache-Control"] = "private, no-store"
    return response


# Form fields each transition needs, read from the POST.
def _text(request: HttpRequest, field: str) -> str:
    return request.POST.get(field, "").strip()


def _units(request: HttpRequest, field: str) -> list[Unit]:
    codes = [c for c in request.POST.getlist(field) if c]
    units = list(Unit.objects.filter(code__in=codes, kind=UnitKind.DEPARTMENT))
    if len(units) != len(set(codes)):
        raise Invalid(_("Unknown department."))
    return units


def _category(request: HttpRequest) -> Category:
    category = Category.objects.filter(code=_text(request, "category"), active=True).first()
    if category is None:
        raise Invalid(_("Choose a category."))
    return category


def _lead(request: HttpRequest) -> Unit:
    lead = _units(request, "lead")
    if not lead:
        raise Invalid(_("Choose the lead department."))
    return lead[0]


def _stars(request: HttpRequest) -> int:
    given = request.POST.get("rating", "").strip()
    return inputs.whole_number(given, "rating", 1, 5) if given else 0  # 0: the rule refuses


def _version(request: HttpRequest) -> int | None:
    """The version the page showed (a stale one is refused); none sent, none checked."""
    seen = request.POST.get("version", "").strip()
    return inputs.whole_number(seen, "version", 0, inputs.ID_MAX) if seen else None


def _choice(request: HttpRequest, name: str) -> bool | None:
    """A yes/no radio: "1", "0", or not answered."""
    value = request.POST.get(name, "")
    return {"1": True, "0": False}.get(value)


def follow_up_form(request: HttpRequest, case: Case | None = None) -> dict[str, Any]:
    """A follow-up call's outcome from the form: reached or not and, when the resident
    gave it, their stars and word (neither left empty alone: the rule refuses that)."""
    reached = _choice(request, "reached")
    if reached is None:
        raise Invalid(_("Say whether the resident was reached."))
    stars = request.POST.get("rating", "")
    return {
        "reached": reached,
        "rating": _stars(request) if stars else None,
        "solved": _choice(request, "solved"),
        "comment": _text(request, "comment")[:500],
        "note": _text(request, "note"),
    }


def _photos(request: HttpRequest) -> list[CheckedPhoto]:
    files = request.FILES.getlist("photos")
    return check_photos(files, [f.name or "" for f in files])


Form = Callable[[HttpRequest, Case], dict[str, Any]]
FORMS: dict[str, tuple[Callable[..., Case], Form]] = {
    "triage": (
        actions.triage_case,
        lambda r, c: {
            "category": _category(r),
            "urgency": _text(r, "urgency") or Urgency.NORMAL,
            "tier": _text(r, "tier") or None,
        },
    ),
    "dispatch": (actions.dispatch_case, lambda r, c: {"note": _text(r, "note")}),
    "acknowledge": (actions.acknowledge_case, lambda r, c: {"note": _text(r, "note")}),
    "return": (actions.return_case, lambda r, c: {"reason": _text(r, "note")}),
    "handle": (
        actions.handle_case,
        lambda r, c: {"note": _text(r, "note"), "photos": _photos(r)},
    ),
    "resolve": (
        actions.resolve_case,
        lambda r, c: {"reply": _text(r, "note"), "photos": _photos(r)},
    ),
    "fix_on_the_spot": (
        actions.fix_on_the_spot,
        lambda r, c: {"reply": _text(r, "note"), "photos": _photos(r)},
    ),
    "verify": (
        actions.verify_case,
        lambda r, c: {"passed": r.POST.get("passed") == "1", "note": _text(r, "note")},
    ),
    "follow_up": (actions.follow_up_case, follow_up_form),
    "rate": (
        actions.rate_case,
        lambda r, c: {
            "rating": _stars(r),
            "solved": r.POST.get("solved") == "1",
            "comment": _text(r, "note"),
        },
    ),
    "close": (actions.close_case, lambda r, c: {"note": _text(r, "note")}),
    "reopen": (actions.reopen_case, lambda r, c: {"reason": _text(r, "note")}),
    "escalate": (actions.escalate_case, lambda r, c: {"reason": _text(r, "note")}),
    "supervise": (actions.supervise_case, lambda r, c: {"reason": _text(r, "note")}),
    "remind": (actions.remind_case, lambda r, c: {"note": _text(r, "note")}),
    "reject": (actions.reject_case, lambda r, c: {"reason": _text(r, "note")}),
    "merge": (
        actions.merge_case,
        lambda r, c: {"into": _text(r, "into"), "note": _text(r, "note")},
    ),
    "withdraw": (actions.withdraw_from_public, lambda r, c: {"reason": _text(r, "note")}),
    "republish": (actions.republish_case, lambda r, c: {"note": _text(r, "note")}),
    "whistle": (
        actions.whistle_case,
        lambda r, c: {
            "lead": _lead(r),
            "assisting": _units(r, "assisting"),
            "note": _text(r, "note"),
        },
    ),
}


@login_required
def case_page(request: HttpRequest, code: str) -> HttpResponse:
    case = _visible_case(request, code)
    boundary = None
    if case.grid_id:
        boundary = (
            Boundary.objects.filter(unit_id=case.grid_id).values_list("geometry", flat=True).first()
        )
    allowed = allowed_actions(case, request.user)
    context: dict[str, Any] = {
        "case": case,
        "events": case.events.select_related("actor", "from_unit", "to_unit"),
        "tasks": case.tasks.select_related("department"),
        "allowed": allowed,
        "contact": contact_view(case, request.user),
        "map_data": {"grid": boundary, "point": [case.lon, case.lat] if case.lon else None},
        "urgencies": Urgency.choices,
        "tiers": Tier.choices,
        "tile_url": settings.MAP_TILE_URL,
    }
    context.update(appeal_panel(case, request.user))
    context["council_origin"] = case_origin(case, request.user)
    context["project_origin"] = project_origin(case, request.user)
    context.update(case_panel(case, request.user))
    if "triage" in allowed:
        context["category_groups"] = choice_groups()
    if "follow_up" in allowed:
        context["stars"] = followup.STARS
    if "whistle" in allowed:
        context["departments"] = Unit.objects.filter(
            kind=UnitKind.DEPARTMENT, active=True
        ).order_by("code")
    return render(request, "cases/case.html", context)


@login_required
def case_sheet(request: HttpRequest, code: str) -> HttpResponse:
    """工单: the case on one A4 sheet for sign-off on paper: its facts, its history, the
    departments' tasks and the signature lines. The resident's number is masked unless
    the viewer may know the resident; then it is printed whole and the reveal logged."""
    case = _visible_case(request, code)
    contact = contact_view(case, request.user)
    resident = getattr(case, "contact", None)
    if resident is not None and resident.phone and may_know_resident(case, request.user):
        actions.log_contact_reveals([case], actor=request.user, reason=_("Printed the case sheet"))
        contact = contact.model_copy(update={"phone": resident.phone, "masked": False})
    context = {
        "case": case,
        "contact": contact,
        "events": case.events.select_related("actor", "from_unit", "to_unit"),
        "tasks": case.tasks.select_related("department"),
        "printed_at": timezone.now(),
    }
    return render(request, "cases/sheet.html", context)


@login_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action not in FORMS:
        raise Http404(action)
    case = _visible_case(request, code)
    func, form = FORMS[action]
    try:
        func(case, actor=request.user, expected_version=_version(request), **form(request, case))
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
        if action == "resolve":
            check = case.events.filter(action="resolve").order_by("-seq").first()
            if check is not None and not check.data.get("reply_check", {}).get("ok", True):
                messages.warning(
                    request,
                    _("The reply may not answer the request; the verifier will see why."),
                )
    return redirect("cases:case", code=case.tracking_code)


@login_required
def case_photo(request: HttpRequest, code: str, name: str) -> FileResponse:
    """A photo of a case, to those who may see the case (never a public URL)."""
    case = _visible_case(request, code)
    if not Photo.objects.filter(case=case, name=name).exists():
        raise Http404(_("No such photo."))
    response = FileResponse(open_photo(name), filename=name.rsplit("/", 1)[-1])
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """A department's whistle tasks: the open ones first, by their check-in deadline;
    the finished (done or returned) on their own tab, newest first; a page at a time."""
    name = request.GET.get("tab", "open")
    if name not in TASK_TABS:
        name = "open"
    _label, which, order = TASK_TABS[name]
    page = keyset(
        WhistleTask.objects.visible_to(request.user)
        .filter(which)
        .select_related("case", "department"),
        order,
        before=request.GET.get("before"),
        after=request.GET.get("after"),
        size=30,
    )
    tabs = [(key, label) for key, (label, _which, _order) in TASK_TABS.items()]
    return render(request, "cases/tasks.html", {"page": page, "tabs": tabs, "current": name})


TASK_TABS: dict[str, tuple[Promise, Q, tuple[str, str]]] = {
    "open": (gettext_lazy("Open tasks"), Q(state__in=OPEN_TASK_STATES), ("check_in_due", "id")),
    "finished": (
        gettext_lazy("Finished tasks"),
        ~Q(state__in=OPEN_TASK_STATES),
        ("-created_at", "-id"),
    ),
}


TASK_ACTIONS = {
    "check_in": actions.check_in_task,
    "start": actions.start_task,
    "done": actions.finish_task,
}


@login_required
@require_POST
def task_act(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    task = WhistleTask.objects.visible_to(request.user).filter(pk=task_id).first()
    if task is None or action not in (*TASK_ACTIONS, "return"):
        raise Http404(_("No task %(id)s of your department.") % {"id": task_id})
    note = request.POST.get("note", "").strip()
    try:
        if action == "return":
            actions.return_task(task, actor=request.user, reason=note)
        else:
            TASK_ACTIONS[action](task, actor=request.user, note=note)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done."))
    return redirect("cases:tasks")


# --- 回访: the follow-up queue ---------------------------------------------------------------


@roles_required(access.FOLLOW_UP)
def follow_up_queue(request: HttpRequest) -> HttpResponse:
    """The cases waiting for a follow-up call, oldest deadline first, each with its call
    script and the form for the call's outcome; a page at a time by key."""
    page = followup.page(
        request.user, before=request.GET.get("before"), after=request.GET.get("after")
    )
    context = {
        "page": page,
        "scripts": [
            (script, contact_view(script.case, request.user))
            for script in followup.scripts(page.items, request.user)
        ],
        "waiting": followup.count(request.user),
        "cap": work_queues.COUNT_CAP,
        "terms": actions.follow_up_terms(),
        "stars": followup.STARS,
        "cursor": {k: request.GET[k] for k in ("before", "after") if request.GET.get(k)},
    }
    return render(request, "cases/followup.html", context)


# A message about one case of a list: its code, then what happened.
ON_CASE = gettext_lazy("%(code)s: %(text)s")


@roles_required(access.FOLLOW_UP)
@require_POST
def follow_up_call(request: HttpRequest, code: str) -> HttpResponse:
    """Record one call from the queue's form (``actions.follow_up_case``), then back to
    the same page of the queue."""
    case = _visible_case(request, code)
    try:
        case = actions.follow_up_case(
            case,
            actor=request.user,
            expected_version=_version(request),
            **follow_up_form(request),
        )
    except Refusal as refusal:
        messages.error(request, ON_CASE % {"code": case.tracking_code, "text": refusal.message})
    else:
        messages.success(
            request, ON_CASE % {"code": case.tracking_code, "text": _call_outcome(case)}
        )
    cursor = {k: request.POST[k] for k in ("before", "after") if request.POST.get(k)}
    url = reverse("cases:followup")
    return redirect(f"{url}?{urlencode(cursor)}" if cursor else url)


def _call_outcome(case: Case) -> str:
    """What the call just recorded did to ``case``, in a sentence."""
    if case.state == State.CLOSED and case.unreachable:
        return _("Not reached on the last call: the case is closed as unreachable.")
    if case.state == State.CLOSED:
        return _("The resident's word is recorded and the case is closed.")
    if case.state == State.HANDLING:
        return _("The resident's word reopens the case: it is back with %(unit)s.") % {
            "unit": case.owner_unit.name
        }
    left = actions.follow_up_terms().max_attempts - case.follow_up_attempts
    last = case.events.order_by("-seq").values_list("data", flat=True).first() or {}
    if last.get("reached"):
        return _("Call recorded: reached; the case waits for the resident's rating.")
    if left > 0:
        return _(
            "Call %(n)s recorded: not reached. After %(left)s more unanswered calls the case "
            "is closed as unreachable."
        ) % {"n": case.follow_up_attempts, "left": left}
    return _("Call %(n)s recorded: not reached.") % {"n": case.follow_up_attempts}


@login_required
@require_POST
def reveal_contact(request: HttpRequest, code: str) -> HttpResponse:
    """The resident's whole number, with the reason logged (``actions.reveal_contact``):
    the phone's place on the page (htmx), or a page of its own."""
    case = _visible_case(request, code)
    context: dict[str, Any] = {"case": case}
    status = 200
    try:
        context["contact"] = actions.reveal_contact(
            case, actor=request.user, reason=_text(request, "reason")
        )
    except Refusal as refusal:
        context["error"], status = refusal.message, refusal.status
    if request.headers.get("HX-Request"):
        # (htmx swaps only a 2xx answer: the refusal is shown where the number would be)
        return render(request, "cases/partials/revealed.html", context)
    return render(request, "cases/revealed.html", context, status=status)
