"""The grid calls API (一呼百应, ``/api/grid-calls``): broadcast a call to a grid's
volunteers and party members, claim it, withdraw, report it done with a photo, close or
cancel it, and a person's own hours and points. The same refusals as the pages: a call
one may not see is a 404, a change one may not make a 403, one the state forbids a 409
(a call already full: 409 with the number it asked for)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.responses import Status

from civicgrid.cases.models import Case
from civicgrid.cases.photos import check_photos
from civicgrid.errors import Invalid, NotFound, answers
from civicgrid.inputs import Id, WholeNumber
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.people import calls, ledger, permissions
from civicgrid.people.call_models import CallClaim, CallState, GridCall, masked_name
from civicgrid.people.models import PeopleAction, Person

router = Router(tags=["grid calls"])

LIMIT = 200
StateKey = Literal["open", "full", "done", "cancelled"]
Wanted = WholeNumber(1, calls.MAX_WANTED)
Points = WholeNumber(0, calls.MAX_POINTS)


class CallClaimOut(Schema):
    id: int
    call: int
    person: str = Field(description="the name; masked (王**) unless you are staff of the grid")
    state: str = Field(description="claimed, done or withdrawn")
    claimed_at: datetime
    done_at: datetime | None
    report: str
    photo: bool = Field(description="whether a photo was reported")


class GridCallOut(Schema):
    id: int
    grid: str = Field(description="the grid's code")
    title: str
    detail: str
    wanted: int
    taken: int = Field(description="how many claimed it (or did it)")
    hours: Decimal
    points: int
    state: str = Field(description="open, full, done or cancelled")
    case: str | None = Field(description="the tracking code of the case it came from")
    reached: int = Field(description="the grid's people with an account who were told")
    created_at: datetime
    claims: list[CallClaimOut] = Field(default_factory=list)


class GridCallIn(Schema):
    grid: str | None = Field(None, max_length=40, description="the grid's code (or give case)")
    case: str | None = Field(
        None, max_length=12, description="a case's tracking code: the call goes to its grid"
    )
    title: str = Field(max_length=80)
    detail: str = Field("", max_length=1000)
    wanted: Wanted
    hours: Decimal = Field(Decimal("0"), ge=0, le=24, decimal_places=1)
    points: Points = 0


PHOTO_FILE = File(..., description="JPEG, PNG or WebP")
REPORT_TEXT = Form("", alias="report", max_length=500)


class CallReasonIn(Schema):
    reason: str = Field(max_length=200)


class MyCallsOut(Schema):
    hours: Decimal = Field(description="service hours, all time")
    points: int = Field(description="points to spend (earned less spent)")
    open_calls: list[GridCallOut] = Field(
        description="the open calls of my grid I have not claimed"
    )
    claims: list[CallClaimOut]


def claim_out(claim: CallClaim, *, staff: bool) -> CallClaimOut:
    return CallClaimOut(
        id=claim.pk,
        call=claim.call_id,
        person=claim.person.name if staff else masked_name(claim.person.name),
        state=claim.state,
        claimed_at=claim.claimed_at,
        done_at=claim.done_at,
        report=claim.report,
        photo=bool(claim.photo),
    )


def call_out(call: GridCall, user: User, *, taken: int, with_claims: bool = False) -> GridCallOut:
    claims: list[CallClaimOut] = []
    if with_claims:
        staff = permissions.may(PeopleAction.CLOSE_CALL, user, call.grid)
        claims = [
            claim_out(c, staff=staff)
            for c in call.claims.select_related("person").order_by("claimed_at", "pk")
        ]
    return GridCallOut(
        id=call.pk,
        grid=call.grid.code,
        title=call.title,
        detail=call.detail,
        wanted=call.wanted,
        taken=taken,
        hours=call.hours,
        points=call.points,
        state=call.state,
        case=call.case.tracking_code if call.case_id else None,
        reached=call.reached,
        created_at=call.created_at,
        claims=claims,
    )


def _call(request: HttpRequest, pk: int) -> GridCall:
    call = (
        GridCall.objects.visible_to(request.user)
        .select_related("grid", "case")
        .filter(pk=pk)
        .first()
    )
    if call is None:
        raise NotFound(_("No grid call %(id)s that you may see.") % {"id": pk})
    return call


def _detail(request: HttpRequest, pk: int) -> GridCallOut:
    call = _call(request, pk)
    return call_out(
        call, request.user, taken=calls.taken_counts([call]).get(call.pk, 0), with_claims=True
    )


def _claim(request: HttpRequest, pk: int) -> CallClaim:
    claim = (
        CallClaim.objects.filter(
            pk=pk, call__in=GridCall.objects.visible_to(request.user).values("pk")
        )
        .select_related("call__grid", "person")
        .first()
    )
    if claim is None:
        raise NotFound(_("No claim %(id)s that you may see.") % {"id": pk})
    return claim


@router.get(
    "",
    response=answers(list[GridCallOut]),
    summary=gettext_lazy("一呼百应 The grid calls I may see, newest first"),
    description=gettext_lazy(
        "Staff see the calls of the grids in their scope, a volunteer or party member "
        "those of their own grid. Paged by id: pass the last id seen as after."
    ),
)
def list_calls(
    request: HttpRequest, state: StateKey | None = None, after: Id | None = None
) -> list[GridCallOut]:
    rows = GridCall.objects.visible_to(request.user)
    if state:
        rows = rows.filter(state=state)
    if after:
        rows = rows.filter(pk__lt=after)
    found = list(rows.select_related("grid", "case").order_by("-pk")[:LIMIT])
    taken = calls.taken_counts(found)
    return [call_out(c, request.user, taken=taken.get(c.pk, 0)) for c in found]


@router.post(
    "",
    response=answers(GridCallOut, status=201),
    summary=gettext_lazy("一呼百应 Call a grid's volunteers (staff of the grid, a case's handler)"),
    description=gettext_lazy(
        "Give grid (a grid's code) or case (a case's tracking code: the call goes to the "
        "case's grid, and the case lists who helped). The request is answered at once; "
        "the messages to the grid's people go out through the outbox."
    ),
)
def broadcast(request: HttpRequest, body: GridCallIn) -> Status[GridCallOut]:
    case = None
    if body.case:
        case = Case.objects.visible_to(request.user).filter(tracking_code=body.case).first()
        if case is None:
            raise NotFound(_("No case %(code)s that you may see.") % {"code": body.case})
        grid = case.grid
        if grid is None:
            raise Invalid(_("This case lies in no grid."), field="case")
    else:
        # Any grid: one the caller does not serve is refused by the rule (403).
        grid = Unit.objects.filter(code=body.grid or "", kind=UnitKind.GRID).first()
        if grid is None:
            raise Invalid(_("Choose a grid."), field="grid")
    made = calls.broadcast_call(
        calls.Call(
            title=body.title,
            detail=body.detail,
            wanted=body.wanted,
            hours=body.hours,
            points=body.points,
        ),
        actor=request.user,
        grid=grid,
        case=case,
    )
    return Status(201, _detail(request, made.pk))


@router.get(
    "/mine",
    response=answers(MyCallsOut),
    summary=gettext_lazy("My hours and points, my claims and my grid's open calls"),
)
def mine(request: HttpRequest) -> MyCallsOut:
    me = Person.objects.filter(user_id=request.user.pk).first()
    if me is None:
        raise NotFound(_("Your account is not registered as a volunteer or party member."))
    totals = ledger.totals(me)
    claims = list(
        CallClaim.objects.filter(person=me).select_related("person").order_by("-pk")[:LIMIT]
    )
    claimed = {c.call_id for c in claims}
    open_calls = [
        c
        for c in GridCall.objects.filter(grid_id=me.home_grid_id or 0, state=CallState.OPEN)
        .select_related("grid", "case")
        .order_by("-pk")[:LIMIT]
        if c.pk not in claimed
    ]
    taken = calls.taken_counts(open_calls)
    return MyCallsOut(
        hours=totals.hours,
        points=totals.points,
        open_calls=[call_out(c, request.user, taken=taken.get(c.pk, 0)) for c in open_calls],
        claims=[claim_out(c, staff=True) for c in claims],
    )


@router.get(
    "/{pk}", response=answers(GridCallOut), summary=gettext_lazy("A grid call with who claimed it")
)
def get_call(request: HttpRequest, pk: Id) -> GridCallOut:
    return _detail(request, pk)


@router.post(
    "/{pk}/claim",
    response=answers(CallClaimOut, status=201),
    summary=gettext_lazy("认领 Claim a call of my grid (the first N win)"),
    description=gettext_lazy(
        "For an active volunteer or party member of the call's grid. 409 when the call "
        "already has the people it asked for, or you claimed it before."
    ),
)
def claim(request: HttpRequest, pk: Id) -> Status[CallClaimOut]:
    call = _call(request, pk)
    me = Person.objects.filter(user_id=request.user.pk).first()
    if me is None:
        raise NotFound(_("Your account is not registered as a volunteer or party member."))
    made = calls.claim_call(call, actor=request.user, person=me)
    return Status(201, claim_out(made, staff=True))


@router.post(
    "/claims/{pk}/withdraw",
    response=answers(CallClaimOut),
    summary=gettext_lazy("Withdraw my claim (before reporting it done)"),
)
def withdraw(request: HttpRequest, pk: Id) -> CallClaimOut:
    return claim_out(calls.withdraw_claim(_claim(request, pk), actor=request.user), staff=True)


@router.post(
    "/claims/{pk}/report",
    response=answers(CallClaimOut),
    summary=gettext_lazy("完成 Report my claim done with a photo (hours and points credited)"),
    description=gettext_lazy(
        "multipart/form-data: photo (one JPEG, PNG or WebP, checked by content, stored "
        "without EXIF) and report (what was done, optional)."
    ),
)
def report(
    request: HttpRequest,
    pk: Id,
    photo: UploadedFile = PHOTO_FILE,
    text: str = REPORT_TEXT,
) -> CallClaimOut:
    found = _claim(request, pk)
    checked = check_photos([photo], [photo.name or ""])
    done = calls.report_claim(found, actor=request.user, report=text, photos=checked)
    return claim_out(done, staff=True)


@router.post(
    "/{pk}/close",
    response=answers(GridCallOut),
    summary=gettext_lazy("Close a call: no more claims (staff of the grid)"),
)
def close(request: HttpRequest, pk: Id) -> GridCallOut:
    calls.close_call(_call(request, pk), actor=request.user)
    return _detail(request, pk)


@router.post(
    "/{pk}/cancel",
    response=answers(GridCallOut),
    summary=gettext_lazy("Cancel a call nobody has done yet, with the reason (staff of the grid)"),
)
def cancel(request: HttpRequest, pk: Id, body: CallReasonIn) -> GridCallOut:
    calls.cancel_call(_call(request, pk), actor=request.user, reason=body.reason)
    return _detail(request, pk)
