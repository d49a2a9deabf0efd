"""Every change to activities and the public-welfare supermarket: one function per
change, written through ``actions.record`` (403 before 409, exactly one ``PeopleEvent``).

Activities (志愿活动): staff of a community create them; a person who lives in or
reports to that community signs up (the activity's row locked, so the last place goes
once); staff record who came, and attendance credits the activity's hours and points to
the ledger (``ledger.credit``, once per person and activity) in the same change.

The supermarket (公益超市): staff open it, add and restock goods, and hand goods out at
the counter for a person's points (``redeem``). A redemption is made by staff, not from
the phone: the goods change hands at the counter, where staff see who takes them; the
phone page shows the goods, their prices and the person's points. The item's row is
locked, the stock and the points (``ledger.spend``, the person's row locked) are checked
and lowered together, or nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org.models import COMMUNITY_KINDS, Unit, User
from civicgrid.people import ledger
from civicgrid.people.actions import Done, record, today
from civicgrid.people.activity_models import (
    Activity,
    ActivityKind,
    ActivityState,
    Item,
    Redemption,
    Shop,
    SignUp,
    SignUpState,
    communities_of,
)
from civicgrid.people.models import LedgerSource, PeopleAction, Person

MAX_CAPACITY = 1000
MAX_POINTS = 1000  # an activity's points, an item's price
MAX_STOCK = 100_000
TAKING_PLACES = (SignUpState.SIGNED, SignUpState.ATTENDED)


@dataclass(frozen=True)
class Plan:
    """An activity as a form or the API hands one in (before checks)."""

    kind: str
    title: str
    day: date
    starts: time
    ends: time
    capacity: object
    hours: object
    points: object
    detail: str = ""
    place: str = ""


def _hours(value: object) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(_("Service hours lie between 0 and 24."), field="hours") from None
    if not hours.is_finite() or not Decimal("0") <= hours <= ledger.MAX_HOURS:
        raise Invalid(_("Service hours lie between 0 and 24."), field="hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise Invalid(_("Service hours are counted in tenths of an hour."), field="hours")
    return hours


def create_activity(plan: Plan, *, actor: User | None, unit: Unit) -> Activity:
    """发布活动: staff of a community or village plan an activity on a day."""
    if unit.kind not in COMMUNITY_KINDS:
        raise Invalid(_("An activity belongs to a community or a village."), field="unit")
    if plan.kind not in ActivityKind.values:
        raise Invalid(_("Choose the kind of activity."), field="kind")
    title = inputs.text(
        need_text(plan.title, _("An activity needs a title.")), "title", max_length=100
    )
    detail = inputs.text((plan.detail or "").strip(), "detail", max_length=2000)
    place = inputs.text((plan.place or "").strip(), "place", max_length=100)
    if plan.ends <= plan.starts:
        raise Invalid(_("An activity ends after it starts."), field="ends")
    capacity = inputs.whole_number(plan.capacity, "capacity", 1, MAX_CAPACITY)
    points = inputs.whole_number(plan.points, "points", 0, MAX_POINTS)
    hours = _hours(plan.hours)

    def change() -> Done[Activity]:
        if plan.day < today():
            raise Conflict(_("An activity cannot be planned for a day gone by."))
        activity = Activity.objects.create(
            unit=unit,
            kind=plan.kind,
            title=title,
            detail=detail,
            place=place,
            day=plan.day,
            starts=plan.starts,
            ends=plan.ends,
            capacity=capacity,
            hours=hours,
            points=points,
            created_at=clock.now(),
        )
        return Done(
            activity,
            note=title,
            data={"activity": activity.pk, "kind": plan.kind, "day": plan.day.isoformat()},
        )

    return record(PeopleAction.CREATE_ACTIVITY, actor, change, unit=unit)


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)


def cancel_activity(activity: Activity, *, actor: User | None, reason: str) -> Activity:
    """取消活动: a planned activity will not take place; its sign-ups are cancelled."""
    with transaction.atomic():
        locked = _locked(activity)

        def change() -> Done[Activity]:
            why = inputs.text(
                need_text(reason, _("Say why the activity is cancelled.")), "reason", max_length=200
            )
            if locked.state != ActivityState.PLANNED:
                raise Conflict(_("Only a planned activity can be cancelled."))
            locked.state = ActivityState.CANCELLED
            locked.save(update_fields=["state"])
            dropped = locked.sign_ups.filter(state=SignUpState.SIGNED).update(
                state=SignUpState.CANCELLED
            )
            return Done(locked, note=why, data={"activity": locked.pk, "sign_ups": dropped})

        return record(PeopleAction.CANCEL_ACTIVITY, actor, change, unit=locked.unit)


def sign_up(activity: Activity, *, actor: User | None, person: Person) -> SignUp:
    """报名: a person of the activity's community takes a place (or staff take it for
    them); refused when the activity is full, over, or they already have one."""
    with transaction.atomic():
        locked = _locked(activity)

        def change() -> Done[SignUp]:
            if locked.unit_id not in communities_of(person):
                raise Forbidden(_("Only people of the community may sign up for its activities."))
            if not person.active:
                raise Conflict(_("This person no longer serves."))
            if locked.state != ActivityState.PLANNED or locked.day < today():
                raise Conflict(_("This activity no longer takes sign-ups."))
            mine = SignUp.objects.filter(activity=locked, person=person).first()
            if mine is not None and mine.state != SignUpState.CANCELLED:
                raise Conflict(_("This person has already signed up."))
            taken = locked.sign_ups.filter(state__in=TAKING_PLACES).count()
            if taken >= locked.capacity:
                raise Conflict(_("This activity is full."))
            if mine is None:
                mine = SignUp.objects.create(activity=locked, person=person, signed_at=clock.now())
            else:
                mine.state = SignUpState.SIGNED
                mine.signed_at = clock.now()
                mine.save(update_fields=["state", "signed_at"])
            return Done(
                mine,
                person,
                note=locked.title,
                data={
                    "activity": locked.pk,
                    "sign_up": mine.pk,
                    "places_left": locked.capacity - taken - 1,
                },
            )

        return record(PeopleAction.SIGN_UP, actor, change, unit=locked.unit, about=person)


def _locked_sign_up(sign_up: SignUp) -> tuple[Activity, SignUp]:
    activity = _locked(sign_up.activity)
    return activity, SignUp.objects.select_for_update().select_related("person").get(pk=sign_up.pk)


def cancel_sign_up(sign_up: SignUp, *, actor: User | None) -> SignUp:
    """取消报名: the person (or staff) give the place back before the activity."""
    with transaction.atomic():
        activity, mine = _locked_sign_up(sign_up)

        def change() -> Done[SignUp]:
            if mine.state != SignUpState.SIGNED or activity.state != ActivityState.PLANNED:
                raise Conflict(_("Only a sign-up to an activity still to come can be cancelled."))
            mine.state = SignUpState.CANCELLED
            mine.save(update_fields=["state"])
            return Done(mine, mine.person, note=activity.title, data={"activity": activity.pk})

        return record(
            PeopleAction.CANCEL_SIGN_UP, actor, change, unit=activity.unit, about=mine.person
        )


def record_attendance(sign_up: SignUp, *, actor: User | None, attended: bool) -> SignUp:
    """签到 / 缺席: staff record whether a person came. Attendance credits the
    activity's hours and points to the person's ledger; absence credits nothing. The
    activity is held from its first attendance."""
    with transaction.atomic():
        activity, mine = _locked_sign_up(sign_up)

        def change() -> Done[SignUp]:
            if activity.state == ActivityState.CANCELLED:
                raise Conflict(_("This activity was cancelled."))
            if activity.day > today():
                raise Conflict(_("Attendance is recorded on the day of the activity or after."))
            if mine.state != SignUpState.SIGNED:
                raise Conflict(_("Attendance of this sign-up is already recorded."))
            mine.state = SignUpState.ATTENDED if attended else SignUpState.ABSENT
            mine.save(update_fields=["state"])
            data: dict[str, object] = {"activity": activity.pk, "attended": attended}
            if attended:
                ledger.credit(
                    mine.person,
                    source=LedgerSource.ACTIVITY,
                    source_key=f"activity:{activity.pk}",
                    hours=activity.hours,
                    points=activity.points,
                    unit=activity.unit,
                    note=activity.title,
                )
                data.update(hours=str(activity.hours), points=activity.points)
                if activity.state == ActivityState.PLANNED:
                    activity.state = ActivityState.HELD
                    activity.save(update_fields=["state"])
            return Done(mine, mine.person, note=activity.title, data=data)

        return record(PeopleAction.RECORD_ATTENDANCE, actor, change, unit=activity.unit)


# --- the public-welfare supermarket -----------------------------------------------------------


def open_shop(*, actor: User | None, unit: Unit, name: str, place: str = "") -> Shop:
    """开设公益超市: a community's or village's one supermarket."""
    if unit.kind not in COMMUNITY_KINDS:
        raise Invalid(_("A supermarket belongs to a community or a village."), field="unit")
    name = inputs.text(need_text(name, _("A supermarket needs a name.")), "name", max_length=100)
    place = inputs.text((place or "").strip(), "place", max_length=100)

    def change() -> Done[Shop]:
        try:
            with transaction.atomic():
                shop = Shop.objects.create(unit=unit, name=name, place=place)
        except IntegrityError:
            raise Conflict(_("This community already has a supermarket.")) from None
        return Done(shop, note=name, data={"shop": shop.pk})

    return record(PeopleAction.OPEN_SHOP, actor, change, unit=unit)


def add_item(shop: Shop, *, actor: User | None, name: str, price: object, stock: object) -> Item:
    """上架: goods the supermarket hands out, their price in points and the stock."""
    name = inputs.text(need_text(name, _("Goods need a name.")), "name", max_length=60)
    price = inputs.whole_number(price, "price", 1, MAX_POINTS)
    stock = inputs.whole_number(stock, "stock", 0, MAX_STOCK)

    def change() -> Done[Item]:
        try:
            with transaction.atomic():
                item = Item.objects.create(shop=shop, name=name, price=price, stock=stock)
        except IntegrityError:
            raise Conflict(_("The supermarket already has goods of this name.")) from None
        return Done(item, note=name, data={"item": item.pk, "price": price, "stock": stock})

    return record(PeopleAction.ADD_ITEM, actor, change, unit=shop.unit)


def _locked_item(item: Item) -> Item:
    return Item.objects.select_for_update().select_related("shop__unit").get(pk=item.pk)


def restock(item: Item, *, actor: User | None, quantity: object) -> Item:
    """补货: more of the goods arrive."""
    more = inputs.whole_number(quantity, "quantity", 1, MAX_STOCK)
    with transaction.atomic():
        locked = _locked_item(item)

        def change() -> Done[Item]:
            if locked.stock + more > MAX_STOCK:
                raise Conflict(_("The stock would be more than the supermarket can hold."))
            before = locked.stock
            locked.stock = F("stock") + more
            locked.save(update_fields=["stock"])
            locked.refresh_from_db(fields=["stock"])
            return Done(
                locked,
                note=locked.name,
                data={"item": locked.pk, "from": before, "to": locked.stock},
            )

        return record(PeopleAction.RESTOCK_ITEM, actor, change, unit=locked.shop.unit)


def redeem(item: Item, *, actor: User | None, person: Person, quantity: object = 1) -> Redemption:
    """兑换: staff at the counter hand out goods for a person's points. Refused when the
    stock is short or the points are (409); otherwise the stock is lowered and the
    points spent in one change."""
    count = inputs.whole_number(quantity, "quantity", 1, 100)
    with transaction.atomic():
        locked = _locked_item(item)

        def change() -> Done[Redemption]:
            if not locked.active:
                raise Conflict(_("These goods are no longer handed out."))
            if locked.stock < count:
                raise Conflict(_("Not enough of these goods in stock."))
            points = locked.price * count
            made = Redemption.objects.create(
                item=locked,
                person=person,
                quantity=count,
                points=points,
                at=clock.now(),
                by=actor if actor is not None and actor.is_authenticated else None,
            )
            ledger.spend(
                person,
                source_key=f"redemption:{made.pk}",
                points=points,
                unit=locked.shop.unit,
                note=f"{locked.name} × {count}",
                at=made.at,
            )
            locked.stock -= count
            locked.save(update_fields=["stock"])
            return Done(
                made,
                person,
                note=f"{locked.name} × {count}",
                data={
                    "redemption": made.pk,
                    "item": locked.pk,
                    "quantity": count,
                    "points": points,
                    "stock": locked.stock,
                },
            )

        return record(PeopleAction.REDEEM, actor, change, unit=locked.shop.unit)
