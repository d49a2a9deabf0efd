"""The follow-up queue (回访队列): the cases waiting for a call to their resident, oldest
follow-up deadline first, each with its call script: what the resident asked, what
was done, the reply, and the calls made so far in this follow-up.

Read by the console's page (``views.follow_up_queue``) and the API
(``GET /api/follow-up``) alike; recording a call is the transition
``actions.follow_up_case``.

The script is what an operator reads out to the resident, on a page that lists many
cases at once: its free text goes through the same masker as every public surface
(``privacy.publish.public_text``), so a number or ID written into a request or a
handler's note is not on the screen; the resident's own number only through a
reveal with a reason, logged (``actions.reveal_contact``).

Built for a large district (see docs/architecture.md, "Lists at scale"): keyset pages
in the order of the ``follow_up_by_due`` index (a partial index on follow-up cases
that carries the scope's columns), a count only up to ``queues.COUNT_CAP``, and a
page's events read in one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from civicgrid.cases.models import Action, Case, CaseEvent, State
from civicgrid.cases.paging import Order, Page, keyset
from civicgrid.cases.permissions import may, may_know_resident
from civicgrid.cases.queues import COUNT_CAP
from civicgrid.org.models import User
from civicgrid.privacy.publish import public_text

ORDER: Order = ("follow_up_due", "id")
# How a resident's stars are put to them on the phone (5 非常满意 … 1 非常不满意).
STARS = (
    (5, gettext_lazy("very satisfied")),
    (4, gettext_lazy("satisfied")),
    (3, gettext_lazy("basically satisfied")),
    (2, gettext_lazy("dissatisfied")),
    (1, gettext_lazy("very dissatisfied")),
)
PAGE_SIZE = 20
# What was done about a request, as the resident may hear it: the handlers' steps, a
# department's part, the fix on the spot, and the verification.
WORK = (Action.HANDLE, Action.RESOLVE, Action.FIX_ON_THE_SPOT, Action.FINISH_TASK, Action.VERIFY)


def waiting(user: User) -> QuerySet[Case]:
    """The cases in follow-up that ``user`` sees as their work."""
    return Case.objects.visible_to(user, work=True).filter(state=State.FOLLOW_UP)


def count(user: User) -> int:
    """How many wait, up to ``COUNT_CAP`` (a tab label, not a census)."""
    return waiting(user).order_by()[:COUNT_CAP].count()


def page(
    user: User, *, before: str | None = None, after: str | None = None, size: int | None = None
) -> Page[Case]:
    """A page of the queue, by key (``paging.keyset``), rows read with what the script
    and the rights need."""
    return keyset(
        waiting(user).select_related("owner_unit", "dispatcher_unit", "category", "contact"),
        ORDER,
        before=before,
        after=after,
        size=size or PAGE_SIZE,
    )


@dataclass(frozen=True)
class Step:
    """Something done about the request (a handler's note, the reply, a verification)."""

    at: datetime
    action: str
    label: str
    unit: str
    note: str


@dataclass(frozen=True)
class Call:
    """A follow-up call already made in this follow-up."""

    attempt: int
    at: datetime
    reached: bool
    by: str
    note: str


@dataclass
class Script:
    """One case of the queue, as the operator reads it out and records the call."""

    case: Case
    asked: str  # the request, personal data masked
    title: str
    reply: str
    done: list[Step] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    may_call: bool = False  # the user may record a call on it (``permissions``)
    may_reveal: bool = False  # and see the resident's number (each reveal logged)
    overdue: bool = False

    @property
    def next_attempt(self) -> int:
        return self.case.follow_up_attempts + 1


def scripts(cases: list[Case], user: User) -> list[Script]:
    """The call scripts of a page of cases (read with ``page``): one query for all their
    events, none per case."""
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    if cases:
        rows = (
            CaseEvent.objects.filter(
                case_id__in=[c.pk for c in cases], action__in=(*WORK, Action.FOLLOW_UP)
            )
            .select_related("actor", "to_unit")
            .order_by("case_id", "seq")
        )
        for event in rows:
            events[event.case_id].append(event)
    now = timezone.now()
    found = []
    for case in cases:
        script = Script(
            case=case,
            asked=public_text(case.text, case),
            title=public_text(case.title, case),
            reply=public_text(case.reply, case),
            may_call=may(case, Action.FOLLOW_UP, user),
            may_reveal=may_know_resident(case, user),
            overdue=case.follow_up_due is not None and case.follow_up_due < now,
        )
        for event in events[case.pk]:
            if event.action == Action.VERIFY and event.to_state == State.FOLLOW_UP:
                script.calls = []  # this follow-up's calls are the ones after it
            if event.action == Action.FOLLOW_UP:
                script.calls.append(
                    Call(
                        attempt=event.data.get("attempt") or len(script.calls) + 1,
                        at=event.at,
                        reached=bool(event.data.get("reached")),
                        by=str(event.actor) if event.actor else "",
                        note=public_text(event.note, case),
                    )
                )
            elif event.note or event.action != Action.VERIFY:
                # (a resolution's note is the reply, shown once as such)
                replied = event.action in (Action.RESOLVE, Action.FIX_ON_THE_SPOT)
                script.done.append(
                    Step(
                        at=event.at,
                        action=event.action,
                        label=str(event.get_action_display()),
                        unit=event.to_unit.name if event.to_unit else "",
                        note="" if replied else public_text(event.note, case),
                    )
                )
        found.append(script)
    return found
