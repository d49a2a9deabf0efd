"""Grid calls (一呼百应): broadcast by staff of the grid or a case's handler, claimed by
the first N of the grid's people, reported done with a photo and credited; each change
one event, refusals (403 before 409) storing nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from civicgrid.cases.models import Case, State
from civicgrid.cases.photos import STAGING, check_photo
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.notify.models import Notification, RecipientKind, Template
from civicgrid.org.models import Role
from civicgrid.people import calls, ledger
from civicgrid.people.call_models import CallClaim, CallState, ClaimState, GridCall
from civicgrid.people.models import LedgerEntry, PeopleAction, PeopleEvent, Person
from tests.factories import UserFactory, case_as_it_stands, make_member
from tests.images import image_bytes
from tests.people.conftest import PeopleFixture, person

pytestmark = pytest.mark.django_db


def photo():  # type: ignore[no-untyped-def]
    return check_photo(io.BytesIO(image_bytes()))


def helper(people: PeopleFixture, name: str, username: str, grid: int = 0) -> Person:
    return person(people.tree.grids[grid], name, user=UserFactory(username=username))


def a_call(people: PeopleFixture, wanted: int = 2, **fields: object) -> GridCall:
    return calls.broadcast_call(
        calls.Call(
            title=str(fields.pop("title", "清理楼道杂物")),
            detail="三单元楼道",
            wanted=wanted,
            hours=fields.pop("hours", "1.5"),
            points=fields.pop("points", 10),
        ),
        actor=people.handler,
        grid=people.tree.grids[0],
        **fields,  # type: ignore[arg-type]
    )


def events(action: str) -> int:
    return PeopleEvent.objects.filter(action=action).count()


def test_a_call_from_broadcast_to_completion_credits_hours_and_points(
    people: PeopleFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    call = a_call(people, wanted=1)
    assert call.state == CallState.OPEN and call.called_by == people.handler
    # The party member with an account is reached; the neighbour has none.
    assert call.reached == 1
    claim = calls.claim_call(call, actor=people.member_user, person=people.member)
    call.refresh_from_db()
    assert call.state == CallState.FULL
    with django_capture_on_commit_callbacks(execute=True):
        calls.report_claim(claim, actor=people.member_user, report="已清理", photos=[photo()])
    claim.refresh_from_db()
    call.refresh_from_db()
    assert claim.state == ClaimState.DONE and claim.report == "已清理" and claim.photo
    assert default_storage.exists(claim.photo)
    assert not default_storage.exists(STAGING + claim.photo)
    assert call.state == CallState.DONE
    assert ledger.totals(people.member) == ledger.Totals(hours=Decimal("1.5"), points=10)
    entry = LedgerEntry.objects.get(person=people.member)
    assert entry.source_key == f"grid_call:{call.pk}" and entry.unit == people.tree.grids[0]
    for action in (
        PeopleAction.BROADCAST_CALL,
        PeopleAction.CLAIM_CALL,
        PeopleAction.REPORT_CLAIM,
    ):
        assert events(action) == 1
    done = PeopleEvent.objects.get(action=PeopleAction.REPORT_CLAIM)
    assert done.data["call"] == call.pk and done.data["call_done"] is True
    assert done.person == people.member and done.actor == people.member_user


def test_the_first_n_win_and_the_next_is_refused_with_a_clear_message(
    people: PeopleFixture,
) -> None:
    call = a_call(people, wanted=2)
    first = helper(people, "甲", "jia")
    second = helper(people, "乙", "yi")
    third = helper(people, "丙", "bing")
    calls.claim_call(call, actor=first.user, person=first)
    with pytest.raises(Conflict, match="您已认领过该呼叫"):
        calls.claim_call(call, actor=first.user, person=first)
    calls.claim_call(call, actor=second.user, person=second)
    with pytest.raises(Conflict) as refused:
        calls.claim_call(call, actor=third.user, person=third)
    assert refused.value.status == 409
    assert refused.value.message == "来晚了：该呼叫需要的2人已认领满。"
    assert CallClaim.objects.filter(call=call).count() == 2
    assert events(PeopleAction.CLAIM_CALL) == 2
    # One withdraws: the call takes claims again.
    calls.withdraw_claim(CallClaim.objects.get(person=second), actor=second.user)
    call.refresh_from_db()
    assert call.state == CallState.OPEN
    calls.claim_call(call, actor=third.user, person=third)
    call.refresh_from_db()
    assert call.state == CallState.FULL


def test_only_the_grids_people_claim_and_only_staff_broadcast(people: PeopleFixture) -> None:
    call = a_call(people)
    far = helper(people, "远", "yuan", grid=4)
    other = helper(people, "邻", "lin", grid=1)
    for who in (far, other):
        with pytest.raises(Forbidden, match="只有本网格的志愿者或党员可以认领呼叫"):
            calls.claim_call(call, actor=who.user, person=who)
    # Someone claiming for another person: refused too.
    with pytest.raises(Forbidden):
        calls.claim_call(call, actor=people.member_user, person=far)
    # A volunteer (role) of the grid may not broadcast; staff of another community may not.
    stranger = make_member(people.tree.communities[1], Role.HANDLER, username="other")
    for actor in (people.volunteer, stranger):
        with pytest.raises(Forbidden, match="只有网格的工作人员或工单的处置人"):
            calls.broadcast_call(calls.Call(title="x"), actor=actor, grid=people.tree.grids[0])
    assert GridCall.objects.count() == 1 and not CallClaim.objects.exists()
    # Seeing: a volunteer of another grid sees nothing of grid 0's calls.
    assert not GridCall.objects.visible_to(far.user).exists()
    assert list(GridCall.objects.visible_to(people.member_user)) == [call]
    assert list(GridCall.objects.visible_to(people.handler)) == [call]


def test_a_case_handler_calls_the_cases_grid_and_the_case_lists_its_helpers(
    people: PeopleFixture,
) -> None:
    tree = people.tree
    case = case_as_it_stands(
        tree.department, people.handler.date_joined, grid=tree.grids[0], state=State.HANDLING
    )
    case.save()
    officer = make_member(tree.department, Role.HANDLER, username="chengguan")
    with pytest.raises(Forbidden):  # not from the case: not staff of the grid
        calls.broadcast_call(calls.Call(title="搬运"), actor=officer, grid=tree.grids[0])
    with pytest.raises(Invalid):
        calls.broadcast_call(calls.Call(title="搬运"), actor=officer, grid=tree.grids[1], case=case)
    call = calls.broadcast_call(
        calls.Call(title="搬运", wanted=1), actor=officer, grid=tree.grids[0], case=case
    )
    # The department's handler follows the call made from their case.
    assert list(GridCall.objects.visible_to(officer)) == [call]
    claim = calls.claim_call(call, actor=people.member_user, person=people.member)
    [shown] = calls.helpers_of_case(case)
    assert shown.call == call
    assert [(h.name, h.state) for h in shown.helpers] == [("王**", ClaimState.CLAIMED)]
    calls.report_claim(claim, actor=people.member_user, report="", photos=[photo()])
    assert calls.helpers_of_case(case)[0].helpers[0].state == ClaimState.DONE
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED)
    case.refresh_from_db()
    with pytest.raises(Conflict):
        calls.broadcast_call(calls.Call(title="再来"), actor=officer, grid=tree.grids[0], case=case)


def staged_files(directory: str = STAGING) -> list[str]:
    if not default_storage.exists(directory):
        return []
    folders, files = default_storage.listdir(directory)
    found = [directory + f for f in files]
    for folder in folders:
        found += staged_files(f"{directory}{folder}/")
    return found


def test_a_refused_report_stores_no_photo_and_credits_nothing(
    people: PeopleFixture, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    call = a_call(people, wanted=1)
    claim = calls.claim_call(call, actor=people.member_user, person=people.member)
    with pytest.raises(Invalid):
        calls.report_claim(claim, actor=people.member_user, report="", photos=[])
    with pytest.raises(Forbidden):
        calls.report_claim(claim, actor=people.handler, report="", photos=[photo()])
    with django_capture_on_commit_callbacks(execute=True):
        calls.report_claim(claim, actor=people.member_user, report="", photos=[photo()])
    with pytest.raises(Conflict):
        calls.report_claim(claim, actor=people.member_user, report="", photos=[photo()])
    assert LedgerEntry.objects.count() == 1
    assert events(PeopleAction.REPORT_CLAIM) == 1
    assert not [name for name in staged_files() if "call-photos" in name]


def test_staff_close_or_cancel_a_call(people: PeopleFixture) -> None:
    call = a_call(people, wanted=3)
    with pytest.raises(Conflict, match="请改为取消"):
        calls.close_call(call, actor=people.handler)
    claim = calls.claim_call(call, actor=people.member_user, person=people.member)
    with pytest.raises(Forbidden):
        calls.cancel_call(call, actor=people.member_user, reason="不需要了")
    with pytest.raises(Invalid):
        calls.cancel_call(call, actor=people.handler, reason=" ")
    calls.cancel_call(call, actor=people.handler, reason="物业已处理")
    call.refresh_from_db()
    claim.refresh_from_db()
    assert call.state == CallState.CANCELLED and claim.state == ClaimState.WITHDRAWN
    with pytest.raises(Conflict):
        calls.claim_call(call, actor=people.member_user, person=people.member)

    second = a_call(people, wanted=3)
    mine = calls.claim_call(second, actor=people.member_user, person=people.member)
    calls.close_call(second, actor=people.handler)
    second.refresh_from_db()
    assert second.state == CallState.DONE
    # Those who claimed may still report, and are credited.
    calls.report_claim(mine, actor=people.member_user, report="", photos=[photo()])
    assert ledger.totals(people.member).points == 10


@pytest.mark.parametrize(
    "fields",
    [{"wanted": 0}, {"wanted": 501}, {"hours": "25"}, {"hours": "1.25"}, {"points": -1}],
)
def test_a_call_out_of_range_is_refused(people: PeopleFixture, fields: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(Invalid):
        calls.broadcast_call(
            calls.Call(title="t", **fields), actor=people.handler, grid=people.tree.grids[0]
        )
    with pytest.raises(Invalid):
        calls.broadcast_call(
            calls.Call(title="t"), actor=people.handler, grid=people.tree.streets[0]
        )
    assert not GridCall.objects.exists()


def test_the_fan_out_queues_one_message_per_person_and_channel_once(
    people: PeopleFixture, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["log", "webhook"]
    for i in range(7):
        helper(people, f"志愿{i}", f"v{i}")
    UserFactory(username="nophone")
    call = a_call(people, wanted=3)
    assert call.reached == 8
    # The broadcast enqueued the task with the call (in its transaction).
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path=calls.fan_out_call.module_path).count() == 1
    assert not Notification.objects.exists()
    first = calls.fan_out_call.call(call.pk)
    again = calls.fan_out_call.call(call.pk)  # run twice: nothing more
    assert first["people"] == again["people"] == 8
    rows = Notification.objects.filter(topic=f"grid_call:{call.pk}")
    phones = rows.filter(channel="webhook").count()
    assert rows.filter(channel="log").count() == 8
    assert rows.count() == 8 + phones
    sample = rows.first()
    assert sample is not None and sample.case is None and sample.event is None
    assert sample.template == Template.GRID_CALL
    assert sample.recipient_kind == RecipientKind.VOLUNTEER
    assert "清理楼道杂物" in sample.body and f"/people/calls/{call.pk}/" in sample.body
    # The staff of the grid see them in the outbox; another community's staff do not.
    assert Notification.objects.visible_to(people.handler).count() == rows.count()
    stranger = make_member(people.tree.communities[1], Role.DISPATCHER, username="d2")
    assert not Notification.objects.visible_to(stranger).exists()


def test_only_the_claimant_withdraws_a_claim(people: PeopleFixture) -> None:
    """Another helper of the same grid, or a neighbour volunteer, may not take back a
    claim that is not theirs; the claim stands and nothing is logged."""
    call = a_call(people, wanted=2)
    first = helper(people, "甲", "jia")
    second = helper(people, "乙", "yi")
    claim = calls.claim_call(call, actor=first.user, person=first)
    before = events(PeopleAction.WITHDRAW_CLAIM)
    for stranger in (second.user, people.volunteer):
        with pytest.raises(Forbidden):
            calls.withdraw_claim(claim, actor=stranger)
    assert CallClaim.objects.get(pk=claim.pk).state == ClaimState.CLAIMED
    assert events(PeopleAction.WITHDRAW_CLAIM) == before
