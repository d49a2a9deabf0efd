"""Problems raised to a council (企业吹哨、理事会报到): a member raises a problem shared by
several members, others say it concerns them too, and the council either handles it
itself with a deadline (小事巡查解决，中事商量解决) or whistles it to the district with
one click (理事会吹哨、服务马上到; 大事请示解决), which makes a case routed by the
district's dispatchers through the normal loop. A whistled problem shows its case's
state, and is done when the case is closed (derived: ``Problem.shown_state``).

One function per change, each through ``councils.actions.record``: the council locked,
the right checked against ``permissions.RULES``, one ``CouncilEvent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import IO

from django.utils.translation import gettext as _

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case
from civicgrid.cases.photos import check_photos
from civicgrid.cases.rules import need_text
from civicgrid.councils.actions import Done, record
from civicgrid.councils.models import Council, CouncilAction, CouncilMember
from civicgrid.councils.permissions import Standing
from civicgrid.councils.work_models import Problem, ProblemState
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.org.models import User

MAX_TITLE = 120
OPEN_STATES = (ProblemState.RAISED, ProblemState.HANDLING)


def _problem(locked: Council, problem: Problem) -> Problem:
    fresh = Problem.objects.filter(pk=problem.pk, council=locked).first()
    if fresh is None:
        raise NotFound(_("No such problem in this council."))
    return fresh


def _need_open(problem: Problem) -> None:
    if problem.state in OPEN_STATES:
        return
    if problem.state == ProblemState.WHISTLED:
        raise Conflict(_("This problem has been whistled to the district; its case goes on."))
    raise Conflict(_("This problem is solved."))


def _raiser(standing: Standing, by: CouncilMember | None) -> CouncilMember:
    """The seat a problem is raised or shared from: the actor's own, or for the system
    (``actor`` None: the demo, an import) the member named."""
    seat = standing.seat if standing.user is not None else by
    if seat is None or seat.council_id != standing.council.pk or seat.left_on is not None:
        raise Invalid(_("Name the member who raises it."), field="member")
    return seat


def raise_problem(
    council: Council,
    *,
    actor: User | None,
    title: str,
    text: str,
    by: CouncilMember | None = None,
) -> Problem:
    """反映问题: a member raises a problem to their council (on the phone page). ``by``:
    the member, when the system records it (``actor`` None)."""
    title = inputs.text(need_text(title, _("A problem needs a title.")), "title", max_length=120)
    text = inputs.text(need_text(text, _("Please describe the problem.")), "text")

    def change(locked: Council, standing: Standing) -> Done[Problem]:
        if not locked.active:
            raise Conflict(_("This council has been dissolved."))
        seat = _raiser(standing, by)
        problem = Problem.objects.create(
            council=locked, title=title, text=text, raised_by=seat, raised_at=clock.now()
        )
        problem.concerns.add(seat)
        return Done(problem, seat, title, {"problem": problem.pk})

    return record(council, CouncilAction.RAISE_PROBLEM, actor, change)


def share_problem(
    problem: Problem, *, actor: User | None, by: CouncilMember | None = None
) -> Problem:
    """我也遇到: another member says the problem concerns them too (``by``: the member,
    when the system records it)."""

    def change(locked: Council, standing: Standing) -> Done[Problem]:
        fresh = _problem(locked, problem)
        _need_open(fresh)
        seat = _raiser(standing, by)
        if fresh.concerns.filter(pk=seat.pk).exists():
            raise Conflict(_("This problem is already marked as concerning you."))
        fresh.concerns.add(seat)
        return Done(fresh, seat, data={"problem": fresh.pk, "shared_by": fresh.concerns.count()})

    return record(problem.council, CouncilAction.SHARE_PROBLEM, actor, change)


def take_up_problem(
    problem: Problem, *, actor: User | None, deadline: date, note: str = ""
) -> Problem:
    """理事会自行协调: the council handles the problem itself, by ``deadline`` (set again
    while it handles it, the log keeps both)."""
    if not isinstance(deadline, date) or isinstance(deadline, datetime):
        raise Invalid(_("Give the date by which the council solves it."), field="deadline")
    note = inputs.text((note or "").strip(), "note")

    def change(locked: Council, _s: Standing) -> Done[Problem]:
        fresh = _problem(locked, problem)
        _need_open(fresh)
        if deadline < clock.today():
            raise Invalid(_("The deadline cannot be in the past."), field="deadline")
        before = fresh.deadline.isoformat() if fresh.deadline else None
        fresh.state = ProblemState.HANDLING
        fresh.deadline = deadline
        fresh.save(update_fields=["state", "deadline"])
        return Done(
            fresh,
            note=note,
            data={"problem": fresh.pk, "deadline": deadline.isoformat(), "before": before},
        )

    return record(problem.council, CouncilAction.TAKE_UP_PROBLEM, actor, change)


def solve_problem(problem: Problem, *, actor: User | None, outcome: str) -> Problem:
    """协调解决: the council solved it itself; the outcome is recorded."""
    outcome = inputs.text(need_text(outcome, _("Say how the problem was solved.")), "outcome")

    def change(locked: Council, _s: Standing) -> Done[Problem]:
        fresh = _problem(locked, problem)
        _need_open(fresh)
        fresh.state = ProblemState.SOLVED
        fresh.outcome = outcome
        fresh.finished_at = clock.now()
        fresh.save(update_fields=["state", "outcome", "finished_at"])
        return Done(fresh, note=outcome, data={"problem": fresh.pk})

    return record(problem.council, CouncilAction.SOLVE_PROBLEM, actor, change)


def whistle_problem(
    problem: Problem,
    *,
    actor: User | None,
    note: str = "",
    photos: Sequence[IO[bytes]] = (),
    photo_names: Sequence[str] = (),
) -> Case:
    """理事会吹哨: one click sends the problem to the district as a case (channel 理事会),
    with how many members it concerns; the district dispatches it through the normal
    loop (to departments by whistling). Photos, if given, go with the case."""
    from civicgrid.councils.intake import council_request, submit

    note = inputs.text((note or "").strip(), "note")
    checked = check_photos(list(photos), list(photo_names))  # 400 before anything is locked

    def change(locked: Council, standing: Standing) -> Done[Case]:
        fresh = _problem(locked, problem)
        _need_open(fresh)
        shared = fresh.concerns.count()
        text = _(
            "%(council)s whistles a problem raised by %(member)s and shared by %(n)s "
            "members: %(text)s"
        ) % {
            "council": locked.name,
            "member": fresh.raised_by.name,
            "n": shared,
            "text": fresh.text,
        }
        if note:
            text = f"{text}\n{note}"
        request = council_request(locked, standing, title=fresh.title, text=text)
        case = submit(request, photos=checked)
        fresh.state = ProblemState.WHISTLED
        fresh.case = case
        fresh.save(update_fields=["state", "case"])
        return Done(
            case,
            fresh.raised_by,
            note,
            {"problem": fresh.pk, "case": case.tracking_code, "shared_by": shared},
        )

    return record(problem.council, CouncilAction.WHISTLE_PROBLEM, actor, change)
