"""The edges of who sees and does what: a deactivated account, a volunteer, a
superuser, a ``Scope`` passed where a user is expected, ``/api/org/me``, and what a
case's surroundings forbid (departments at work, nothing above the district)."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import Case, State, WhistleTask
from civicgrid.cases.permissions import (
    RULES,
    allowed_actions,
    check_right,
    has_right,
    may,
    may_act_on_task,
    may_know_resident,
    possible,
)
from civicgrid.cases.rules import NOWHERE, Snapshot
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.org import actions as org_actions
from civicgrid.org.models import Role, Unit, User
from civicgrid.org.scoping import NOBODY, Reach, Scope, scope_of
from tests.cases.conftest import Staff
from tests.cases.test_state_matrix import _dispatched, _handling, _resolved
from tests.factories import UserFactory, make_member, submit


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def codes(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("code", flat=True))


def tracking(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("tracking_code", flat=True))


def unchanged(case: Case, version: int) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.version == version == fresh.events.count(), "a refusal changed the case"


def whistled(staff: Staff) -> Case:
    """A street's case in handling, with the department called in (its task open)."""
    case = actions.acknowledge_case(_dispatched(staff, "moderate"), actor=staff.street_dispatcher)
    return actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.department)


# --- a deactivated account -------------------------------------------------------------------


def test_a_deactivated_user_sees_nothing_and_may_do_nothing(staff: Staff) -> None:
    case = whistled(staff)
    for user in (
        make_member(staff.tree.district, Role.DISPATCHER, username="tingyong"),
        UserFactory(username="tingyong_root", is_superuser=True, is_staff=True),
    ):
        assert Case.objects.visible_to(user).count() == 1  # while active: everything
        user.is_active = False
        user.save()
        user = User.objects.get(pk=user.pk)  # a new request: the scope is read anew
        assert scope_of(user) is NOBODY
        assert not Case.objects.visible_to(user).exists()
        assert not Unit.objects.visible_to(user).exists()
        assert not WhistleTask.objects.visible_to(user).exists()
        assert not Unit.objects.tops_for(user).exists()
        assert allowed_actions(case, user) == []
        assert not may_know_resident(case, user)
        assert not may_act_on_task(user, staff.tree.department)
        assert not has_right(user, tuple(Role.values), [staff.tree.district])
        with pytest.raises(Forbidden, match="不能提级其他单位的工单"):
            actions.escalate_case(case, actor=user, reason="需上级协调")
        with pytest.raises(Forbidden, match="只有上级领导或调度员才能督办"):
            actions.supervise_case(case, actor=user, reason="重点关注")
        task = case.tasks.get()
        with pytest.raises(Forbidden, match="只有本部门人员才能处理本部门的任务"):
            actions.check_in_task(task, actor=user)
        unchanged(case, case.version)


def test_a_deactivated_user_is_logged_out_of_the_api(staff: Staff) -> None:
    case = _dispatched(staff)
    user = staff.district_dispatcher
    client = logged_in(user)
    listed = client.get("/api/cases")
    assert listed.status_code == 200
    assert [row["tracking_code"] for row in listed.json()["items"]] == [case.tracking_code]
    user.is_active = False
    user.save()
    for path in (
        "/api/cases",
        f"/api/cases/{case.tracking_code}",
        "/api/tasks",
        "/api/org/me",
        "/api/org/units",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert case.tracking_code not in response.content.decode()
    response = client.post(
        f"/api/cases/{case.tracking_code}/remind",
        {"version": case.version},
        content_type="application/json",
    )
    assert response.status_code == 401
    unchanged(case, case.version)


# --- a volunteer ---------------------------------------------------------------------------------


def test_a_volunteer_sees_what_is_located_in_their_grid_and_may_do_nothing(staff: Staff) -> None:
    volunteer = make_member(staff.tree.grids[0], Role.VOLUNTEER, username="zhiyuanzhe")
    here_new = submit(staff.tree)  # the district's, located in grid 0
    here_dispatched = _dispatched(staff)  # community 0's, in grid 0
    elsewhere = submit(staff.tree, grid_index=1)
    nowhere = submit(staff.tree, grid_index=None)
    assert tracking(Case.objects.visible_to(volunteer)) == {
        here_new.tracking_code,
        here_dispatched.tracking_code,
    }
    assert codes(Unit.objects.visible_to(volunteer)) == {staff.tree.grids[0].code}
    for case in (here_new, here_dispatched, elsewhere, nowhere):
        assert allowed_actions(case, volunteer) == []
        assert not may_know_resident(case, volunteer)
    with pytest.raises(Forbidden, match="不能签收其他单位的工单"):
        actions.acknowledge_case(here_dispatched, actor=volunteer)
    unchanged(here_dispatched, here_dispatched.version)

    client = logged_in(volunteer)
    listed = client.get("/api/cases").json()
    assert {row["tracking_code"] for row in listed["items"]} == {
        here_new.tracking_code,
        here_dispatched.tracking_code,
    }
    detail = client.get(f"/api/cases/{here_dispatched.tracking_code}").json()
    assert detail["allowed"] == []
    assert detail["contact"]["phone"] == "138****5678"
    assert client.get(f"/api/cases/{elsewhere.tracking_code}").status_code == 404
    assert client.get("/api/tasks").json() == []


def test_field_roles_see_their_grid_but_other_roles_only_what_their_units_own(
    staff: Staff,
) -> None:
    """Seeing what is located in a grid comes with the grid worker's and volunteer's
    roles, not with a membership in the grid or above it."""
    new = submit(staff.tree)  # the district's, located in grid 0
    grid_handler = make_member(staff.tree.grids[0], Role.HANDLER)
    assert new in set(Case.objects.visible_to(staff.grid_worker))
    for user in (staff.community_handler, staff.street_dispatcher, grid_handler):
        assert new not in set(Case.objects.visible_to(user))
    assert scope_of(grid_handler).field_paths == ()
    assert scope_of(staff.grid_worker).field_paths == (staff.tree.grids[0].path,)


# --- a superuser -----------------------------------------------------------------------------


def test_a_superuser_has_every_right_but_the_state_still_refuses(staff: Staff) -> None:
    root = UserFactory(is_superuser=True, is_staff=True)
    case = actions.close_case(
        actions.verify_case(_resolved(staff), actor=staff.grid_worker, passed=True),
        actor=staff.operator,
    )
    assert allowed_actions(case, root) == ["reopen", "withdraw"]
    with pytest.raises(Conflict, match="“已结案”的工单不能签收。"):
        actions.acknowledge_case(case, actor=root)
    unchanged(case, case.version)
    assert may_know_resident(case, root)
    assert may_act_on_task(root, staff.tree.department)
    assert scope_of(root).has_role(Role.VOLUNTEER)  # every role, held nowhere in particular
    case = actions.reopen_case(case, actor=root, reason="群众再次反映")
    assert case.state == State.HANDLING and case.events.last().actor == root


# --- a Scope where a user is expected ------------------------------------------------------


def test_a_scope_answers_as_its_user_does(staff: Staff) -> None:
    case = whistled(staff)
    other = _dispatched(staff)
    volunteer = make_member(staff.tree.grids[0], Role.VOLUNTEER)
    root = UserFactory(is_superuser=True)
    people = [
        staff.community_handler,
        staff.street_dispatcher,
        staff.grid_worker,
        staff.department_handler,
        staff.outsider,
        volunteer,
        root,
    ]
    seen = set()
    for user in people:
        scope = scope_of(user)
        assert scope_of(scope) is scope
        assert tracking(Case.objects.visible_to(scope)) == tracking(Case.objects.visible_to(user))
        assert codes(Unit.objects.visible_to(scope)) == codes(Unit.objects.visible_to(user))
        assert codes(Unit.objects.tops_for(scope)) == codes(Unit.objects.tops_for(user))
        assert set(WhistleTask.objects.visible_to(scope)) == set(
            WhistleTask.objects.visible_to(user)
        )
        for unit in (staff.tree.communities[0], staff.tree.streets[0], staff.tree.department):
            roles = tuple(Role.values)
            assert has_right(scope, roles, [unit]) == has_right(user, roles, [unit])
        seen.add(frozenset(tracking(Case.objects.visible_to(scope))))
    assert len(seen) > 3, "the people above should not all see the same cases"
    assert tracking(Case.objects.visible_to(scope_of(staff.department_handler))) == {
        case.tracking_code
    }
    assert other.tracking_code in tracking(Case.objects.visible_to(scope_of(root)))


def test_scope_rules_by_hand() -> None:
    """Scope's own answers, on paths alone (no database). A scope is frozen: NOBODY is
    shared by every anonymous and deactivated user."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOBODY.paths = ("D/",)  # type: ignore[misc]
    assert len({NOBODY, Scope(paths=(), roles=frozenset())}) == 1
    street = Scope(
        paths=("D/D01/",),
        roles=frozenset({Role.DISPATCHER}),
        grants=(("D/D01/", Role.DISPATCHER), ("D/D01/D01001/", Role.HANDLER)),
    )
    community = Unit(code="D01001", path="D/D01/D01001/")
    neighbour = Unit(code="D010", path="D/D010/")  # a code prefix, not a subtree
    district = Unit(code="D", path="D/")
    assert street.covers(community) and not street.covers(neighbour)
    assert not street.covers(district)
    assert street.roles_over(community) == {Role.DISPATCHER, Role.HANDLER}
    assert street.roles_over(Unit(code="D01", path="D/D01/")) == {Role.DISPATCHER}
    assert street.roles_over(district) == set()  # roles reach down, never up
    assert street.has_role(Role.OPERATOR, Role.DISPATCHER)
    assert not street.has_role(Role.OPERATOR, Role.LEADER)
    assert not NOBODY.has_role(*Role.values) and NOBODY.roles_over(district) == set()
    assert not NOBODY.covers(district)
    everything = Scope(paths=(), roles=frozenset(), everything=True)
    assert everything.covers(neighbour) and everything.has_role(Role.LEADER)
    assert str(everything.q("path")) == "(AND: )" == str(everything.q_field("grid__path"))
    assert str(NOBODY.q("path")) == str(NOBODY.q_field("path")) == "(AND: ('pk__in', []))"
    two = Scope(paths=("D/D01/", "D/D02/"), roles=frozenset(), field_paths=("D/D02/G/",))
    assert str(two.q("owner_unit__path")) == (
        "(OR: ('owner_unit__path__startswith', 'D/D01/'), "
        "('owner_unit__path__startswith', 'D/D02/'))"
    )
    assert str(two.q_field("grid__path")) == "(AND: ('grid__path__startswith', 'D/D02/G/'))"


def test_a_scope_is_read_once_per_user_object(staff: Staff, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.get(pk=staff.street_dispatcher.pk)
    with django_assert_num_queries(1):
        first = scope_of(user)
        assert scope_of(user) is first
    assert first.paths == (staff.tree.streets[0].path,)
    assert first.grants == ((staff.tree.streets[0].path, Role.DISPATCHER),)


def test_memberships_in_a_subtree_fold_into_the_outermost(staff: Staff) -> None:
    """A dispatcher of street 0 who is also a handler of community 0 and of a grid of
    community 1: one subtree (the street), both roles, every grant kept."""
    user = make_member(staff.tree.streets[0], Role.DISPATCHER)
    org_actions.grant_membership(user=user, unit=staff.tree.communities[0], role=Role.HANDLER)
    org_actions.grant_membership(user=user, unit=staff.tree.grids[4], role=Role.GRID_WORKER)
    org_actions.grant_membership(user=user, unit=staff.tree.communities[2], role=Role.HANDLER)
    scope = scope_of(User.objects.get(pk=user.pk))
    assert scope.paths == (staff.tree.streets[0].path, staff.tree.communities[2].path)
    assert scope.field_paths == (staff.tree.grids[4].path,)
    assert scope.roles == {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER}
    assert len(scope.grants) == 4


def test_a_membership_in_a_deactivated_unit_counts_for_nothing(staff: Staff) -> None:
    handler = make_member(staff.tree.communities[1], Role.HANDLER)
    staff.tree.communities[1].active = False
    staff.tree.communities[1].save()
    scope = scope_of(User.objects.get(pk=handler.pk))
    assert scope.paths == () and scope.roles == frozenset() and scope.grants == ()


# --- /api/org/me ----------------------------------------------------------------------------


def unit_out(unit: Unit, kind_label: str, children: int) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": kind_label,
        "parent_code": unit.parent.code if unit.parent_id else None,
        "active": True,
        "children": children,
    }


def test_api_org_me(staff: Staff) -> None:
    community = staff.tree.communities[0]
    assert logged_in(staff.community_handler).get("/api/org/me").json() == {
        "username": "sq",
        "display_name": str(staff.community_handler),
        "roles": ["handler"],
        "units": [unit_out(community, "社区", 4)],
    }
    # Two memberships, one inside the other: one top unit, both roles.
    org_actions.grant_membership(user=staff.street_dispatcher, unit=community, role=Role.HANDLER)
    me = logged_in(staff.street_dispatcher).get("/api/org/me").json()
    assert me["roles"] == ["dispatcher", "handler"]
    assert me["units"] == [unit_out(staff.tree.streets[0], "街道", 2)]

    root = UserFactory(username="root", display_name="", is_superuser=True)
    me = logged_in(root).get("/api/org/me").json()
    assert me["username"] == me["display_name"] == "root"
    assert me["roles"] == sorted(Role.values)
    assert me["units"] == [unit_out(staff.tree.district, "区", 3)]  # 2 streets, 1 department

    volunteer = make_member(staff.tree.grids[0], Role.VOLUNTEER, username="zyz")
    me = logged_in(volunteer).get("/api/org/me").json()
    assert me["roles"] == ["volunteer"]
    assert me["units"] == [unit_out(staff.tree.grids[0], "网格", 0)]

    me = logged_in(staff.outsider).get("/api/org/me").json()
    assert me == {"username": "waike", "display_name": "waike", "roles": [], "units": []}
    assert Client().get("/api/org/me").status_code == 401


# --- what a case's surroundings forbid ------------------------------------------------------


def test_departments_at_work_hold_the_case_where_it_is(staff: Staff) -> None:
    case = whistled(staff)
    d = staff.street_dispatcher
    assert set(allowed_actions(case, d)) == {"handle", "supervise", "remind", "whistle", "withdraw"}
    version = case.version
    for attempt, message in (
        (lambda: actions.resolve_case(case, actor=d, reply="已处理"), "请等其完成后再办结"),
        (lambda: actions.return_case(case, actor=d, reason="非本辖区"), "不能退单"),
        (lambda: actions.escalate_case(case, actor=d, reason="协调"), "不能提级"),
        (lambda: actions.escalate_case(case, actor=None, reason="超时"), "不能提级"),
        (
            lambda: actions.whistle_case(case, actor=d, lead=staff.tree.department),
            "已吹哨且仍在处置中：区城市管理局",
        ),
    ):
        with pytest.raises(Conflict, match=f"职能部门仍在处置该工单，{message}|{message}"):
            attempt()
        unchanged(case, version)
    task = case.tasks.get()
    task = actions.check_in_task(task, actor=staff.department_handler)
    task = actions.start_task(task, actor=staff.department_handler)
    actions.finish_task(task, actor=staff.department_handler, note="已整改")
    case.refresh_from_db()
    assert set(allowed_actions(case, d)) == {
        "handle",
        "resolve",
        "return",
        "escalate",
        "supervise",
        "remind",
        "whistle",
        "withdraw",
    }
    assert actions.resolve_case(case, actor=d, reply="已整改到位").state == State.RESOLVED


def test_a_case_escalated_to_the_district_can_go_neither_up_nor_back(staff: Staff) -> None:
    """Escalated from a street that the district dispatched it to, the case has no
    dispatcher below the district to go back to, and no tier above."""
    case = _dispatched(staff, "moderate")
    case = actions.escalate_case(case, actor=staff.street_dispatcher, reason="需区级统筹")
    assert case.owner_unit == staff.tree.district and case.dispatcher_unit is None
    d = staff.district_dispatcher
    assert set(allowed_actions(case, d)) == {
        "acknowledge",
        "merge",
        "supervise",
        "remind",
        "whistle",
        "withdraw",
    }
    version = case.version
    with pytest.raises(Conflict, match="区级不能退单：没有更上一级的单位。"):
        actions.return_case(case, actor=d, reason="非本辖区")
    with pytest.raises(Conflict, match="该工单已在区级，无法再提级。"):
        actions.escalate_case(case, actor=None, reason="超时")
    unchanged(case, version)


def test_a_returned_case_at_a_street_may_be_escalated(staff: Staff) -> None:
    """Escalating a returned case is allowed where there is a unit above. Returned cases
    go back to their dispatcher, which today is always the district (only it dispatches),
    so this state is made by hand: a street's case, returned to it by a community."""
    case = _dispatched(staff)
    Case.objects.filter(pk=case.pk).update(
        state=State.RETURNED,
        owner_unit=staff.tree.streets[0],
        dispatcher_unit=staff.tree.streets[0],
    )
    case.refresh_from_db()
    assert "escalate" in allowed_actions(case, staff.street_dispatcher)
    assert "escalate" not in allowed_actions(case, staff.community_handler)
    case = actions.escalate_case(case, actor=None, reason="退单后超时")
    assert (case.state, case.owner_unit, case.dispatcher_unit) == (
        State.DISPATCHED,
        staff.tree.district,
        None,
    )


def test_whoever_fixed_it_on_the_spot_may_not_verify_it(staff: Staff) -> None:
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["micro"],
        urgency="normal",
    )
    case = actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已当场清理")
    assert case.owner_unit == staff.tree.grids[0] and case.state == State.RESOLVED
    assert "verify" not in allowed_actions(case, staff.grid_worker)
    with pytest.raises(Forbidden, match="此工单由您办结，须由他人核查处置结果。"):
        actions.verify_case(case, actor=staff.grid_worker, passed=True)
    unchanged(case, case.version)
    assert "verify" in allowed_actions(case, staff.street_dispatcher)


def test_the_last_resolver_may_not_verify_but_an_earlier_one_may(staff: Staff) -> None:
    case = _resolved(staff)  # by the community handler
    case = actions.verify_case(case, actor=staff.grid_worker, passed=False, note="仍有杂物")
    case = actions.resolve_case(case, actor=staff.street_dispatcher, reply="已再次清理")
    assert "verify" not in allowed_actions(case, staff.street_dispatcher)
    assert "verify" in allowed_actions(case, staff.district_dispatcher)
    # The grid worker (who did not resolve it) verifies; the street dispatcher (who did,
    # last) may not, though he may verify other cases.
    other = _resolved(staff)
    assert "verify" in allowed_actions(other, staff.street_dispatcher)


def test_a_case_not_located_is_verified_by_its_owner_not_by_a_grid(staff: Staff) -> None:
    case = submit(staff.tree, grid_index=None)
    case = actions.triage_case(
        case, actor=staff.district_dispatcher, category=staff.categories["minor"], urgency="normal"
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    assert case.owner_unit == staff.tree.district and case.grid is None
    case = actions.acknowledge_case(case, actor=staff.district_dispatcher)
    case = actions.resolve_case(case, actor=staff.district_dispatcher, reply="已处理")
    assert allowed_actions(case, staff.grid_worker) == []
    assert allowed_actions(case, staff.street_dispatcher) == []
    with pytest.raises(Forbidden, match="只有所在网格的网格员或上级调度员才能核查。"):
        actions.verify_case(case, actor=staff.grid_worker, passed=True)
    assert allowed_actions(case, staff.leader) == [
        "verify",
        "reopen",
        "supervise",
        "remind",
        "withdraw",
    ]


def test_who_may_know_the_resident(staff: Staff) -> None:
    case = _handling(staff)  # community 0's, dispatched by the district
    knows = {
        name
        for name in (
            "district_dispatcher",
            "leader",
            "operator",
            "street_dispatcher",
            "other_street_dispatcher",
            "community_handler",
            "other_community_handler",
            "grid_worker",
            "department_handler",
            "outsider",
        )
        if may_know_resident(case, getattr(staff, name))
    }
    assert knows == {"district_dispatcher", "leader", "operator", "street_dispatcher"}
    assert not may_know_resident(case, None)
    # Over the unit that dispatched it too: a street's case escalated to the district.
    street_case = actions.escalate_case(
        _dispatched(staff, "moderate"), actor=staff.street_dispatcher, reason="协调"
    )
    street_case.dispatcher_unit = staff.tree.streets[1]  # as if street 1 had sent it up
    assert may_know_resident(street_case, staff.other_street_dispatcher)
    assert not may_know_resident(street_case, staff.street_dispatcher)


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [("micro", None), ("micro_not_grid", "该类别不能由网格自行处置，请上报。")],
)
def test_a_grid_fixes_on_the_spot_only_what_its_category_allows(
    staff: Staff, kind: str, refusal: str | None
) -> None:
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories[kind],
        urgency="normal",
    )
    offered = "fix_on_the_spot" in allowed_actions(case, staff.grid_worker)
    assert offered == (refusal is None)
    if refusal:
        with pytest.raises(Invalid, match=refusal):
            actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已清理")
        unchanged(case, case.version)
    else:
        assert actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已清理").state == (
            State.RESOLVED
        )


def test_possible_takes_an_action_by_its_plain_name(staff: Staff) -> None:
    """Callers may name an action by its string (a form, the API, a stored event), not
    only by the ``Action`` member."""
    snapshot = Snapshot.of(_handling(staff))
    refusal = possible("acknowledge", snapshot, NOWHERE)
    assert isinstance(refusal, Conflict) and refusal.message == "该工单已被签收。"
    assert possible("resolve", snapshot, NOWHERE) is None
    assert possible("verify", snapshot, NOWHERE).message == "“处置中”的工单不能核查。"  # type: ignore[union-attr]


def test_the_resolver_check_takes_an_action_by_its_plain_name(staff: Staff) -> None:
    case = actions.resolve_case(_handling(staff), actor=staff.street_dispatcher, reply="已处理")
    assert not may(case, "verify", staff.street_dispatcher)
    assert may(case, "verify", staff.district_dispatcher)
    with pytest.raises(Forbidden, match="此工单由您办结"):
        check_right(case, "verify", staff.street_dispatcher)
    check_right(case, "reopen", staff.street_dispatcher)  # only verifying is barred
    assert "withdraw" in allowed_actions(case, staff.street_dispatcher)
    case = actions.withdraw_from_public(case, actor=staff.street_dispatcher, reason="含住址")
    assert case.withdrawn_from_public_at is not None


def test_a_case_fixed_on_the_spot_and_reopened_goes_back_to_the_community(staff: Staff) -> None:
    """It was never dispatched: a return goes to the unit above the grid."""
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["micro"],
        urgency="normal",
    )
    case = actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已当场清理")
    case = actions.verify_case(case, actor=staff.street_dispatcher, passed=False, note="没清干净")
    assert (case.state, case.owner_unit, case.dispatcher_unit) == (
        State.HANDLING,
        staff.tree.grids[0],
        None,
    )
    assert "return" in allowed_actions(case, staff.grid_worker)
    case = actions.return_case(case, actor=staff.grid_worker, reason="需社区协调")
    assert (case.state, case.owner_unit) == (State.RETURNED, staff.tree.communities[0])


def test_the_district_may_return_a_case_it_dispatched_to_itself(staff: Staff) -> None:
    """A major matter goes to the district; returned, it waits in the district
    dispatchers' queue to be dispatched again."""
    case = _dispatched(staff, "major")
    assert case.owner_unit == case.dispatcher_unit == staff.tree.district
    assert "return" in allowed_actions(case, staff.district_dispatcher)
    case = actions.return_case(case, actor=staff.district_dispatcher, reason="需重新研判")
    assert (case.state, case.owner_unit) == (State.RETURNED, staff.tree.district)


def test_the_rules_table_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULES["triage"].system = False  # type: ignore[misc]


def test_the_resolver_is_recognised_by_value_not_identity(staff: Staff) -> None:
    """Ids above 256 are distinct int objects in Python: a big id must still match."""
    resolver = make_member(staff.tree.streets[0], Role.DISPATCHER, id=4242, username="da_id")
    case = actions.resolve_case(_handling(staff), actor=resolver, reply="已处理")
    resolver = User.objects.get(pk=4242)
    assert "verify" not in allowed_actions(case, resolver)
    with pytest.raises(Forbidden, match="此工单由您办结"):
        actions.verify_case(case, actor=resolver, passed=True)


def test_the_resolver_bar_is_for_a_resolved_case_only(staff: Staff) -> None:
    """Elsewhere the state answers: a resolver who tries to verify a returned case hears
    that a returned case cannot be verified (409), not that they resolved it."""
    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["micro"],
        urgency="normal",
    )
    case = actions.fix_on_the_spot(case, actor=staff.grid_worker, reply="已当场清理")
    case = actions.verify_case(case, actor=staff.street_dispatcher, passed=False, note="没清干净")
    case = actions.return_case(case, actor=staff.grid_worker, reason="需社区协调")
    with pytest.raises(Conflict, match="“已退单”的工单不能核查。"):
        actions.verify_case(case, actor=staff.grid_worker, passed=True)
    unchanged(case, case.version)
    # And once someone else has verified it, the resolver hears that it is followed up.
    case = actions.resolve_case(_handling(staff), actor=staff.street_dispatcher, reply="已处理")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    with pytest.raises(Conflict, match="“待回访”的工单不能核查。"):
        actions.verify_case(case, actor=staff.street_dispatcher, passed=True)


def test_a_scope_reaches_units_by_id_and_over_the_whole_tree_filters_nothing(
    staff: Staff,
) -> None:
    leader = scope_of(User.objects.get(pk=staff.leader.pk)).reach
    assert leader == Reach(everywhere=True)
    assert " WHERE " not in str(Case.objects.visible_to(staff.leader).query)
    street = scope_of(User.objects.get(pk=staff.street_dispatcher.pk)).reach
    subtree = Unit.objects.subtree(staff.tree.streets[0]).values_list("pk", flat=True)
    assert not street.everywhere and set(street.unit_ids) == set(subtree)
    assert street.department_ids == () and street.grid_ids == ()
    department = scope_of(User.objects.get(pk=staff.department_handler.pk)).reach
    assert department.unit_ids == department.department_ids == (staff.tree.department.pk,)
    grid = scope_of(User.objects.get(pk=staff.grid_worker.pk)).reach
    assert grid.grid_ids == (staff.tree.grids[0].pk,) and grid.department_ids == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        leader.everywhere = False  # type: ignore[misc]
    # Covering every root is enough, whatever else a scope lists.
    listed = Scope(paths=(staff.tree.district.path, staff.tree.streets[0].path), roles=frozenset())
    assert listed.reach == Reach(everywhere=True)
