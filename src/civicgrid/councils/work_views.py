"""The council's meetings and problems tabs, phone-sized (secretaries record a meeting on
their phone; members confirm attendance and raise problems on theirs), and what the case
page shows of a case that came from a council.

Thin, as the rest of the council pages: the council through ``visible_council`` (404),
its meetings, items and problems looked up inside it (404), every change through
``councils.meetings`` or ``councils.problems``; a refusal becomes the page's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel
from civicgrid.councils import meetings, problems
from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.councils.permissions import Standing
from civicgrid.councils.views import act, council_view, done, page
from civicgrid.councils.work_models import (
    ActionItem,
    Attendance,
    ItemState,
    Meeting,
    MeetingKind,
    MeetingState,
    Presence,
    Problem,
)
from civicgrid.errors import Invalid
from civicgrid.org.models import User

ID_MAX = 2**63 - 1
LIST_LIMIT = 200


def _moment(value: str, field: str) -> datetime:
    """A local date and time from a form (``YYYY-MM-DDTHH:MM``)."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        raise Invalid(
            _("%(field)s is not a date and time.") % {"field": field}, field=field
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return inputs.moment(moment, field)


def _meeting(council: Council, meeting_id: int) -> Meeting:
    meeting = council.meetings.filter(pk=meeting_id).first()
    if meeting is None:
        raise Http404(_("No such meeting in this council."))
    return meeting


def _item(council: Council, item_id: int) -> ActionItem:
    item = council.items.select_related("owner_member").filter(pk=item_id).first()
    if item is None:
        raise Http404(_("No such item in this council."))
    return item


def _problem(council: Council, problem_id: int) -> Problem:
    problem = council.problems.filter(pk=problem_id).first()
    if problem is None:
        raise Http404(_("No such problem in this council."))
    return problem


def _items(council: Council) -> list[ActionItem]:
    return list(
        council.items.select_related("case", "owner_member", "owner_group", "meeting").order_by(
            "state", "due_on", "id"
        )[:LIST_LIMIT]
    )


@dataclass(frozen=True)
class ItemLine:
    item: ActionItem
    overdue: bool
    may_finish: bool
    may_run: bool  # drop it, or turn it into a case


def item_lines(items: list[ActionItem], standing: Standing) -> list[ItemLine]:
    today = clock.today()
    may_run = standing.may(CouncilAction.ITEM_TO_CASE)
    return [
        ItemLine(
            item,
            item.overdue(today),
            item.state == ItemState.OPEN
            and standing.may(CouncilAction.FINISH_ITEM, item.owner_member),
            item.state == ItemState.OPEN and may_run,
        )
        for item in items
    ]


def _meetings_url(council: Council) -> str:
    return reverse("councils:meetings", kwargs={"pk": council.pk})


def _meeting_url(council: Council, meeting: Meeting) -> str:
    return reverse("councils:meeting", kwargs={"pk": council.pk, "meeting_id": meeting.pk})


def _problems_url(council: Council) -> str:
    return reverse("councils:problems", kwargs={"pk": council.pk})


# --- meetings ------------------------------------------------------------------------------


@council_view
def meeting_list(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """会议: the council's meetings, newest first, and every follow-up item with its state
    (an item in a case shows the case's; done when the case is closed)."""
    rows = list(council.meetings.order_by("-starts_at", "-id")[:LIST_LIMIT])
    return page(
        request,
        "councils/meetings.html",
        council,
        standing,
        "meetings",
        {
            "meetings": rows,
            "items": item_lines(_items(council), standing),
            "may_plan": standing.may(CouncilAction.PLAN_MEETING),
            "kinds": MeetingKind.choices,
        },
    )


@dataclass(frozen=True)
class AttendanceLine:
    member: CouncilMember
    attendance: Attendance | None
    mine: bool


@council_view
def meeting_page(
    request: HttpRequest, council: Council, standing: Standing, meeting_id: int
) -> HttpResponse:
    """一次会议: its agenda, attendance, decisions, minutes and items, with the forms the
    person may use now."""
    meeting = _meeting(council, meeting_id)
    marked = {a.member_id: a for a in meeting.attendance.all()}
    seat = standing.seat
    members = list(council.members.filter(left_on=None).order_by("role", "name"))
    lines = [
        AttendanceLine(m, marked.get(m.pk), seat is not None and m.pk == seat.pk) for m in members
    ]
    items = list(
        meeting.items.select_related("case", "owner_member", "owner_group").order_by("due_on", "id")
    )
    running = meeting.state in (MeetingState.PLANNED, MeetingState.HELD)
    return page(
        request,
        "councils/meeting.html",
        council,
        standing,
        "meetings",
        {
            "meeting": meeting,
            "attendance": lines,
            "decisions": list(meeting.decisions.all()),
            "items": item_lines(items, standing),
            "may_run": standing.may(CouncilAction.HOLD_MEETING),
            "may_confirm": seat is not None and running,
            "my_attendance": marked.get(seat.pk) if seat is not None else None,
            "presences": Presence.choices,
            "groups": list(council.groups.all()),
            "members": members,
            "kinds": MeetingKind.choices,
        },
    )


@require_POST
@council_view
def plan_meeting(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    post = request.POST
    act(
        request,
        lambda: meetings.plan_meeting(
            council,
            actor=request.user,
            title=post.get("title", ""),
            kind=post.get("kind", MeetingKind.COUNCIL),
            starts_at=_moment(post.get("starts_at", ""), _("starts at")),
            place=post.get("place", ""),
            agenda=post.get("agenda", ""),
        ),
        _("The meeting is planned."),
    )
    return done(request, _meetings_url(council))


MEETING_CHANGES = {
    "edit": (
        lambda m, r: meetings.change_meeting(
            m,
            actor=r.user,
            title=r.POST.get("title", ""),
            kind=r.POST.get("kind", MeetingKind.COUNCIL),
            starts_at=_moment(r.POST.get("starts_at", ""), _("starts at")),
            place=r.POST.get("place", ""),
            agenda=r.POST.get("agenda", ""),
        ),
        gettext_lazy("The meeting is changed."),
    ),
    "hold": (
        lambda m, r: meetings.hold_meeting(m, actor=r.user),
        gettext_lazy("The meeting is recorded as held."),
    ),
    "cancel": (
        lambda m, r: meetings.cancel_meeting(m, actor=r.user, reason=r.POST.get("reason", "")),
        gettext_lazy("The meeting is cancelled."),
    ),
    "minutes": (
        lambda m, r: meetings.record_minutes(m, actor=r.user, minutes=r.POST.get("minutes", "")),
        gettext_lazy("The minutes are recorded; the meeting is closed."),
    ),
    "decision": (
        lambda m, r: meetings.record_decision(m, actor=r.user, text=r.POST.get("text", "")),
        gettext_lazy("The decision is recorded."),
    ),
}


@require_POST
@council_view
def meeting_change(
    request: HttpRequest, council: Council, standing: Standing, meeting_id: int, change: str
) -> HttpResponse:
    meeting = _meeting(council, meeting_id)
    if change not in MEETING_CHANGES:
        raise Http404(_("No such change of a meeting."))
    run, success = MEETING_CHANGES[change]
    act(request, lambda: run(meeting, request), success)
    return done(request, _meeting_url(council, meeting))


@require_POST
@council_view
def take_roll(
    request: HttpRequest, council: Council, standing: Standing, meeting_id: int
) -> HttpResponse:
    """点名: the form's ``presence-<member id>`` fields (left empty: not marked)."""
    meeting = _meeting(council, meeting_id)

    def change() -> object:
        marked: dict[int, str] = {}
        for key, value in request.POST.items():
            if key.startswith("presence-") and value:
                marked[inputs.whole_number(key.removeprefix("presence-"), "member", 1, ID_MAX)] = (
                    value
                )
        return meetings.take_roll(meeting, actor=request.user, presence=marked)

    act(request, change, _("Attendance is recorded."))
    return done(request, _meeting_url(council, meeting))


@require_POST
@council_view
def confirm_attendance(
    request: HttpRequest, council: Council, standing: Standing, meeting_id: int
) -> HttpResponse:
    """到会确认 / 请假, on the member's phone: for their own seat."""
    meeting = _meeting(council, meeting_id)
    seat = standing.seat
    if seat is None:  # refused as the action would refuse it: only for one's own seat
        act(request, lambda: standing.check(CouncilAction.CONFIRM_ATTENDANCE), "")
        return done(request, _meeting_url(council, meeting))
    presence = request.POST.get("presence", Presence.PRESENT)
    act(
        request,
        lambda: meetings.confirm_attendance(meeting, seat, actor=request.user, presence=presence),
        _("Your attendance is confirmed."),
    )
    return done(request, _meeting_url(council, meeting))


def _owner_ids(value: str) -> tuple[int | None, int | None]:
    """``m<id>`` a member, ``g<id>`` a working group (the form's one owner field)."""
    value = (value or "").strip()
    if value[:1] in ("m", "g"):
        pk = inputs.whole_number(value[1:], "owner", 1, ID_MAX)
        return (pk, None) if value[0] == "m" else (None, pk)
    return None, None


@require_POST
@council_view
def add_item(
    request: HttpRequest, council: Council, standing: Standing, meeting_id: int
) -> HttpResponse:
    meeting = _meeting(council, meeting_id)
    post = request.POST

    def change() -> object:
        member_id, group_id = _owner_ids(post.get("owner", ""))
        return meetings.add_item(
            meeting,
            actor=request.user,
            text=post.get("text", ""),
            due_on=inputs.day(post.get("due_on", ""), _("due on")),
            owner_member_id=member_id,
            owner_group_id=group_id,
        )

    act(request, change, _("The item is set."))
    return done(request, _meeting_url(council, meeting))


@require_POST
@council_view
def item_change(
    request: HttpRequest, council: Council, standing: Standing, item_id: int, change: str
) -> HttpResponse:
    item = _item(council, item_id)
    post = request.POST
    if change == "finish":
        act(
            request,
            lambda: meetings.finish_item(item, actor=request.user, outcome=post.get("note", "")),
            _("The item is done."),
        )
    elif change == "drop":
        act(
            request,
            lambda: meetings.drop_item(item, actor=request.user, reason=post.get("note", "")),
            _("The item is dropped."),
        )
    elif change == "case":
        act(
            request,
            lambda: meetings.item_to_case(item, actor=request.user),
            _("The item is a case now, in the district's queue."),
        )
    else:
        raise Http404(_("No such change of an item."))
    return done(request, _meetings_url(council))


# --- problems ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    shared_by: int
    overdue: bool
    mine: bool  # it concerns the person's seat
    may_decide: bool  # take it up, solve it, whistle it


@council_view
def problem_list(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    """问题: every problem raised to the council and its state (a whistled one its case's),
    overdue ones flagged; members raise and share problems, officers decide."""
    rows = list(
        council.problems.select_related("raised_by", "case")
        .prefetch_related("concerns")
        .order_by("-raised_at", "-id")[:LIST_LIMIT]
    )
    today = clock.today()
    seat = standing.seat
    may_decide = standing.may(CouncilAction.WHISTLE_PROBLEM)
    lines = [
        ProblemLine(
            p,
            len(p.concerns.all()),
            p.overdue(today),
            seat is not None and any(m.pk == seat.pk for m in p.concerns.all()),
            may_decide and p.state in problems.OPEN_STATES,
        )
        for p in rows
    ]
    return page(
        request,
        "councils/problems.html",
        council,
        standing,
        "problems",
        {
            "problems": lines,
            "overdue": sum(1 for line in lines if line.overdue),
            "may_raise": standing.may(CouncilAction.RAISE_PROBLEM),
            "open_states": problems.OPEN_STATES,
        },
    )


@require_POST
@council_view
def raise_problem(request: HttpRequest, council: Council, standing: Standing) -> HttpResponse:
    post = request.POST
    act(
        request,
        lambda: problems.raise_problem(
            council, actor=request.user, title=post.get("title", ""), text=post.get("text", "")
        ),
        _("The problem is raised to the council."),
    )
    return done(request, _problems_url(council))


@require_POST
@council_view
def problem_change(
    request: HttpRequest, council: Council, standing: Standing, problem_id: int, change: str
) -> HttpResponse:
    problem = _problem(council, problem_id)
    post = request.POST
    user = request.user
    if change == "share":
        act(
            request,
            lambda: problems.share_problem(problem, actor=user),
            _("Noted: it concerns you too."),
        )
    elif change == "take-up":
        act(
            request,
            lambda: problems.take_up_problem(
                problem,
                actor=user,
                deadline=inputs.day(post.get("deadline", ""), _("deadline")),
                note=post.get("note", ""),
            ),
            _("The council handles it, by the deadline."),
        )
    elif change == "solve":
        act(
            request,
            lambda: problems.solve_problem(problem, actor=user, outcome=post.get("note", "")),
            _("The problem is solved."),
        )
    elif change == "whistle":
        act(
            request,
            lambda: problems.whistle_problem(
                problem,
                actor=user,
                note=post.get("note", ""),
                photos=request.FILES.getlist("photos"),
                photo_names=[f.name or "" for f in request.FILES.getlist("photos")],
            ),
            _("Whistled: the problem is a case in the district's queue."),
        )
    else:
        raise Http404(_("No such change of a problem."))
    return done(request, _problems_url(council))


# --- what a member sees first, and what the case page shows ----------------------------------


def my_work(council: Council, standing: Standing) -> dict[str, Any]:
    """我的: a member's open items (theirs or their working groups'), the unfinished
    problems that concern them, and the meetings ahead whose attendance they may
    confirm. Empty for a person without a seat."""
    seat = standing.seat
    if seat is None:
        return {}
    items = list(
        council.items.filter(Q(owner_member=seat) | Q(owner_group__members=seat))
        .unfinished()
        .distinct()
        .select_related("case", "owner_member", "owner_group", "meeting")
        .order_by("due_on", "id")[:50]
    )
    mine = list(
        council.problems.filter(concerns=seat)
        .unfinished()
        .select_related("case")
        .order_by("-raised_at", "-id")[:50]
    )
    ahead = list(
        council.meetings.filter(state__in=[MeetingState.PLANNED, MeetingState.HELD]).order_by(
            "starts_at", "id"
        )[:10]
    )
    marked = dict(
        Attendance.objects.filter(meeting__in=ahead, member=seat).values_list(
            "meeting_id", "presence"
        )
    )
    return {
        "seat": seat,
        "items": item_lines(items, standing),
        "problems": mine,
        "meetings": [(m, marked.get(m.pk)) for m in ahead],
        "may_raise": standing.may(CouncilAction.RAISE_PROBLEM),
    }


@dataclass(frozen=True)
class Origin:
    """Where a council's case came from, as the case page says it."""

    council: Council
    what: str  # "item" or "problem"
    text: str
    link: str | None  # the council's page, for those who may see it


def case_origin(case: Case, user: User) -> list[Origin]:
    """The council item or problem ``case`` came from (read through the reverse
    relations; only for cases of the council channel, so other cases cost no query)."""
    if case.channel != Channel.COUNCIL:
        return []
    visible = set(Council.objects.visible_to(user).values_list("pk", flat=True))
    found: list[Origin] = []
    for item in case.council_items.select_related("council", "meeting"):
        found.append(
            Origin(
                item.council,
                "item",
                item.meeting.title,
                _meetings_url(item.council) if item.council_id in visible else None,
            )
        )
    for problem in case.council_problems.select_related("council"):
        found.append(
            Origin(
                problem.council,
                "problem",
                problem.title,
                _problems_url(problem.council) if problem.council_id in visible else None,
            )
        )
    return found
