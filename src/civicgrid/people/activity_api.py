"""The API of activities, the public-welfare supermarket, the ledger and the monthly
recognition list (under /api/people/): the same rows and refusals as the pages (what a
person may not see is a 404, a change they may not make a 403, a full activity, short
stock or short points a 409)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from civicgrid.errors import Invalid, NotFound, answers
from civicgrid.inputs import Id
from civicgrid.org.models import COMMUNITY_KINDS, Unit
from civicgrid.people import activities, activity_views, ledger, recognition
from civicgrid.people.activity_models import (
    Activity,
    ActivityKind,
    Item,
    Redemption,
    Shop,
    SignUp,
)
from civicgrid.people.models import LedgerEntry, Person

router = Router(tags=["people"])


class ActivityIn(Schema):
    community: str = Field(max_length=40, description="the community's or village's code")
    kind: ActivityKind
    title: str = Field(max_length=100)
    detail: str = Field("", max_length=2000)
    place: str = Field("", max_length=100)
    day: date
    starts: time
    ends: time
    capacity: int = Field(ge=1, le=activities.MAX_CAPACITY)
    hours: Decimal = Field(ge=0, le=24, description="service hours credited to each attendee")
    points: int = Field(ge=0, le=activities.MAX_POINTS)


class ActivityOut(Schema):
    id: int
    community: str
    community_name: str
    kind: str
    kind_label: str
    title: str
    detail: str
    place: str
    day: date
    starts: time
    ends: time
    capacity: int
    taken: int = Field(description="places taken (signed up or attended)")
    hours: Decimal
    points: int
    state: str


class SignUpOut(Schema):
    id: int
    activity: int
    person: int
    person_name: str
    state: str
    state_label: str
    signed_at: datetime


class SignUpIn(Schema):
    person: Id | None = Field(None, description="staff: whom to sign up (default: myself)")


class AttendanceIn(Schema):
    attended: bool


class CancelIn(Schema):
    reason: str = Field(max_length=200)


class ShopIn(Schema):
    community: str = Field(max_length=40)
    name: str = Field(max_length=100)
    place: str = Field("", max_length=100)


class ShopOut(Schema):
    id: int
    community: str
    name: str
    place: str


class ShopItemIn(Schema):
    name: str = Field(max_length=60)
    price: int = Field(ge=1, le=activities.MAX_POINTS, description="in points")
    stock: int = Field(ge=0, le=activities.MAX_STOCK)


class ShopItemOut(Schema):
    id: int
    shop: int
    name: str
    price: int
    stock: int
    active: bool


class RestockIn(Schema):
    quantity: int = Field(ge=1, le=activities.MAX_STOCK)


class RedeemIn(Schema):
    person: Id
    quantity: int = Field(1, ge=1, le=100)


class RedemptionOut(Schema):
    id: int
    item: int
    item_name: str
    person: int
    person_name: str
    quantity: int
    points: int
    at: datetime
    stock_left: int


class LedgerLineOut(Schema):
    at: datetime
    source: str
    source_label: str
    hours: Decimal
    points: int
    note: str


class PointsOut(Schema):
    points: int = Field(description="points to spend (earned less spent)")
    hours: Decimal = Field(description="service hours in all")
    hours_this_month: Decimal
    points_this_month: int
    lines: list[LedgerLineOut] = Field(description="the latest 100 lines, newest first")


class PlaceOut(Schema):
    rank: int
    person: int
    name: str
    hours: Decimal
    points: int
    services: int


def activity_out(a: Activity, taken: int | None = None) -> ActivityOut:
    if taken is None:
        taken = a.sign_ups.filter(state__in=activities.TAKING_PLACES).count()
    return ActivityOut(
        id=a.pk,
        community=a.unit.code,
        community_name=a.unit.name,
        kind=a.kind,
        kind_label=str(a.get_kind_display()),
        title=a.title,
        detail=a.detail,
        place=a.place,
        day=a.day,
        starts=a.starts,
        ends=a.ends,
        capacity=a.capacity,
        taken=taken,
        hours=a.hours,
        points=a.points,
        state=a.state,
    )


def sign_up_out(s: SignUp) -> SignUpOut:
    return SignUpOut(
        id=s.pk,
        activity=s.activity_id,
        person=s.person_id,
        person_name=s.person.name,
        state=s.state,
        state_label=str(s.get_state_display()),
        signed_at=s.signed_at,
    )


def item_out(i: Item) -> ShopItemOut:
    return ShopItemOut(
        id=i.pk, shop=i.shop_id, name=i.name, price=i.price, stock=i.stock, active=i.active
    )


def redemption_out(r: Redemption) -> RedemptionOut:
    return RedemptionOut(
        id=r.pk,
        item=r.item_id,
        item_name=r.item.name,
        person=r.person_id,
        person_name=r.person.name,
        quantity=r.quantity,
        points=r.points,
        at=r.at,
        stock_left=r.item.stock,
    )


def _community(request: HttpRequest, code: str) -> Unit:
    unit = Unit.objects.visible_to(request.user).filter(code=code, kind__in=COMMUNITY_KINDS).first()
    if unit is None:
        raise Invalid(str(gettext_lazy("Choose a community.")), field="community")
    return unit


# --- activities ---------------------------------------------------------------------------------


@router.get(
    "/activities",
    response=answers(list[ActivityOut]),
    summary=gettext_lazy("The activities I may see, newest day first"),
)
def list_activities(
    request: HttpRequest,
    community: str | None = Query(None, max_length=40),
    since: date | None = None,
) -> list[ActivityOut]:
    rows = Activity.objects.visible_to(request.user).select_related("unit")
    if community:
        rows = rows.filter(unit__code=community)
    if since:
        rows = rows.filter(day__gte=since)
    return [activity_out(a) for a in rows.order_by("-day", "-starts", "-pk")[:500]]


@router.post(
    "/activities",
    response=answers(ActivityOut, status=201),
    summary=gettext_lazy("发布活动 Plan an activity (staff of the community)"),
)
def create_activity(request: HttpRequest, body: ActivityIn) -> Status[ActivityOut]:
    plan = activities.Plan(
        kind=body.kind,
        title=body.title,
        detail=body.detail,
        place=body.place,
        day=body.day,
        starts=body.starts,
        ends=body.ends,
        capacity=body.capacity,
        hours=body.hours,
        points=body.points,
    )
    made = activities.create_activity(
        plan, actor=request.user, unit=_community(request, body.community)
    )
    return Status(201, activity_out(made, 0))


@router.get(
    "/activities/{pk}",
    response=answers(ActivityOut),
    summary=gettext_lazy("An activity"),
)
def get_activity(request: HttpRequest, pk: Id) -> ActivityOut:
    return activity_out(activity_views.visible_activity(request.user, pk))


@router.get(
    "/activities/{pk}/sign-ups",
    response=answers(list[SignUpOut]),
    summary=gettext_lazy("An activity's sign-ups (staff see all, a person their own)"),
)
def list_sign_ups(request: HttpRequest, pk: Id) -> list[SignUpOut]:
    from civicgrid.people import permissions
    from civicgrid.people.models import PeopleAction

    activity = activity_views.visible_activity(request.user, pk)
    rows = activity.sign_ups.select_related("person").order_by("signed_at", "pk")
    if not permissions.may(PeopleAction.RECORD_ATTENDANCE, request.user, activity.unit):
        rows = rows.filter(person__user_id=request.user.pk)
    return [sign_up_out(s) for s in rows]


@router.post(
    "/activities/{pk}/cancel",
    response=answers(ActivityOut),
    summary=gettext_lazy("取消活动 Cancel a planned activity (staff of the community)"),
)
def cancel_activity(request: HttpRequest, pk: Id, body: CancelIn) -> ActivityOut:
    activity = activity_views.visible_activity(request.user, pk)
    return activity_out(
        activities.cancel_activity(activity, actor=request.user, reason=body.reason)
    )


@router.post(
    "/activities/{pk}/sign-up",
    response=answers(SignUpOut, status=201),
    summary=gettext_lazy("报名 Sign up for an activity (myself, or a person, by staff)"),
)
def sign_up(request: HttpRequest, pk: Id, body: SignUpIn) -> Status[SignUpOut]:
    activity = activity_views.visible_activity(request.user, pk)
    if body.person is None:
        person = activity_views.own_person(request.user)
    else:
        person = Person.objects.visible_to(request.user).filter(pk=body.person).first()
    if person is None:
        raise Invalid(str(gettext_lazy("Choose a person.")), field="person")
    return Status(201, sign_up_out(activities.sign_up(activity, actor=request.user, person=person)))


@router.post(
    "/sign-ups/{pk}/cancel",
    response=answers(SignUpOut),
    summary=gettext_lazy("取消报名 Cancel a sign-up"),
)
def cancel_sign_up(request: HttpRequest, pk: Id) -> SignUpOut:
    mine = activity_views.visible_sign_up(request.user, pk)
    return sign_up_out(activities.cancel_sign_up(mine, actor=request.user))


@router.post(
    "/sign-ups/{pk}/attendance",
    response=answers(SignUpOut),
    summary=gettext_lazy("Record whether a person came (staff; attendance credits the ledger)"),
)
def record_attendance(request: HttpRequest, pk: Id, body: AttendanceIn) -> SignUpOut:
    one = activity_views.visible_sign_up(request.user, pk)
    return sign_up_out(
        activities.record_attendance(one, actor=request.user, attended=body.attended)
    )


# --- the supermarket -------------------------------------------------------------------------


@router.get(
    "/shops",
    response=answers(list[ShopOut]),
    summary=gettext_lazy("The public-welfare supermarkets I may see"),
)
def list_shops(request: HttpRequest) -> list[ShopOut]:
    rows = Shop.objects.visible_to(request.user).select_related("unit")[:500]
    return [ShopOut(id=s.pk, community=s.unit.code, name=s.name, place=s.place) for s in rows]


@router.post(
    "/shops",
    response=answers(ShopOut, status=201),
    summary=gettext_lazy("开设公益超市 Open a community's supermarket (staff)"),
)
def open_shop(request: HttpRequest, body: ShopIn) -> Status[ShopOut]:
    unit = _community(request, body.community)
    shop = activities.open_shop(actor=request.user, unit=unit, name=body.name, place=body.place)
    return Status(201, ShopOut(id=shop.pk, community=unit.code, name=shop.name, place=shop.place))


@router.get(
    "/shops/{pk}/items",
    response=answers(list[ShopItemOut]),
    summary=gettext_lazy("A supermarket's goods, their prices and stock"),
)
def list_items(request: HttpRequest, pk: Id) -> list[ShopItemOut]:
    shop = activity_views.visible_shop(request.user, pk)
    return [item_out(i) for i in shop.items.order_by("name", "pk")]


@router.post(
    "/shops/{pk}/items",
    response=answers(ShopItemOut, status=201),
    summary=gettext_lazy("上架 Put goods on a supermarket's shelf (staff)"),
)
def add_item(request: HttpRequest, pk: Id, body: ShopItemIn) -> Status[ShopItemOut]:
    shop = activity_views.visible_shop(request.user, pk)
    item = activities.add_item(
        shop, actor=request.user, name=body.name, price=body.price, stock=body.stock
    )
    return Status(201, item_out(item))


@router.post(
    "/items/{pk}/restock",
    response=answers(ShopItemOut),
    summary=gettext_lazy("补货 Restock goods (staff)"),
)
def restock(request: HttpRequest, pk: Id, body: RestockIn) -> ShopItemOut:
    item = activity_views.visible_item(request.user, pk)
    return item_out(activities.restock(item, actor=request.user, quantity=body.quantity))


@router.post(
    "/items/{pk}/redeem",
    response=answers(RedemptionOut, status=201),
    summary=gettext_lazy("兑换 Hand out goods for a person's points (staff at the counter)"),
    description=gettext_lazy(
        "Lowers the stock and spends the points in one change; refused (409) when the "
        "stock or the points are short, and then nothing changes."
    ),
)
def redeem(request: HttpRequest, pk: Id, body: RedeemIn) -> Status[RedemptionOut]:
    item = activity_views.visible_item(request.user, pk)
    person = Person.objects.visible_to(request.user).filter(pk=body.person).first()
    if person is None:
        raise Invalid(str(gettext_lazy("Choose a person.")), field="person")
    made = activities.redeem(item, actor=request.user, person=person, quantity=body.quantity)
    return Status(201, redemption_out(made))


@router.get(
    "/redemptions",
    response=answers(list[RedemptionOut]),
    summary=gettext_lazy("Redemptions I may see (a supermarket's, or my own), newest first"),
)
def list_redemptions(request: HttpRequest, shop: Id | None = None) -> list[RedemptionOut]:
    rows = Redemption.objects.visible_to(request.user).select_related("item", "person")
    if shop is not None:
        rows = rows.filter(item__shop_id=shop)
    return [redemption_out(r) for r in rows.order_by("-at", "-pk")[:500]]


# --- my points and the recognition list -------------------------------------------------------


@router.get(
    "/me/points",
    response=answers(PointsOut),
    summary=gettext_lazy("My service hours and points, with the ledger's lines"),
)
def my_points(request: HttpRequest) -> PointsOut:
    person = activity_views.own_person(request.user)
    if person is None:
        raise NotFound(str(gettext_lazy("Your account is not a person in the grids.")))
    start, _end = ledger.month_bounds(*ledger.this_month())
    everything, month = ledger.totals(person), ledger.totals(person, since=start)
    lines: list[LedgerEntry] = list(person.ledger.order_by("-at", "-pk")[:100])
    return PointsOut(
        points=everything.points,
        hours=everything.hours,
        hours_this_month=month.hours,
        points_this_month=month.points,
        lines=[
            LedgerLineOut(
                at=line.at,
                source=line.source,
                source_label=str(line.get_source_display()),
                hours=line.hours,
                points=line.points,
                note=line.note,
            )
            for line in lines
        ],
    )


@router.get(
    "/recognition",
    response=answers(list[PlaceOut]),
    summary=gettext_lazy(
        "月度志愿之星 A community's people ranked by the month's hours, then points"
    ),
)
def recognition_list(
    request: HttpRequest,
    community: str = Query(..., max_length=40),
    month: str | None = Query(None, max_length=7, description="YYYY-MM (default: this month)"),
) -> list[PlaceOut]:
    from civicgrid import inputs
    from civicgrid.people.models import reach_ids

    unit = Unit.objects.filter(code=community, kind__in=COMMUNITY_KINDS).first()
    ids = reach_ids(request.user)
    if unit is None or (ids is not None and unit.pk not in ids):
        raise NotFound(str(gettext_lazy("No community that you may see.")))
    year, number = inputs.month(month, "month") if month else ledger.this_month()
    places = recognition.rank(ledger.recognition_lines(unit, year, number))
    return [
        PlaceOut(
            rank=p.rank,
            person=p.person_id,
            name=p.name,
            hours=p.hours,
            points=p.points,
            services=p.lines,
        )
        for p in places
    ]
