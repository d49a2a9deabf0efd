"""Who may make which transition: every role, on its own unit's case and another's.

The expected table is written out here by hand, independent of
``civicgrid.cases.permissions.RULES``, and each cell is checked by calling the
real transition function (and against ``allowed_actions``, which draws buttons).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from civicgrid.cases import actions
from civicgrid.cases.models import Case, State, Urgency
from civicgrid.cases.permissions import allowed_actions
from civicgrid.errors import Conflict, Forbidden
from tests.cases.conftest import Staff
from tests.factories import submit

ACTORS = [
    "community_handler",  # owns the case (community 0)
    "other_community_handler",  # community 1, same street
    "grid_worker",  # the case's grid, below the community
    "street_dispatcher",  # street 0, above the community
    "other_street_dispatcher",
    "district_dispatcher",
    "leader",
    "operator",
    "department_handler",
    "outsider",
]

ABOVE = {"street_dispatcher", "district_dispatcher"}
# action → who may do it, for a case owned by community 0 (or, where noted, another unit)
EXPECTED: dict[str, set[str]] = {
    "triage": {"district_dispatcher"},  # a new case sits at the district
    "dispatch": {"district_dispatcher"},
    "reject": {"district_dispatcher"},
    "merge": {"district_dispatcher", "operator"},
    "acknowledge": {"community_handler"} | ABOVE,
    "return": {"community_handler"} | ABOVE,
    "handle": {"community_handler"} | ABOVE,
    "resolve": {"community_handler"} | ABOVE,
    "escalate": {"community_handler", "leader"} | ABOVE,
    "verify": {"grid_worker", "leader"} | ABOVE,
    "follow_up": {"operator"} | ABOVE,
    "rate": {"operator"} | ABOVE,
    "close": {"operator", "leader"} | ABOVE,
    "reopen": {"leader"} | ABOVE,
    "supervise": {"leader"} | ABOVE,
    "remind": {"leader"} | ABOVE,
    "whistle": ABOVE,  # on a case owned by street 0
}


def _dispatched(s: Staff, kind: str = "minor") -> Case:
    case = submit(s.tree)
    case = actions.triage_case(
        case, actor=s.district_dispatcher, category=s.categories[kind], urgency=Urgency.NORMAL
    )
    return actions.dispatch_case(case, actor=s.district_dispatcher)


def _handling(s: Staff) -> Case:
    return actions.acknowledge_case(_dispatched(s), actor=s.community_handler)


def _resolved(s: Staff) -> Case:
    return actions.resolve_case(_handling(s), actor=s.community_handler, reply="已处理")


def _follow_up(s: Staff) -> Case:
    return actions.verify_case(_resolved(s), actor=s.grid_worker, passed=True)


def _closed(s: Staff) -> Case:
    return actions.close_case(_follow_up(s), actor=s.operator)


Setup = Callable[[Staff], tuple[Case, dict]]
SETUPS: dict[str, Setup] = {
    "triage": lambda s: (
        submit(s.tree),
        {"category": s.categories["minor"], "urgency": Urgency.NORMAL},
    ),
    "dispatch": lambda s: (
        actions.triage_case(
            submit(s.tree),
            actor=s.district_dispatcher,
            category=s.categories["minor"],
            urgency=Urgency.NORMAL,
        ),
        {},
    ),
    "reject": lambda s: (submit(s.tree), {"reason": "无效"}),
    "merge": lambda s: (submit(s.tree), {"into": submit(s.tree).tracking_code}),
    "acknowledge": lambda s: (_dispatched(s), {}),
    "return": lambda s: (_dispatched(s), {"reason": "不属于本单位"}),
    "handle": lambda s: (_handling(s), {"note": "已到场"}),
    "resolve": lambda s: (_handling(s), {"reply": "已处理"}),
    "escalate": lambda s: (_handling(s), {"reason": "需上级协调"}),
    "verify": lambda s: (_resolved(s), {"passed": True}),
    "follow_up": lambda s: (_follow_up(s), {"reached": True}),
    "rate": lambda s: (_follow_up(s), {"rating": 4, "solved": True}),
    "close": lambda s: (_follow_up(s), {}),
    "reopen": lambda s: (_closed(s), {"reason": "群众再次反映"}),
    "supervise": lambda s: (_handling(s), {"reason": "重点关注"}),
    "remind": lambda s: (_handling(s), {}),
    "whistle": lambda s: (_dispatched(s, "moderate"), {"lead": s.tree.department}),
}

FUNCTIONS = {
    "triage": actions.triage_case,
    "dispatch": actions.dispatch_case,
    "reject": actions.reject_case,
    "merge": actions.merge_case,
    "acknowledge": actions.acknowledge_case,
    "return": actions.return_case,
    "handle": actions.handle_case,
    "resolve": actions.resolve_case,
    "escalate": actions.escalate_case,
    "verify": actions.verify_case,
    "follow_up": actions.follow_up_case,
    "rate": actions.rate_case,
    "close": actions.close_case,
    "reopen": actions.reopen_case,
    "supervise": actions.supervise_case,
    "remind": actions.remind_case,
    "whistle": actions.whistle_case,
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_permission_matrix(staff: Staff, action: str) -> None:
    allowed, refused = set(), set()
    for name in ACTORS:
        actor = getattr(staff, name)
        case, kwargs = SETUPS[action](staff)
        shown = action in allowed_actions(case, actor)
        version = case.version
        try:
            FUNCTIONS[action](case, actor=actor, **kwargs)
        except Forbidden:
            refused.add(name)
            case.refresh_from_db()
            assert case.version == version, f"{name} was refused {action} but the case changed"
            assert not shown, f"{action} is offered to {name}, who is then refused"
        else:
            allowed.add(name)
            assert shown, f"{name} may {action} but is not offered the button"
    assert allowed == EXPECTED[action], f"{action}: allowed {sorted(allowed)}"
    assert refused == set(ACTORS) - EXPECTED[action]


def test_system_may_escalate_remind_and_supervise_but_not_acknowledge(staff: Staff) -> None:
    case = _dispatched(staff)
    actions.remind_case(case, actor=None, deadline="acknowledge")
    actions.supervise_case(case, actor=None, reason="超时", deadline="acknowledge")
    actions.escalate_case(case, actor=None, reason="签收超时", deadline="acknowledge")
    with pytest.raises(Forbidden):
        actions.acknowledge_case(case, actor=None)


def test_departments_see_only_their_tasks(staff: Staff) -> None:
    whistled = _dispatched(staff, "moderate")
    actions.whistle_case(whistled, actor=staff.street_dispatcher, lead=staff.tree.department)
    other = _dispatched(staff, "moderate")
    visible = set(Case.objects.visible_to(staff.department_handler))
    assert visible == {whistled}
    assert other not in set(Case.objects.visible_to(staff.other_street_dispatcher))
    community_cases = set(Case.objects.visible_to(staff.community_handler))
    assert whistled not in community_cases  # it is the street's


def test_grid_workers_see_what_is_located_in_their_grid(staff: Staff) -> None:
    here = _dispatched(staff)  # located in grid 0, owned by community 0
    elsewhere = submit(staff.tree, grid_index=1)
    visible = set(Case.objects.visible_to(staff.grid_worker))
    assert here in visible and elsewhere not in visible


def test_whoever_resolved_a_case_may_not_verify_it(staff: Staff) -> None:
    """核查 is a second person's look at the fix; the street dispatcher may both resolve
    and verify a community's case, but not the same one."""
    case = actions.resolve_case(_handling(staff), actor=staff.street_dispatcher, reply="已处理")
    assert "verify" not in allowed_actions(case, staff.street_dispatcher)
    version = case.version
    for passed, note in ((True, ""), (False, "仍未处理好")):
        with pytest.raises(Forbidden):
            actions.verify_case(case, actor=staff.street_dispatcher, passed=passed, note=note)
        case.refresh_from_db()
        assert case.version == version, "a refused verification changed the case"
    assert "verify" in allowed_actions(case, staff.grid_worker)
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    assert case.state == State.FOLLOW_UP


def test_the_api_says_why_a_resolver_may_not_verify(staff: Staff) -> None:
    from django.test import Client

    case = actions.resolve_case(_handling(staff), actor=staff.street_dispatcher, reply="已处理")
    client = Client()
    client.force_login(staff.street_dispatcher)
    response = client.post(
        f"/api/cases/{case.tracking_code}/verify",
        {"version": case.version, "passed": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "由他人核查" in response.json()["detail"]


def test_no_right_is_heard_before_a_wrong_state(staff: Staff) -> None:
    """403 says "not yours", whatever the case's state; 409 is for those who may."""
    closed = _closed(staff)
    for actor in (staff.outsider, staff.other_community_handler, staff.department_handler):
        with pytest.raises(Forbidden):
            actions.acknowledge_case(closed, actor=actor)
    with pytest.raises(Conflict, match="已结案"):
        actions.acknowledge_case(closed, actor=staff.community_handler)


def test_a_button_is_offered_only_where_its_transition_can_succeed(staff: Staff) -> None:
    """The rules' conditions beyond the state: a case at a community is not whistled, a
    case at the district has no tier above, and departments at work hold a case."""
    at_community = _handling(staff)
    offered = allowed_actions(at_community, staff.street_dispatcher)
    assert "whistle" not in offered and "escalate" in offered
    with pytest.raises(Conflict, match="只有街镇或区级"):
        actions.whistle_case(
            at_community, actor=staff.street_dispatcher, lead=staff.tree.department
        )

    at_district = actions.triage_case(
        submit(staff.tree, grid_index=None),
        actor=staff.district_dispatcher,
        category=staff.categories["major"],
        urgency=Urgency.NORMAL,
    )
    at_district = actions.dispatch_case(at_district, actor=staff.district_dispatcher)
    assert at_district.owner_unit == staff.tree.district
    offered = allowed_actions(at_district, staff.district_dispatcher)
    assert "escalate" not in offered and "whistle" in offered
    with pytest.raises(Conflict, match="已在区级"):
        actions.escalate_case(at_district, actor=staff.district_dispatcher, reason="需协调")

    whistled = actions.whistle_case(
        _dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    offered = allowed_actions(whistled, staff.street_dispatcher)
    assert not {"resolve", "return", "escalate"} & set(offered)
    assert {"handle", "supervise"} <= set(offered)


def test_tasks_are_scoped_to_their_departments(staff: Staff) -> None:
    from civicgrid.cases.models import WhistleTask

    whistled = actions.whistle_case(
        _dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    task = whistled.tasks.get()
    assert list(WhistleTask.objects.visible_to(staff.department_handler)) == [task]
    for nobody in (staff.street_dispatcher, staff.community_handler, staff.outsider):
        assert not WhistleTask.objects.visible_to(nobody).exists()
    assert list(WhistleTask.objects.visible_to(staff.leader)) == [task], "the district's"
    with pytest.raises(Forbidden):
        actions.check_in_task(task, actor=staff.street_dispatcher)


def test_the_api_looks_up_units_within_reach(staff: Staff) -> None:
    """Dispatch names a unit the dispatcher may see; whistling names an active department."""
    from django.test import Client

    case = actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    case = actions.return_case(case, actor=staff.community_handler, reason="不属于本社区")
    client = Client()
    client.force_login(staff.street_dispatcher)
    invisible = client.post(
        f"/api/cases/{case.tracking_code}/dispatch",
        {"version": case.version, "unit": staff.tree.streets[1].code},
        content_type="application/json",
    )
    assert invisible.status_code == 404 and "D02" in invisible.json()["detail"]
    moderate = _dispatched(staff, "moderate")
    not_a_department = client.post(
        f"/api/cases/{moderate.tracking_code}/whistle",
        {"version": moderate.version, "lead": staff.tree.communities[0].code},
        content_type="application/json",
    )
    assert not_a_department.status_code == 404
    assert "未知的职能部门" in not_a_department.json()["detail"]


def test_a_department_does_not_know_the_resident(staff: Staff) -> None:
    from civicgrid.cases.permissions import may_know_resident

    whistled = actions.whistle_case(
        _dispatched(staff, "moderate"), actor=staff.street_dispatcher, lead=staff.tree.department
    )
    assert Case.objects.visible_to(staff.department_handler).filter(pk=whistled.pk).exists()
    assert not may_know_resident(whistled, staff.department_handler)
    assert may_know_resident(whistled, staff.street_dispatcher)
    assert may_know_resident(whistled, staff.operator) and may_know_resident(whistled, staff.leader)
