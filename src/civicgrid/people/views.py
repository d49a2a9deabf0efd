"""The pages of the people in the grids: the community's view of its people and who is
on duty today (``/people/``), a person's page (phone masked; shown whole only through
``actions.reveal_phone``), rosters (make, plan, publish, decide swaps, export), and the
phone page of a party member or volunteer (``/people/me/``: my duties, check in with the
phone's location, report an absence, ask for a swap).

Thin: people and rosters come through ``visible_to`` (else 404), rights through
``permissions``, every change through ``people.actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid import inputs, sheets
from civicgrid.cases.models import mask_phone
from civicgrid.errors import Invalid, Refusal
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.org.scoping import scope_of
from civicgrid.people import actions, export, ledger, permissions
from civicgrid.people.call_models import CallState, GridCall
from civicgrid.people.models import (
    Availability,
    Duty,
    DutyState,
    DutySwap,
    PartyBranch,
    PeopleAction,
    Person,
    PostRole,
    Roster,
    RosterState,
    SwapState,
    reach_ids,
)
from civicgrid.web import access
from civicgrid.web.access import roles_required

KINDS = {
    "party": Q(party_member=True),
    "in_service": Q(in_service=True),
    "cadre": Q(cadre=True),
    "volunteer": Q(volunteer=True),
}
PAGE = 200


def act(request: HttpRequest, change: Callable[[], object], success: str | Promise) -> object:
    """Run a change; its refusal becomes the page's error message."""
    try:
        result = change()
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return None
    messages.success(request, str(success))
    return result


def back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def visible_person(user: User, pk: int) -> Person:
    person = (
        Person.objects.visible_to(user)
        .select_related("home_grid", "branch", "reports_to", "employer")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404(_("No person %(id)s that you may see.") % {"id": pk})
    return person


def visible_roster(user: User, pk: int) -> Roster:
    roster = Roster.objects.visible_to(user).select_related("unit").filter(pk=pk).first()
    if roster is None:
        raise Http404(_("No roster %(id)s that you may see.") % {"id": pk})
    return roster


def visible_duty(user: User, pk: int) -> Duty:
    """A duty of a roster ``user`` may see, or their own (404 otherwise)."""
    rosters = Roster.objects.visible_to(user).values("pk")
    duty = (
        Duty.objects.filter(pk=pk)
        .filter(Q(roster__in=rosters) | Q(person__user_id=user.pk))
        .select_related("roster__unit", "person", "unit")
        .first()
    )
    if duty is None:
        raise Http404(_("No duty %(id)s that you may see.") % {"id": pk})
    return duty


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_time(value: str, field: str) -> time:
    try:
        return time.fromisoformat((value or "").strip()[:5])
    except ValueError:
        raise Invalid(_("%(field)s is not a time (HH:MM).") % {"field": field}) from None


def on_duty_today(rosters: QuerySet[Roster]) -> list[Duty]:
    return list(
        Duty.objects.filter(
            roster__in=rosters.filter(state=RosterState.PUBLISHED).values("pk"),
            day=actions.today(),
        )
        .select_related("person", "unit", "check_in")
        .order_by("starts", "unit__path")[:PAGE]
    )


OPEN_CALLS_SHOWN = 5


def this_month_in_the_grids(user: User) -> dict[str, Any]:
    """What the community sees beside who is on duty: the grid calls still taking
    claims in its grids (the newest few, and how many) and the service hours earned this
    month in its units, by how many people."""
    open_calls = GridCall.objects.visible_to(user).filter(state=CallState.OPEN)
    hours, people = ledger.earned_this_month(reach_ids(user))
    return {
        "open_calls": list(
            open_calls.select_related("grid").order_by("-created_at", "-pk")[:OPEN_CALLS_SHOWN]
        ),
        "open_call_count": open_calls.count(),
        "month_hours": hours,
        "month_people": people,
    }


# --- people ------------------------------------------------------------------------------------


@roles_required(access.STAFF)
def people_list(request: HttpRequest) -> HttpResponse:
    """人员: the people of the grids in one's scope, with filters, and who is on duty
    today in the rosters one may see."""
    people = Person.objects.visible_to(request.user).filter(active=True)
    kind = request.GET.get("kind", "")
    if kind in KINDS:
        people = people.filter(KINDS[kind])
    grids = Unit.objects.visible_to(request.user).filter(kind=UnitKind.GRID, active=True)
    grid = request.GET.get("grid", "")
    if grid:
        grid_id = inputs.whole_number(grid, "grid", 1, inputs.ID_MAX)
        people = people.filter(home_grid_id=grid_id)
    name = inputs.text(request.GET.get("q", "").strip(), "q", max_length=60)
    if name:
        people = people.filter(name__contains=name)
    rows = list(people.select_related("home_grid", "branch").order_by("name", "pk")[:PAGE])
    return render(
        request,
        "people/list.html",
        {
            "people": [(p, mask_phone(p.phone) if p.phone else "") for p in rows],
            "more": len(rows) == PAGE,
            "kind": kind,
            "grid": grid,
            "q": name,
            "grids": list(grids.order_by("path").values_list("pk", "name")[:500]),
            "on_duty": on_duty_today(Roster.objects.visible_to(request.user)),
            **this_month_in_the_grids(request.user),
            "may_add": scope_of(request.user).has_role(*permissions.STAFF_ROLES),
            "branches": list(
                PartyBranch.objects.filter(unit__in=Unit.objects.visible_to(request.user))
                .order_by("unit__path", "name")
                .values_list("pk", "name")[:500]
            ),
            "availabilities": Availability.choices,
        },
    )


def _unit_of(value: str, field: str, kinds: frozenset[str] | None = None) -> Unit | None:
    if not value:
        return None
    pk = inputs.whole_number(value, field, 1, inputs.ID_MAX)
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None or (kinds is not None and unit.kind not in kinds):
        raise Invalid(_("Choose a unit."), field=field)
    return unit


@require_POST
@roles_required(access.STAFF)
def add_person(request: HttpRequest) -> HttpResponse:
    """登记: a party member, cadre or volunteer of a grid in one's scope."""
    post = request.POST

    def change() -> Person:
        from civicgrid.org.models import COMMUNITY_KINDS

        branch = None
        if post.get("branch"):
            branch_id = inputs.whole_number(post.get("branch", ""), "branch", 1, inputs.ID_MAX)
            branch = PartyBranch.objects.filter(pk=branch_id).first()
            if branch is None:
                raise Invalid(_("Unknown party branch."), field="branch")
        party = post.get("party_member") == "on"
        in_service = post.get("in_service") == "on"
        grid = _unit_of(post.get("home_grid", ""), "home_grid")
        return actions.add_person(
            actions.Profile(
                name=post.get("name", ""),
                phone=post.get("phone", ""),
                home_grid=grid,
                party_member=party,
                branch=branch,
                in_service=in_service,
                reports_to=Unit.objects.filter(pk=grid.parent_id, kind__in=COMMUNITY_KINDS).first()
                if in_service and grid is not None
                else None,
                volunteer=post.get("volunteer") == "on",
                skills=post.get("skills", ""),
                availability=post.get("availability", ""),
            ),
            actor=request.user,
        )

    person = act(request, change, _("The person is registered."))
    if isinstance(person, Person):
        return redirect("people:person", pk=person.pk)
    return redirect("people:list")


def _person_page(request: HttpRequest, person: Person, revealed: str = "") -> HttpResponse:
    unit = permissions.person_unit(person)
    duties = list(person.duties.select_related("unit", "roster").order_by("-day", "-starts")[:30])
    return render(
        request,
        "people/person.html",
        {
            "person": person,
            "phone": revealed or (mask_phone(person.phone) if person.phone else ""),
            "revealed": bool(revealed),
            "may_reveal": bool(person.phone)
            and permissions.may(PeopleAction.REVEAL_PHONE, request.user, unit),
            "posts": list(person.posts.select_related("grid")),
            "may_post": person.home_grid is not None
            and permissions.may(PeopleAction.ASSIGN_POST, request.user, person.home_grid),
            "post_roles": PostRole.choices,
            "duties": duties,
        },
    )


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, visible_person(request.user, pk))


@require_POST
@login_required
def reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the whole number once, on this answer only; the reveal is logged."""
    person = visible_person(request.user, pk)
    try:
        phone = actions.reveal_phone(
            person, actor=request.user, reason=request.POST.get("reason", "")
        )
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return redirect("people:person", pk=person.pk)
    return _person_page(request, person, phone)


@require_POST
@login_required
def assign_post(request: HttpRequest, pk: int) -> HttpResponse:
    """任命: a post in the person's home grid."""
    person = visible_person(request.user, pk)

    def change() -> object:
        if person.home_grid is None:
            raise Invalid(_("A post is in a grid."), field="grid")
        return actions.assign_post(
            person,
            actor=request.user,
            grid=person.home_grid,
            role=request.POST.get("role", ""),
            building=request.POST.get("building", ""),
        )

    act(request, change, _("The post is assigned."))
    return redirect("people:person", pk=person.pk)


# --- rosters -------------------------------------------------------------------------------


@roles_required(access.STAFF)
def roster_list(request: HttpRequest) -> HttpResponse:
    """排班: the rosters of one's units, newest week first, and a form to make one."""
    rosters = list(
        Roster.objects.visible_to(request.user)
        .select_related("unit")
        .order_by("-week", "unit__path")[:PAGE]
    )
    units = [
        u
        for u in Unit.objects.visible_to(request.user)
        .filter(kind__in=actions.ROSTER_UNIT_KINDS, active=True)
        .order_by("path")[:500]
        if permissions.may(PeopleAction.MAKE_ROSTER, request.user, u)
    ]
    return render(
        request,
        "people/rosters.html",
        {
            "rosters": rosters,
            "units": units,
            "next_week": monday(actions.today()) + timedelta(days=7),
            "on_duty": on_duty_today(Roster.objects.visible_to(request.user)),
        },
    )


@require_POST
@roles_required(access.STAFF)
def make_roster(request: HttpRequest) -> HttpResponse:
    def change() -> Roster:
        pk = inputs.whole_number(request.POST.get("unit", ""), "unit", 1, inputs.ID_MAX)
        unit = Unit.objects.visible_to(request.user).filter(pk=pk).first()
        if unit is None:
            raise Invalid(_("Choose a unit."), field="unit")
        week = inputs.day(request.POST.get("week", ""), _("week starting"))
        return actions.make_roster(actor=request.user, unit=unit, week=week)

    roster = act(request, change, _("The roster is made."))
    if isinstance(roster, Roster):
        return redirect("people:roster", pk=roster.pk)
    return redirect("people:rosters")


def roster_people(roster: Roster, user: User) -> QuerySet[Person]:
    """Whom a roster may put on duty: the active people one sees who live in, report to
    or work for a unit of the roster's subtree, or who are cadres anywhere."""
    return (
        Person.objects.visible_to(user)
        .filter(active=True)
        .filter(
            Q(home_grid__path__startswith=roster.unit.path)
            | Q(reports_to__path__startswith=roster.unit.path)
            | Q(cadre=True)
        )
        .order_by("name", "pk")
    )


@login_required
def roster_page(request: HttpRequest, pk: int) -> HttpResponse:
    roster = visible_roster(request.user, pk)
    staff = permissions.may(PeopleAction.PLAN_DUTY, request.user, roster.unit)
    duties = list(
        roster.duties.select_related("person", "unit", "check_in").order_by("day", "starts", "pk")
    )
    days = [roster.week + timedelta(days=i) for i in range(7)]
    by_day = [(day, [d for d in duties if d.day == day]) for day in days]
    swaps = list(
        DutySwap.objects.filter(duty__roster=roster, state=SwapState.REQUESTED)
        .select_related("duty", "asked_by", "taker")
        .order_by("asked_at")
    )
    return render(
        request,
        "people/roster.html",
        {
            "roster": roster,
            "by_day": by_day,
            "days": days,
            "swaps": swaps,
            "staff": staff,
            "planned": DutyState.PLANNED,
            "candidates": list(roster_people(roster, request.user)[:500]) if staff else [],
            "units": list(
                Unit.objects.filter(path__startswith=roster.unit.path, active=True)
                .exclude(kind=UnitKind.DEPARTMENT)
                .order_by("path")[:200]
            )
            if staff
            else [],
            "counts": {
                state: sum(1 for d in duties if d.state == state) for state in DutyState.values
            },
        },
    )


@require_POST
@login_required
def plan_duty(request: HttpRequest, pk: int) -> HttpResponse:
    roster = visible_roster(request.user, pk)
    post = request.POST

    def change() -> Duty:
        person_id = inputs.whole_number(post.get("person", ""), "person", 1, inputs.ID_MAX)
        person = Person.objects.visible_to(request.user).filter(pk=person_id).first()
        if person is None:
            raise Invalid(_("Choose a person."), field="person")
        unit = None
        if post.get("unit"):
            unit_id = inputs.whole_number(post.get("unit", ""), "unit", 1, inputs.ID_MAX)
            unit = Unit.objects.filter(pk=unit_id).first()
            if unit is None:
                raise Invalid(_("Choose a unit."), field="unit")
        return actions.plan_duty(
            roster,
            actor=request.user,
            person=person,
            unit=unit,
            day=inputs.day(post.get("day", ""), _("day")),
            starts=parse_time(post.get("starts", ""), _("starts")),
            ends=parse_time(post.get("ends", ""), _("ends")),
        )

    act(request, change, _("The duty is planned."))
    return redirect("people:roster", pk=roster.pk)


@require_POST
@login_required
def publish_roster(request: HttpRequest, pk: int) -> HttpResponse:
    roster = visible_roster(request.user, pk)
    act(
        request,
        lambda: actions.publish_roster(roster, actor=request.user),
        _("The roster is published."),
    )
    return redirect("people:roster", pk=roster.pk)


@login_required
def export_roster(request: HttpRequest, pk: int) -> HttpResponse:
    roster = visible_roster(request.user, pk)
    response = HttpResponse(
        export.roster_workbook(roster),
        content_type=sheets.CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(roster)}"'
    return response


@require_POST
@login_required
def decide_swap(request: HttpRequest, pk: int) -> HttpResponse:
    rosters = Roster.objects.visible_to(request.user).values("pk")
    swap = DutySwap.objects.filter(pk=pk, duty__roster__in=rosters).select_related("duty").first()
    if swap is None:
        raise Http404(_("No swap %(id)s that you may see.") % {"id": pk})
    approve = request.POST.get("decision") == "approve"
    act(
        request,
        lambda: actions.decide_swap(
            swap, actor=request.user, approve=approve, note=request.POST.get("note", "")
        ),
        _("The swap is approved.") if approve else _("The swap is refused."),
    )
    return redirect("people:roster", pk=swap.duty.roster_id)


# --- duties -------------------------------------------------------------------------------


@require_POST
@login_required
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    duty = visible_duty(request.user, pk)
    act(
        request,
        lambda: actions.check_in(
            duty, actor=request.user, lon=request.POST.get("lon"), lat=request.POST.get("lat")
        ),
        _("You are checked in."),
    )
    return back(request, reverse("people:me"))


@require_POST
@login_required
def finish_duty(request: HttpRequest, pk: int) -> HttpResponse:
    duty = visible_duty(request.user, pk)
    act(request, lambda: actions.finish_duty(duty, actor=request.user), _("The duty is done."))
    return back(request, reverse("people:me"))


@require_POST
@login_required
def report_absence(request: HttpRequest, pk: int) -> HttpResponse:
    duty = visible_duty(request.user, pk)
    act(
        request,
        lambda: actions.report_absence(
            duty, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("The absence is reported."),
    )
    return back(request, reverse("people:me"))


def swap_candidates(duty: Duty) -> QuerySet[Person]:
    """Who may take a duty: the active people of the same roster or the same home grid."""
    same_roster = Duty.objects.filter(roster_id=duty.roster_id).values("person_id")
    people = Person.objects.filter(active=True).exclude(pk=duty.person_id)
    where = Q(pk__in=same_roster)
    if duty.person.home_grid_id:
        where |= Q(home_grid_id=duty.person.home_grid_id)
    return people.filter(where).order_by("name", "pk")


@require_POST
@login_required
def ask_swap(request: HttpRequest, pk: int) -> HttpResponse:
    duty = visible_duty(request.user, pk)

    def change() -> DutySwap:
        taker_id = inputs.whole_number(request.POST.get("taker", ""), "taker", 1, inputs.ID_MAX)
        taker = swap_candidates(duty).filter(pk=taker_id).first()
        if taker is None:
            raise Invalid(_("Choose who takes the duty."), field="taker")
        return actions.ask_swap(
            duty, actor=request.user, taker=taker, reason=request.POST.get("reason", "")
        )

    act(request, change, _("The swap is asked; the roster's unit will decide."))
    return back(request, reverse("people:me"))


# --- the phone page ------------------------------------------------------------------------


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """我的值班: my duties this week and next (published rosters), with check-in,
    absence and swap forms."""
    person = Person.objects.filter(user=request.user).select_related("home_grid").first()
    context: dict[str, Any] = {"person": person, "today": actions.today()}
    if person is not None:
        start = monday(actions.today())
        duties = list(
            person.duties.filter(
                roster__state=RosterState.PUBLISHED,
                day__gte=start,
                day__lt=start + timedelta(days=14),
            )
            .select_related("unit", "roster__unit", "check_in")
            .order_by("day", "starts")
        )
        open_swaps = set(
            DutySwap.objects.filter(duty__in=duties, state=SwapState.REQUESTED).values_list(
                "duty_id", flat=True
            )
        )
        context.update(
            {
                "lines": [
                    (
                        d,
                        list(swap_candidates(d)[:100]) if d.state == DutyState.PLANNED else [],
                        d.pk in open_swaps,
                    )
                    for d in duties
                ],
                "planned": DutyState.PLANNED,
                "checked_in": DutyState.CHECKED_IN,
            }
        )
    return render(request, "people/me.html", context)
