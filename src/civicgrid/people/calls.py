"""Grid calls (一呼百应), every change: broadcast, claim, withdraw, report done (with a
photo; the hours and points credited), close, cancel. One function per change, each
through ``people.actions.record`` (403 before 409, one ``PeopleEvent``; the event's
``data["call"]`` names the call).

Claims race: each claim locks the call's row, so of many people claiming at once the
first ``wanted`` win and the next is refused (409). The broadcast writes the call and
its event and enqueues ``fan_out_call`` in the same transaction; the task writes the
messages to the grid's people in batches (``notify.actions.queue_messages``, once per
person and channel, so it may run twice) after the request has been answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from civicgrid import inputs
from civicgrid.cases import clock
from civicgrid.cases.models import Case
from civicgrid.cases.photos import CheckedPhoto, discard_on_failure, stage_files
from civicgrid.cases.rules import need_text
from civicgrid.errors import Conflict, Invalid
from civicgrid.org.models import Unit, UnitKind, User
from civicgrid.people import ledger, permissions
from civicgrid.people.actions import Done, record
from civicgrid.people.call_models import (
    CALL_PHOTOS,
    CallClaim,
    CallState,
    ClaimState,
    GridCall,
    masked_name,
)
from civicgrid.people.models import LedgerSource, PeopleAction, Person

MAX_WANTED = 500
MAX_POINTS = 1000
# Messages written per statement batch by the fan-out (people read per query).
FAN_OUT_BATCH = 1000
# Claims that still count against ``wanted``.
TAKEN = (ClaimState.CLAIMED, ClaimState.DONE)


@dataclass(frozen=True)
class Call:
    """A call as a form or the API hands one in (before checks)."""

    title: str
    detail: str = ""
    wanted: object = 1
    hours: object = "0"
    points: object = 0


@dataclass(frozen=True)
class CheckedCall:
    title: str
    detail: str
    wanted: int
    hours: Decimal
    points: int


def check_call(call: Call) -> CheckedCall:
    """The call with its text cleaned and its numbers in range, or a refusal (400)."""
    title = inputs.text(need_text(call.title, _("A call needs a title.")), "title", max_length=80)
    detail = inputs.text((call.detail or "").strip(), "detail", max_length=1000)
    wanted = inputs.whole_number(call.wanted, "wanted", 1, MAX_WANTED)
    points = inputs.whole_number(call.points, "points", 0, MAX_POINTS)
    try:
        hours = Decimal(str(call.hours or "0").strip())
    except InvalidOperation:
        raise Invalid(_("Service hours lie between 0 and 24."), field="hours") from None
    if not hours.is_finite() or not Decimal("0") <= hours <= ledger.MAX_HOURS:
        raise Invalid(_("Service hours lie between 0 and 24."), field="hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise Invalid(_("Service hours are counted in tenths of an hour."), field="hours")
    return CheckedCall(title, detail, wanted, hours, points)


def grid_people(grid: Unit | int) -> QuerySet[Person]:
    """Who a call to ``grid`` reaches: its active volunteers and party members with an
    active account (one without an account cannot claim on the phone page)."""
    return Person.objects.filter(
        Q(volunteer=True) | Q(party_member=True),
        home_grid=grid,
        active=True,
        user__isnull=False,
        user__is_active=True,
    )


def call_link(call: GridCall) -> str:
    return f"{settings.PUBLIC_URL}{reverse('people:call', kwargs={'pk': call.pk})}"


def _locked(call: GridCall) -> GridCall:
    return GridCall.objects.select_for_update().select_related("grid").get(pk=call.pk)


def broadcast_call(
    call: Call, *, actor: User | None, grid: Unit, case: Case | None = None
) -> GridCall:
    """一呼百应: a call to ``grid``'s volunteers and party members, by staff of the grid
    (its grid worker, community, street) or by the handler of ``case`` (a micro matter
    in that grid). The messages go out through the outbox after this commits."""
    checked = check_call(call)
    if grid.kind != UnitKind.GRID:
        raise Invalid(_("A call goes to a grid."), field="grid")
    if case is not None and case.grid_id != grid.pk:
        raise Invalid(_("A call from a case goes to the case's grid."), field="grid")

    def change() -> Done[GridCall]:
        from civicgrid.cases.models import FINAL_STATES

        if case is not None and case.state in FINAL_STATES:
            raise Conflict(_("This case is closed: no call can be made from it."))
        made = GridCall.objects.create(
            grid=grid,
            title=checked.title,
            detail=checked.detail,
            wanted=checked.wanted,
            hours=checked.hours,
            points=checked.points,
            case=case,
            called_by=actor if actor is not None and actor.is_authenticated else None,
            reached=grid_people(grid).count(),
            created_at=clock.now(),
        )
        fan_out_call.enqueue(made.pk)  # stored with the call, or not at all
        return Done(
            made,
            note=made.title,
            data={
                "call": made.pk,
                "wanted": made.wanted,
                "hours": str(made.hours),
                "points": made.points,
                "reached": made.reached,
                "case": case.tracking_code if case is not None else None,
            },
        )

    return record(PeopleAction.BROADCAST_CALL, actor, change, unit=grid, case=case)


@task(queue_name="notify")
def fan_out_call(call_id: int) -> dict[str, int]:
    """The messages of a call to its grid's people, a batch at a time, then a delivery
    round scheduled. Safe to run twice (one message per person and channel)."""
    from civicgrid.notify import actions as outbox
    from civicgrid.notify.models import Template
    from civicgrid.notify.rules import Person as Reachable
    from civicgrid.notify.rules import grid_call_message
    from civicgrid.notify.tasks import schedule_delivery

    call = GridCall.objects.select_related("grid").filter(pk=call_id).first()
    # A call that no longer takes claims, or older than the outbox's messages may be
    # (as for the case events: a worker switched on late texts nobody about the past),
    # tells nobody.
    oldest = timezone.now() - timedelta(hours=settings.NOTIFY_MAX_AGE_HOURS)
    if call is None or call.state != CallState.OPEN or call.created_at < oldest:
        return {"people": 0, "messages": 0}
    subject, body = grid_call_message(
        title=call.title,
        grid=call.grid.name,
        wanted=call.wanted,
        hours=f"{call.hours:g}",
        points=call.points,
        link=call_link(call),
    )
    people = messages = 0
    last = 0
    while True:
        batch = list(
            grid_people(call.grid_id)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "user_id", "user__email", "user__phone")[:FAN_OUT_BATCH]
        )
        if not batch:
            break
        last = batch[-1][0]
        people += len(batch)
        messages += outbox.queue_messages(
            topic=f"grid_call:{call.pk}",
            template=Template.GRID_CALL,
            people=[Reachable(user, email or "", phone or "") for _pk, user, email, phone in batch],
            unit_id=call.grid_id,
            subject=subject,
            body=body,
            link=call_link(call),
        )
    schedule_delivery()
    return {"people": people, "messages": messages}


def _may_claim(person: Person, grid_id: int) -> bool:
    return (
        person.active
        and (person.volunteer or person.party_member)
        and person.home_grid_id == grid_id
        and person.user_id is not None
    )


def claim_call(call: GridCall, *, actor: User | None, person: Person) -> CallClaim:
    """认领: a volunteer or party member of the grid takes the call. The first
    ``wanted`` win; then the call is full and the next is refused (409)."""
    with transaction.atomic():
        locked = _locked(call)

        def change() -> Done[CallClaim]:
            if not _may_claim(person, locked.grid_id):
                raise Conflict(str(permissions.RULES[PeopleAction.CLAIM_CALL].refusal))
            if CallClaim.objects.filter(call=locked, person=person).exists():
                raise Conflict(_("You have already claimed this call."))
            taken = CallClaim.objects.filter(call=locked, state__in=TAKEN).count()
            if locked.state != CallState.CANCELLED and taken >= locked.wanted:
                raise Conflict(
                    _("Too late: the %(n)s people this call asked for have claimed it.")
                    % {"n": locked.wanted}
                )
            if locked.state != CallState.OPEN:
                raise Conflict(_("This call is closed."))
            claim = CallClaim.objects.create(call=locked, person=person, claimed_at=clock.now())
            taken += 1
            if taken >= locked.wanted:
                locked.state = CallState.FULL
                locked.save(update_fields=["state"])
            return Done(claim, person, data={"call": locked.pk, "taken": taken})

        return record(PeopleAction.CLAIM_CALL, actor, change, unit=locked.grid, about=person)


def _locked_claim(claim: CallClaim) -> tuple[GridCall, CallClaim]:
    locked = _locked(claim.call)
    fresh = CallClaim.objects.select_related("person").get(pk=claim.pk)
    return locked, fresh


def withdraw_claim(claim: CallClaim, *, actor: User | None) -> CallClaim:
    """退出: the claimant cannot come after all; a full call takes claims again."""
    with transaction.atomic():
        locked, fresh = _locked_claim(claim)

        def change() -> Done[CallClaim]:
            if fresh.state != ClaimState.CLAIMED:
                raise Conflict(_("Only a claim not yet reported done can be withdrawn."))
            fresh.state = ClaimState.WITHDRAWN
            fresh.save(update_fields=["state"])
            if locked.state == CallState.FULL:
                locked.state = CallState.OPEN
                locked.save(update_fields=["state"])
            return Done(fresh, fresh.person, data={"call": locked.pk})

        return record(
            PeopleAction.WITHDRAW_CLAIM, actor, change, unit=locked.grid, about=fresh.person
        )


def report_claim(
    claim: CallClaim, *, actor: User | None, report: str, photos: Sequence[CheckedPhoto]
) -> CallClaim:
    """完成: the claimant reports it done with a photo (checked at the surface; stored
    when this commits) and is credited the call's hours and points. When every claim
    of a full (or closed) call is done, the call is done."""
    text = inputs.text((report or "").strip(), "report", max_length=500)
    if len(photos) != 1:
        raise Invalid(_("Report it done with one photo."), field="photo")
    with discard_on_failure(), transaction.atomic():
        locked, fresh = _locked_claim(claim)

        def change() -> Done[CallClaim]:
            if fresh.state != ClaimState.CLAIMED:
                raise Conflict(_("Only a claim not yet reported done can be reported done."))
            if locked.state == CallState.CANCELLED:
                raise Conflict(_("This call was cancelled."))
            [(name, _photo)] = stage_files(photos, folder=CALL_PHOTOS)
            fresh.state = ClaimState.DONE
            fresh.report = text
            fresh.photo = name
            fresh.done_at = clock.now()
            fresh.save(update_fields=["state", "report", "photo", "done_at"])
            ledger.credit(
                fresh.person,
                source=LedgerSource.GRID_CALL,
                source_key=f"grid_call:{locked.pk}",
                hours=locked.hours,
                points=locked.points,
                unit=locked.grid,
                note=locked.title,
                at=fresh.done_at,
            )
            finished = locked.state in (CallState.FULL, CallState.DONE) and not (
                CallClaim.objects.filter(call=locked, state=ClaimState.CLAIMED).exists()
            )
            if finished and locked.state != CallState.DONE:
                locked.state = CallState.DONE
                locked.save(update_fields=["state"])
            return Done(
                fresh,
                fresh.person,
                note=text,
                data={
                    "call": locked.pk,
                    "hours": str(locked.hours),
                    "points": locked.points,
                    "photo": name,
                    "call_done": locked.state == CallState.DONE,
                },
            )

        return record(
            PeopleAction.REPORT_CLAIM, actor, change, unit=locked.grid, about=fresh.person
        )


def close_call(call: GridCall, *, actor: User | None) -> GridCall:
    """结束: staff of the grid take no more claims; those who claimed may still report."""
    with transaction.atomic():
        locked = _locked(call)

        def change() -> Done[GridCall]:
            if locked.state not in (CallState.OPEN, CallState.FULL):
                raise Conflict(_("This call is closed."))
            if not CallClaim.objects.filter(call=locked, state__in=TAKEN).exists():
                raise Conflict(_("Nobody has claimed this call: cancel it instead."))
            locked.state = CallState.DONE
            locked.save(update_fields=["state"])
            return Done(locked, data={"call": locked.pk})

        return record(PeopleAction.CLOSE_CALL, actor, change, unit=locked.grid)


def cancel_call(call: GridCall, *, actor: User | None, reason: str) -> GridCall:
    """取消: staff of the grid call it off before anyone reported it done; the claims
    are withdrawn."""
    why = inputs.text(
        need_text(reason, _("Say why the call is cancelled.")), "reason", max_length=200
    )
    with transaction.atomic():
        locked = _locked(call)

        def change() -> Done[GridCall]:
            if locked.state not in (CallState.OPEN, CallState.FULL):
                raise Conflict(_("This call is closed."))
            if CallClaim.objects.filter(call=locked, state=ClaimState.DONE).exists():
                raise Conflict(_("Someone has reported this call done: close it instead."))
            withdrawn = CallClaim.objects.filter(call=locked, state=ClaimState.CLAIMED).update(
                state=ClaimState.WITHDRAWN
            )
            locked.state = CallState.CANCELLED
            locked.save(update_fields=["state"])
            return Done(locked, note=why, data={"call": locked.pk, "withdrawn": withdrawn})

        return record(PeopleAction.CANCEL_CALL, actor, change, unit=locked.grid)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Helper:
    name: str  # masked
    state: str
    state_label: str


@dataclass(frozen=True)
class CaseCall:
    call: GridCall
    helpers: list[Helper]


def helpers_of_case(case: Case) -> list[CaseCall]:
    """志愿者协助: the calls made from ``case`` and who helped (names masked), for the
    case's page (whoever may see the case sees this). Two queries."""
    calls = list(GridCall.objects.filter(case=case).order_by("created_at", "pk"))
    claims: dict[int, list[Helper]] = {c.pk: [] for c in calls}
    for claim in (
        CallClaim.objects.filter(call__in=calls)
        .exclude(state=ClaimState.WITHDRAWN)
        .select_related("person")
        .order_by("claimed_at", "pk")
    ):
        claims[claim.call_id].append(
            Helper(masked_name(claim.person.name), claim.state, str(claim.get_state_display()))
        )
    return [CaseCall(c, claims[c.pk]) for c in calls]


def taken_counts(found: Sequence[GridCall]) -> dict[int, int]:
    """How many claimed (or did) each of ``found``: one query."""
    from django.db.models import Count

    return dict(
        CallClaim.objects.filter(call__in=[c.pk for c in found], state__in=TAKEN)
        .values("call")
        .annotate(n=Count("pk"))
        .values_list("call", "n")
    )
