"""A council's members: who may add, change and remove them, what each change logs, and
who sees which council."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from civicgrid.cases import clock
from civicgrid.councils import actions
from civicgrid.councils.models import (
    Council,
    CouncilAction,
    CouncilEvent,
    CouncilKind,
    CouncilMember,
    CouncilRole,
    MemberKind,
)
from civicgrid.councils.permissions import Standing
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.inputs import credit_code
from civicgrid.org.models import Role
from tests.factories import CouncilFixture, TreeFixture, UserFactory, make_council, make_member

pytestmark = pytest.mark.django_db

VALID_CODE = "91350100M000100Y43"


def seat(**fields: object) -> actions.Seat:
    return actions.Seat(**{"name": "新商户", "kind": MemberKind.MERCHANT, **fields})  # type: ignore[arg-type]


def actions_logged(council: Council) -> list[str]:
    return list(council.events.order_by("seq").values_list("action", flat=True))


def test_the_secretary_adds_a_member_and_the_log_says_so(council: CouncilFixture) -> None:
    secretary = council.user(council.secretary)
    member = actions.add_member(council.council, seat(phone="13800001111"), actor=secretary)
    assert member.active and member.role == CouncilRole.MEMBER
    event = CouncilEvent.objects.get(council=council.council, member=member)
    assert event.action == CouncilAction.JOIN and event.actor == secretary
    assert event.seq == Council.objects.get(pk=council.council.pk).version
    seqs = list(council.council.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_an_ordinary_member_may_not_add_members(council: CouncilFixture) -> None:
    before = CouncilMember.objects.count(), CouncilEvent.objects.count()
    with pytest.raises(Forbidden, match="理事长或秘书长"):
        actions.add_member(council.council, seat(), actor=council.user(council.members[0]))
    assert (CouncilMember.objects.count(), CouncilEvent.objects.count()) == before


def test_a_member_joins_on_the_districts_date_not_utcs(council: CouncilFixture) -> None:
    # 01:30 on 6 December in Beijing is still 5 December in UTC.
    early = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    with clock.at(early):
        member = actions.add_member(
            council.council, seat(phone="13800001112"), actor=council.user(council.secretary)
        )
    assert member.joined_on == date(2026, 12, 6)


def test_staff_of_the_unit_or_above_may_add_members_others_may_not(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    street = make_member(tree.streets[0], Role.DISPATCHER)
    actions.add_member(council.council, seat(name="街道加的"), actor=street)
    other_street = make_member(tree.streets[1], Role.DISPATCHER)
    with pytest.raises(Forbidden):
        actions.add_member(council.council, seat(name="别的街道"), actor=other_street)
    # a grid worker below the council's unit holds no staff role over it
    grid_worker = make_member(tree.grids[0], Role.GRID_WORKER)
    with pytest.raises(Forbidden):
        actions.add_member(council.council, seat(name="网格员"), actor=grid_worker)


def test_bad_input_is_refused_before_anything_is_written(council: CouncilFixture) -> None:
    secretary = council.user(council.secretary)
    before = CouncilMember.objects.count()
    with pytest.raises(Invalid, match="名称"):
        actions.add_member(council.council, seat(name="  "), actor=secretary)
    with pytest.raises(Invalid):
        actions.add_member(council.council, seat(kind="alien"), actor=secretary)
    with pytest.raises(Invalid, match="校验"):
        actions.add_member(council.council, seat(credit_code="91350100M000100Y44"), actor=secretary)
    with pytest.raises(Invalid, match="手机"):
        actions.add_member(council.council, seat(phone="12345"), actor=secretary)
    with pytest.raises(Invalid, match="任期"):
        actions.add_member(
            council.council,
            seat(term_start=date(2026, 1, 1), term_end=date(2025, 1, 1)),
            actor=secretary,
        )
    assert CouncilMember.objects.count() == before


def test_one_seat_per_account(council: CouncilFixture) -> None:
    with pytest.raises(Conflict, match="已在本理事会"):
        actions.add_member(
            council.council,
            seat(user=council.user(council.members[0])),
            actor=council.user(council.chair),
        )


def test_a_member_leaves_by_their_own_word_but_not_for_another(council: CouncilFixture) -> None:
    first, second = council.members[0], council.members[1]
    with pytest.raises(Forbidden):
        actions.remove_member(second, actor=council.user(first), reason="替他退")
    left = actions.remove_member(first, actor=council.user(first), reason="店铺搬迁")
    assert left.left_on is not None and left.left_reason == "店铺搬迁"
    assert actions_logged(council.council)[-1] == CouncilAction.LEAVE
    with pytest.raises(Conflict, match="已经退出"):
        actions.remove_member(first, actor=council.user(council.chair))
    # the one who left no longer sits in it, nor sees it
    assert not Council.objects.visible_to(council.user(first)).exists()


def test_a_role_change_logs_before_and_after(council: CouncilFixture) -> None:
    member = council.members[0]
    actions.change_role(
        member,
        actor=council.user(council.chair),
        role=CouncilRole.SECRETARY,
        term_start=date(2026, 1, 1),
        term_end=date(2028, 12, 31),
    )
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.action == CouncilAction.CHANGE_ROLE
    assert event.data["before"]["role"] == "member" and event.data["after"]["role"] == "secretary"
    assert Standing(council.council, council.user(member)).officer


def test_an_ordinary_member_may_not_change_roles_nor_form_or_change_groups(
    council: CouncilFixture,
) -> None:
    """Roles and working groups are the officers' (and the unit's staff's) to decide: an
    ordinary member is refused and nothing is written, not even for their own seat."""
    member = council.members[0]
    ordinary = council.user(member)
    group = actions.form_group(council.council, actor=council.user(council.chair), name="专班")
    before = list(CouncilEvent.objects.values_list("pk", flat=True))
    with pytest.raises(Forbidden):
        actions.change_role(member, actor=ordinary, role=CouncilRole.CHAIR)
    with pytest.raises(Forbidden):
        actions.change_role(council.members[1], actor=ordinary, role=CouncilRole.SECRETARY)
    with pytest.raises(Forbidden):
        actions.form_group(council.council, actor=ordinary, name="自封专班")
    with pytest.raises(Forbidden):
        actions.change_group(group, actor=ordinary, member_ids=[member.pk])
    assert list(CouncilEvent.objects.values_list("pk", flat=True)) == before
    assert CouncilMember.objects.get(pk=member.pk).role == CouncilRole.MEMBER
    assert council.council.groups.count() == 1 and not group.members.exists()


def test_working_groups_take_only_active_members_of_the_council(
    tree: TreeFixture, council: CouncilFixture
) -> None:
    other = make_council(tree.communities[1])
    chair = council.user(council.chair)
    group = actions.form_group(
        council.council, actor=chair, name="门前三包专班", member_ids=[council.members[0].pk]
    )
    assert list(group.members.all()) == [council.members[0]]
    changed = actions.change_group(
        group, actor=chair, member_ids=[m.pk for m in council.members[:2]]
    )
    assert set(changed.members.all()) == set(council.members[:2])
    event = council.council.events.order_by("seq").last()
    assert event is not None and event.action == CouncilAction.CHANGE_GROUP
    assert event.data["members"] == sorted(m.pk for m in council.members[:2])
    with pytest.raises(Invalid, match="本理事会"):
        actions.change_group(group, actor=chair, member_ids=[other.members[0].pk])
    assert set(group.members.all()) == set(council.members[:2])


def test_who_sees_which_council(tree: TreeFixture, council: CouncilFixture) -> None:
    other = make_council(tree.communities[2], kind=CouncilKind.OWNERS)
    member = council.user(council.members[0])
    assert list(Council.objects.visible_to(member)) == [council.council]
    assert list(Council.objects.visible_to(other.user(other.chair))) == [other.council]
    street = make_member(tree.streets[0], Role.HANDLER)
    assert list(Council.objects.visible_to(street)) == [council.council]
    district = make_member(tree.district, Role.LEADER)
    assert set(Council.objects.visible_to(district)) == {council.council, other.council}
    assert not Council.objects.visible_to(UserFactory()).exists()


def test_a_council_belongs_to_a_park_community_or_street(tree: TreeFixture) -> None:
    with pytest.raises(Invalid):
        actions.found_council(actor=None, unit=tree.grids[0], name="网格理事会", kind="park")
    with pytest.raises(Forbidden):
        actions.found_council(
            actor=make_member(tree.streets[1], Role.DISPATCHER),
            unit=tree.communities[0],
            name="越权",
            kind=CouncilKind.MERCHANTS,
        )


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        (VALID_CODE, True),
        (VALID_CODE.lower(), True),
        ("91350100M000100Y44", False),
        ("91350100M000100Y4", False),
        ("91350100I000100Y43", False),  # I is not in the alphabet
    ],
)
def test_credit_codes_are_checked_by_their_check_character(code: str, ok: bool) -> None:
    if ok:
        assert credit_code(code) == VALID_CODE
    else:
        with pytest.raises(Invalid):
            credit_code(code)
