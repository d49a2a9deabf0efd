"""The pages of activities and the public-welfare supermarket: the community's activity
list (with the service hours earned this month) and an activity's sign-ups and
attendance, the supermarket's goods, stock, counter and redemptions, the monthly
recognition list (and its Excel export), and the phone page of a volunteer or party
member (``/people/me/activities/``: activities to sign up to, my hours and points with
their ledger lines, the supermarket's goods, my community's list with others' names
masked).

Thin: rows come through ``visible_to`` (else 404), rights through ``permissions``,
every change through ``people.activities``.
"""

from __future__ import annotations

from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.errors import Invalid
from civicgrid.org.models import COMMUNITY_KINDS, Unit, User
from civicgrid.people import activities, ledger, permissions, recognition
from civicgrid.people.activity_models import (
    Activity,
    ActivityKind,
    ActivityState,
    Item,
    Redemption,
    Shop,
    SignUp,
    SignUpState,
    own_communities,
)
from civicgrid.people.models import (
    PeopleAction,
    Person,
    reach_ids,
)
from civicgrid.people.views import act, back, parse_time
from civicgrid.web import access
from civicgrid.web.access import roles_required

PAGE = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- lookups (404 for what one may not see) ---------------------------------------------------


def visible_activity(user: User, pk: int) -> Activity:
    found = Activity.objects.visible_to(user).select_related("unit").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No activity %(id)s that you may see.") % {"id": pk})
    return found


def visible_sign_up(user: User, pk: int) -> SignUp:
    """A sign-up to an activity of ``user``'s scope, or their own."""
    ids = reach_ids(user)
    rows = SignUp.objects.filter(pk=pk)
    if ids is not None:
        rows = rows.filter(Q(activity__unit_id__in=ids) | Q(person__user_id=user.pk))
    found = rows.select_related("activity__unit", "person").first()
    if found is None:
        raise Http404(_("No sign-up %(id)s that you may see.") % {"id": pk})
    return found


def visible_shop(user: User, pk: int) -> Shop:
    found = Shop.objects.visible_to(user).select_related("unit").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No supermarket %(id)s that you may see.") % {"id": pk})
    return found


def visible_item(user: User, pk: int) -> Item:
    shops = Shop.objects.visible_to(user).values("pk")
    found = Item.objects.filter(pk=pk, shop__in=shops).select_related("shop__unit").first()
    if found is None:
        raise Http404(_("No goods %(id)s that you may see.") % {"id": pk})
    return found


def own_person(user: User) -> Person | None:
    return Person.objects.filter(user_id=user.pk).select_related("home_grid").first()


def community_people(user: User, community: Unit) -> QuerySet[Person]:
    """The active people ``user`` sees who live in or report to ``community``, with the
    points they have to spend."""
    return (
        Person.objects.visible_to(user)
        .filter(active=True)
        .filter(Q(home_grid__parent=community) | Q(reports_to=community))
        .annotate(balance=Coalesce(Sum("ledger__points"), 0))
        .order_by("name", "pk")
    )


def staff_communities(user: User, action: str) -> list[Unit]:
    """The communities and villages of ``user``'s scope where they may ``action``."""
    return [
        u
        for u in Unit.objects.visible_to(user)
        .filter(kind__in=COMMUNITY_KINDS, active=True)
        .order_by("path")[:500]
        if permissions.may(action, user, u)
    ]


# --- activities ----------------------------------------------------------------------------------


@roles_required(access.STAFF)
def activity_list(request: HttpRequest) -> HttpResponse:
    """志愿活动: the activities of one's communities, newest day first, the hours earned
    this month, and a form to plan one."""
    rows = list(
        Activity.objects.visible_to(request.user)
        .select_related("unit")
        .order_by("-day", "-starts", "-pk")[:PAGE]
    )
    taken = dict(
        SignUp.objects.filter(activity__in=[a.pk for a in rows], state__in=activities.TAKING_PLACES)
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )
    hours, people = ledger.earned_this_month(reach_ids(request.user))
    return render(
        request,
        "people/activities/list.html",
        {
            "rows": [(a, taken.get(a.pk, 0)) for a in rows],
            "hours": hours,
            "people": people,
            "communities": staff_communities(request.user, PeopleAction.CREATE_ACTIVITY),
            "kinds": ActivityKind.choices,
            "today": activities.today(),
        },
    )


@require_POST
@roles_required(access.STAFF)
def create_activity(request: HttpRequest) -> HttpResponse:
    post = request.POST

    def change() -> Activity:
        pk = inputs.whole_number(post.get("unit", ""), "unit", 1, inputs.ID_MAX)
        unit = Unit.objects.visible_to(request.user).filter(pk=pk).first()
        if unit is None:
            raise Invalid(_("Choose a community."), field="unit")
        plan = activities.Plan(
            kind=post.get("kind", ""),
            title=post.get("title", ""),
            detail=post.get("detail", ""),
            place=post.get("place", ""),
            day=inputs.day(post.get("day", ""), _("day")),
            starts=parse_time(post.get("starts", ""), _("starts")),
            ends=parse_time(post.get("ends", ""), _("ends")),
            capacity=post.get("capacity", ""),
            hours=post.get("hours", ""),
            points=post.get("points", ""),
        )
        return activities.create_activity(plan, actor=request.user, unit=unit)

    made = act(request, change, _("The activity is planned."))
    if isinstance(made, Activity):
        return redirect("people:activity", pk=made.pk)
    return redirect("people:activities")


@login_required
def activity_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity: staff see its sign-ups and record who came; a person of the
    community sees their own place."""
    activity = visible_activity(request.user, pk)
    staff = permissions.may(PeopleAction.RECORD_ATTENDANCE, request.user, activity.unit)
    sign_ups = list(
        activity.sign_ups.select_related("person").order_by("signed_at", "pk")
        if staff
        else activity.sign_ups.filter(person__user_id=request.user.pk).select_related("person")
    )
    taken = activity.sign_ups.filter(state__in=activities.TAKING_PLACES).count()
    counts = {s: 0 for s in SignUpState.values}
    for s in activity.sign_ups.values_list("state", flat=True):
        counts[s] += 1
    return render(
        request,
        "people/activities/activity.html",
        {
            "activity": activity,
            "staff": staff,
            "sign_ups": sign_ups,
            "taken": taken,
            "counts": counts,
            "signed": SignUpState.SIGNED,
            "planned": activity.state == ActivityState.PLANNED,
            "may_record": staff and activity.day <= activities.today(),
            "candidates": list(
                community_people(request.user, activity.unit).exclude(
                    sign_ups__activity=activity, sign_ups__state__in=activities.TAKING_PLACES
                )[:500]
            )
            if staff and activity.state == ActivityState.PLANNED
            else [],
        },
    )


@require_POST
@login_required
def cancel_activity(request: HttpRequest, pk: int) -> HttpResponse:
    activity = visible_activity(request.user, pk)
    act(
        request,
        lambda: activities.cancel_activity(
            activity, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("The activity is cancelled."),
    )
    return redirect("people:activity", pk=activity.pk)


@require_POST
@login_required
def sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    """报名: oneself (the phone page), or a person of the community chosen by staff."""
    activity = visible_activity(request.user, pk)

    def change() -> SignUp:
        chosen = request.POST.get("person", "")
        if chosen:
            person_id = inputs.whole_number(chosen, "person", 1, inputs.ID_MAX)
            person = Person.objects.visible_to(request.user).filter(pk=person_id).first()
        else:
            person = own_person(request.user)
        if person is None:
            raise Invalid(_("Choose a person."), field="person")
        return activities.sign_up(activity, actor=request.user, person=person)

    act(request, change, _("The sign-up is made."))
    return back(request, reverse("people:activity", kwargs={"pk": activity.pk}))


@require_POST
@login_required
def cancel_sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    mine = visible_sign_up(request.user, pk)
    act(
        request,
        lambda: activities.cancel_sign_up(mine, actor=request.user),
        _("The sign-up is cancelled."),
    )
    return back(request, reverse("people:activity", kwargs={"pk": mine.activity_id}))


@require_POST
@login_required
def record_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    one = visible_sign_up(request.user, pk)
    attended = request.POST.get("attended") == "yes"
    act(
        request,
        lambda: activities.record_attendance(one, actor=request.user, attended=attended),
        _("Attendance is recorded: hours and points credited.")
        if attended
        else _("The absence is recorded."),
    )
    return redirect("people:activity", pk=one.activity_id)


# --- the supermarket ------------------------------------------------------------------------


@roles_required(access.STAFF)
def shop_list(request: HttpRequest) -> HttpResponse:
    """公益超市: the supermarkets of one's communities, and a form to open one."""
    shops = list(Shop.objects.visible_to(request.user).select_related("unit")[:PAGE])
    with_shop = {s.unit_id for s in shops}
    return render(
        request,
        "people/activities/shops.html",
        {
            "shops": shops,
            "communities": [
                u
                for u in staff_communities(request.user, PeopleAction.OPEN_SHOP)
                if u.pk not in with_shop
            ],
        },
    )


@require_POST
@roles_required(access.STAFF)
def open_shop(request: HttpRequest) -> HttpResponse:
    def change() -> Shop:
        pk = inputs.whole_number(request.POST.get("unit", ""), "unit", 1, inputs.ID_MAX)
        unit = Unit.objects.visible_to(request.user).filter(pk=pk).first()
        if unit is None:
            raise Invalid(_("Choose a community."), field="unit")
        return activities.open_shop(
            actor=request.user,
            unit=unit,
            name=request.POST.get("name", ""),
            place=request.POST.get("place", ""),
        )

    made = act(request, change, _("The supermarket is open."))
    if isinstance(made, Shop):
        return redirect("people:shop", pk=made.pk)
    return redirect("people:shops")


@roles_required(access.STAFF)
def shop_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A supermarket: its goods and stock, the counter (hand out goods for a person's
    points), and the latest redemptions."""
    shop = visible_shop(request.user, pk)
    staff = permissions.may(PeopleAction.REDEEM, request.user, shop.unit)
    return render(
        request,
        "people/activities/shop.html",
        {
            "shop": shop,
            "staff": staff,
            "items": list(shop.items.order_by("name", "pk")),
            "people": list(community_people(request.user, shop.unit)[:500]) if staff else [],
            "redemptions": list(
                Redemption.objects.visible_to(request.user)
                .filter(item__shop=shop)
                .select_related("item", "person", "by")
                .order_by("-at", "-pk")[:PAGE]
            ),
        },
    )


@require_POST
@roles_required(access.STAFF)
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    shop = visible_shop(request.user, pk)
    act(
        request,
        lambda: activities.add_item(
            shop,
            actor=request.user,
            name=request.POST.get("name", ""),
            price=request.POST.get("price", ""),
            stock=request.POST.get("stock", ""),
        ),
        _("The goods are on the shelf."),
    )
    return redirect("people:shop", pk=shop.pk)


@require_POST
@roles_required(access.STAFF)
def restock(request: HttpRequest, pk: int) -> HttpResponse:
    item = visible_item(request.user, pk)
    act(
        request,
        lambda: activities.restock(
            item, actor=request.user, quantity=request.POST.get("quantity", "")
        ),
        _("The goods are restocked."),
    )
    return redirect("people:shop", pk=item.shop_id)


@require_POST
@roles_required(access.STAFF)
def redeem(request: HttpRequest, pk: int) -> HttpResponse:
    """兑换 at the counter: goods of this supermarket for a person's points."""
    shop = visible_shop(request.user, pk)

    def change() -> Redemption:
        item_id = inputs.whole_number(request.POST.get("item", ""), "item", 1, inputs.ID_MAX)
        item = shop.items.filter(pk=item_id).first()
        if item is None:
            raise Invalid(_("Choose the goods."), field="item")
        person_id = inputs.whole_number(request.POST.get("person", ""), "person", 1, inputs.ID_MAX)
        person = Person.objects.visible_to(request.user).filter(pk=person_id).first()
        if person is None:
            raise Invalid(_("Choose a person."), field="person")
        return activities.redeem(
            item, actor=request.user, person=person, quantity=request.POST.get("quantity", "1")
        )

    act(request, change, _("The goods are handed out; the points are spent."))
    return redirect("people:shop", pk=shop.pk)


# --- the monthly recognition list -------------------------------------------------------------


def _recognition_of(request: HttpRequest) -> tuple[list[Unit], Unit | None, tuple[int, int]]:
    communities = list(
        Unit.objects.visible_to(request.user)
        .filter(kind__in=COMMUNITY_KINDS, active=True)
        .order_by("path")[:500]
    )
    chosen = request.GET.get("community", "")
    community = communities[0] if communities else None
    if chosen:
        pk = inputs.whole_number(chosen, "community", 1, inputs.ID_MAX)
        community = next((c for c in communities if c.pk == pk), None)
        if community is None:
            raise Http404(_("No community %(id)s that you may see.") % {"id": pk})
    month = request.GET.get("month", "")
    return communities, community, inputs.month(month, "month") if month else ledger.this_month()


@roles_required(access.STAFF)
def recognition_page(request: HttpRequest) -> HttpResponse:
    """月度志愿之星: a community's people ranked by the hours, then the points, they
    earned in a month."""
    communities, community, (year, month) = _recognition_of(request)
    places = recognition.rank(ledger.recognition_lines(community, year, month)) if community else []
    return render(
        request,
        "people/activities/recognition.html",
        {
            "communities": communities,
            "community": community,
            "month": f"{year:04d}-{month:02d}",
            "places": places,
        },
    )


@roles_required(access.STAFF)
def recognition_export(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    _communities, community, (year, month) = _recognition_of(request)
    if community is None:
        raise Http404(_("No community that you may see."))
    places = recognition.rank(ledger.recognition_lines(community, year, month))
    book = Workbook()
    sheet = book.active
    sheet.title = f"{year:04d}-{month:02d}"
    sheet.append([community.name, f"{year:04d}-{month:02d}"])
    sheet.append([_("rank"), _("name"), _("service hours"), _("points earned"), _("services")])
    for p in places:
        sheet.append([p.rank, p.name, float(p.hours), p.points, p.lines])
    out = BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="recognition-{community.code}-{year:04d}-{month:02d}.xlsx"'
    )
    return response


# --- the phone page ------------------------------------------------------------------------------


@login_required
def my_activities(request: HttpRequest) -> HttpResponse:
    """我的志愿: activities of my community to sign up to, my hours and points with
    their ledger lines, the supermarket's goods, and my community's list this month."""
    person = own_person(request.user)
    context: dict[str, object] = {"person": person}
    if person is not None:
        mine_communities = own_communities(request.user)
        upcoming = list(
            Activity.objects.filter(
                unit_id__in=mine_communities,
                state=ActivityState.PLANNED,
                day__gte=activities.today(),
            )
            .select_related("unit")
            .order_by("day", "starts", "pk")[:50]
        )
        mine = {
            s.activity_id: s
            for s in SignUp.objects.filter(person=person, activity__in=[a.pk for a in upcoming])
        }
        taken = {a.pk: 0 for a in upcoming}
        for activity_id in SignUp.objects.filter(
            activity__in=[a.pk for a in upcoming], state__in=activities.TAKING_PLACES
        ).values_list("activity_id", flat=True):
            taken[activity_id] += 1
        start, _end = ledger.month_bounds(*ledger.this_month())
        community = Unit.objects.filter(pk__in=mine_communities[:1]).first()
        places = (
            recognition.rank(ledger.recognition_lines(community, *ledger.this_month()))[:10]
            if community
            else []
        )
        context.update(
            {
                "upcoming": [(a, mine.get(a.pk), a.capacity - taken[a.pk]) for a in upcoming],
                "signed": SignUpState.SIGNED,
                "cancelled": SignUpState.CANCELLED,
                "totals": ledger.totals(person),
                "month_totals": ledger.totals(person, since=start),
                "lines": list(person.ledger.order_by("-at", "-pk")[:30]),
                "items": list(
                    Item.objects.filter(shop__unit_id__in=mine_communities, active=True)
                    .select_related("shop")
                    .order_by("price", "name")[:50]
                ),
                "redemptions": list(
                    person.redemptions.select_related("item").order_by("-at", "-pk")[:10]
                ),
                "community": community,
                "places": [
                    (p, p.name if p.person_id == person.pk else recognition.mask_name(p.name))
                    for p in places
                ],
                "me_id": person.pk,
            }
        )
    return render(request, "people/activities/me.html", context)
