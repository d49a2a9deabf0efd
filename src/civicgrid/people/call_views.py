"""The pages of grid calls (一呼百应): the community's list of calls with the form to
broadcast one (``/people/calls/``), a call's page (claims, the claimant's report with
a photo, close and cancel), and the phone page of a volunteer or party member
(``/people/calls/mine/``: the open calls of my grid, my claims, my hours and points).

Thin: calls come through ``GridCall.objects.visible_to`` (else 404), rights through
``permissions``, every change through ``people.calls``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs, sheets
from civicgrid.cases.models import Case
from civicgrid.cases.photos import check_photos, open_photo
from civicgrid.errors import Invalid
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.people import calls, export, ledger, permissions
from civicgrid.people.call_models import CallClaim, CallState, ClaimState, GridCall, masked_name
from civicgrid.people.models import LedgerSource, PeopleAction, Person
from civicgrid.people.views import act, back
from civicgrid.web import access
from civicgrid.web.access import roles_required

PAGE = 200
STATES = {
    "open": (CallState.OPEN, CallState.FULL),
    "done": (CallState.DONE,),
    "cancelled": (CallState.CANCELLED,),
}


def visible_call(user: User, pk: int) -> GridCall:
    call = (
        GridCall.objects.visible_to(user)
        .select_related("grid", "case", "called_by")
        .filter(pk=pk)
        .first()
    )
    if call is None:
        raise Http404(_("No grid call %(id)s that you may see.") % {"id": pk})
    return call


def visible_claim(user: User, pk: int) -> CallClaim:
    claim = (
        CallClaim.objects.filter(pk=pk, call__in=GridCall.objects.visible_to(user).values("pk"))
        .select_related("call__grid", "person")
        .first()
    )
    if claim is None:
        raise Http404(_("No claim %(id)s that you may see.") % {"id": pk})
    return claim


def callable_grids(user: User) -> list[Unit]:
    """The grids ``user`` may call (staff of them)."""
    return [
        g
        for g in Unit.objects.visible_to(user)
        .filter(kind=UnitKind.GRID, active=True)
        .order_by("path")[:500]
        if permissions.may(PeopleAction.BROADCAST_CALL, user, g)
    ]


@roles_required(access.STAFF)
def call_list(request: HttpRequest) -> HttpResponse:
    """一呼百应: the calls of the grids in one's scope, open ones first by default,
    with how many claimed; and the form to broadcast one."""
    state = request.GET.get("state", "open")
    if state not in STATES:
        state = ""
    rows = GridCall.objects.visible_to(request.user)
    if state:
        rows = rows.filter(state__in=STATES[state])
    found = list(rows.select_related("grid", "case").order_by("-created_at", "-pk")[:PAGE])
    taken = calls.taken_counts(found)
    return render(
        request,
        "people/calls/list.html",
        {
            "calls": [(c, taken.get(c.pk, 0)) for c in found],
            "more": len(found) == PAGE,
            "state": state,
            "grids": callable_grids(request.user),
        },
    )


@roles_required(access.STAFF)
def export_calls(request: HttpRequest) -> HttpResponse:
    """一呼百应台账: the calls of the list (its state tab), as an Excel workbook; the
    helpers' names whole where the reader may close the call, as on its page."""
    state = request.GET.get("state", "")
    rows = GridCall.objects.visible_to(request.user)
    if state in STATES:
        rows = rows.filter(state__in=STATES[state])
    response = HttpResponse(
        export.calls_workbook(
            rows, lambda call: permissions.may(PeopleAction.CLOSE_CALL, request.user, call.grid)
        ),
        content_type=sheets.CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{export.calls_filename()}"'
    return response


@require_POST
@login_required
def broadcast(request: HttpRequest) -> HttpResponse:
    """From the list (a grid chosen) or from a case's page (the case's grid)."""
    post = request.POST
    case = None
    if post.get("case"):
        case = Case.objects.visible_to(request.user).filter(tracking_code=post["case"]).first()
        if case is None:
            raise Http404(_("No case %(code)s that you may see.") % {"code": post["case"]})

    def change() -> GridCall:
        if case is not None:
            grid = case.grid
            if grid is None:
                raise Invalid(_("This case lies in no grid."), field="grid")
        else:
            pk = inputs.whole_number(post.get("grid", ""), "grid", 1, inputs.ID_MAX)
            # Any grid: one the caller does not serve is refused by the rule (403).
            grid = Unit.objects.filter(pk=pk, kind=UnitKind.GRID).first()
            if grid is None:
                raise Invalid(_("Choose a grid."), field="grid")
        return calls.broadcast_call(
            calls.Call(
                title=post.get("title", ""),
                detail=post.get("detail", ""),
                wanted=post.get("wanted", ""),
                hours=post.get("hours", "0"),
                points=post.get("points", "0"),
            ),
            actor=request.user,
            grid=grid,
            case=case,
        )

    made = act(request, change, _("The call is out: the grid's people are being told."))
    if isinstance(made, GridCall):
        return redirect("people:call", pk=made.pk)
    if case is not None:
        return redirect("cases:case", code=case.tracking_code)
    return redirect("people:calls")


def my_person(user: User) -> Person | None:
    return Person.objects.filter(user_id=user.pk).select_related("home_grid").first()


@login_required
def call_page(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    me = my_person(request.user)
    staff = permissions.may(PeopleAction.CLOSE_CALL, request.user, call.grid)
    claims = list(call.claims.select_related("person").order_by("claimed_at", "pk"))
    mine = next((c for c in claims if me is not None and c.person_id == me.pk), None)
    context: dict[str, Any] = {
        "call": call,
        "staff": staff,
        # Staff see who claimed; the grid's people see names masked.
        "claims": [(c, c.person.name if staff else masked_name(c.person.name)) for c in claims],
        "taken": sum(1 for c in claims if c.state in calls.TAKEN),
        "mine": mine,
        "may_claim": mine is None
        and call.taking_claims
        and me is not None
        and permissions.may(PeopleAction.CLAIM_CALL, request.user, call.grid, me),
        "may_close": staff and call.state in (CallState.OPEN, CallState.FULL),
        "claimed": ClaimState.CLAIMED,
    }
    return render(request, "people/calls/call.html", context)


@require_POST
@login_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    me = my_person(request.user)

    def change() -> CallClaim:
        if me is None:
            raise Invalid(_("Your account is not registered as a volunteer or party member."))
        return calls.claim_call(call, actor=request.user, person=me)

    act(request, change, _("You have claimed the call. Report it done with a photo."))
    return back(request, reverse("people:call", kwargs={"pk": call.pk}))


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_claim(request.user, pk)
    act(
        request,
        lambda: calls.withdraw_claim(found, actor=request.user),
        _("You have withdrawn from the call."),
    )
    return back(request, reverse("people:call", kwargs={"pk": found.call_id}))


@require_POST
@login_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_claim(request.user, pk)

    def change() -> CallClaim:
        files = request.FILES.getlist("photo")
        photos = check_photos(files, [f.name or "" for f in files])
        return calls.report_claim(
            found, actor=request.user, report=request.POST.get("report", ""), photos=photos
        )

    act(request, change, _("Reported done: your hours and points are credited."))
    return back(request, reverse("people:call", kwargs={"pk": found.call_id}))


@require_POST
@login_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    act(request, lambda: calls.close_call(call, actor=request.user), _("The call is closed."))
    return redirect("people:call", pk=call.pk)


@require_POST
@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    act(
        request,
        lambda: calls.cancel_call(call, actor=request.user, reason=request.POST.get("reason", "")),
        _("The call is cancelled."),
    )
    return redirect("people:call", pk=call.pk)


@login_required
def claim_photo(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_claim(request.user, pk)
    if not found.photo:
        raise Http404(_("No such photo."))
    return FileResponse(open_photo(found.photo), filename=found.photo.rsplit("/", 1)[-1])


@login_required
def my_calls(request: HttpRequest) -> HttpResponse:
    """我的一呼百应: the open calls of my grid, my claims, my hours and points."""
    me = my_person(request.user)
    context: dict[str, Any] = {"person": me}
    if me is not None:
        mine = list(
            CallClaim.objects.filter(person=me)
            .select_related("call__grid")
            .order_by("-claimed_at", "-pk")[:50]
        )
        claimed = {c.call_id for c in mine}
        open_calls = []
        if me.home_grid_id:
            open_calls = [
                c
                for c in GridCall.objects.filter(
                    grid_id=me.home_grid_id, state=CallState.OPEN
                ).order_by("-created_at", "-pk")[:50]
                if c.pk not in claimed
            ]
        context.update(
            {
                "open_calls": open_calls,
                "claims": mine,
                "totals": ledger.totals(me),
                "earned": list(
                    me.ledger.filter(source=LedgerSource.GRID_CALL).order_by("-at", "-pk")[:20]
                ),
                "claimed": ClaimState.CLAIMED,
            }
        )
    return render(request, "people/calls/mine.html", context)


def case_panel(case: Case, user: User) -> dict[str, Any]:
    """The case page's 志愿者协助 panel: the calls from the case and their helpers, and
    the form to call the case's grid for whoever may."""
    return {
        "case_calls": calls.helpers_of_case(case),
        "may_call_grid": case.grid_id is not None
        and permissions.may(PeopleAction.BROADCAST_CALL, user, case.grid, case=case),
    }
