from __future__ import annotations

import pytest

from civicgrid.cases import actions
from civicgrid.cases.actions import replay
from civicgrid.cases.models import Case, CaseEvent, State, TaskState, Tier, Urgency
from civicgrid.errors import Conflict, Forbidden, Invalid
from tests.cases.conftest import Staff
from tests.factories import submit


def assert_log_is_truth(case: Case) -> None:
    case.refresh_from_db()
    r = replay(case.events.order_by("seq"))
    assert (r.state, r.owner_unit_id, r.version) == (case.state, case.owner_unit_id, case.version)
    assert (r.returns, r.reopens, r.escalations, r.reminders, r.supervised) == (
        case.returns,
        case.reopens,
        case.escalations,
        case.reminders,
        case.supervised,
    )
    assert (r.follow_up_attempts, r.unreachable) == (case.follow_up_attempts, case.unreachable)


def dispatched(staff: Staff, kind: str = "minor", **kw) -> Case:  # type: ignore[no-untyped-def]
    case = submit(staff.tree, **kw)
    case = actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories[kind],
        urgency=Urgency.NORMAL,
    )
    return actions.dispatch_case(case, actor=staff.district_dispatcher)


def test_the_whole_loop(staff: Staff) -> None:
    case = submit(staff.tree)
    assert case.state == State.SUBMITTED and case.owner_unit == staff.tree.district
    assert case.grid == staff.tree.grids[0]
    case = actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    assert case.tier == Tier.MINOR
    case = actions.dispatch_case(case, actor=staff.district_dispatcher)
    assert case.owner_unit == staff.tree.communities[0] and case.state == State.DISPATCHED
    assert case.acknowledge_due > case.created_at and case.resolve_due > case.acknowledge_due
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.handle_case(case, actor=staff.community_handler, note="已联系物业清理")
    case = actions.resolve_case(case, actor=staff.community_handler, reply="杂物已清理完毕。")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    assert case.state == State.FOLLOW_UP and case.follow_up_due is not None
    case = actions.rate_case(case, actor=None, rating=5, solved=True, comment="很及时")
    assert case.state == State.CLOSED and case.rating == 5 and case.closed_at
    actions_done = list(case.events.order_by("seq").values_list("action", flat=True))
    assert actions_done == [
        "submit",
        "triage",
        "dispatch",
        "acknowledge",
        "handle",
        "resolve",
        "verify",
        "rate",
    ]
    assert_log_is_truth(case)


@pytest.mark.parametrize(
    ("kind", "grid_index", "owner"),
    [
        ("micro", 0, "grid"),
        ("micro_not_grid", 0, "community"),
        ("minor", 0, "community"),
        ("moderate", 0, "street"),
        ("major", 0, "district"),
        ("minor", None, "district"),  # not located: the district dispatchers' queue
    ],
)
def test_routing_by_tier_and_grid(staff: Staff, kind: str, grid_index, owner: str) -> None:  # type: ignore[no-untyped-def]
    case = dispatched(staff, kind, grid_index=grid_index)
    expected = {
        "grid": staff.tree.grids[0],
        "community": staff.tree.communities[0],
        "street": staff.tree.streets[0],
        "district": staff.tree.district,
    }[owner]
    assert case.owner_unit == expected


def test_a_category_to_a_department(staff: Staff) -> None:
    category = staff.categories["moderate"]
    category.to_department = True
    category.save()
    category.departments.set([staff.tree.department])
    assert dispatched(staff, "moderate").owner_unit == staff.tree.department


def test_return_goes_back_to_the_dispatcher_and_can_be_redispatched(staff: Staff) -> None:
    case = dispatched(staff)
    case = actions.return_case(case, actor=staff.community_handler, reason="不属于本社区")
    assert case.state == State.RETURNED and case.owner_unit == staff.tree.district
    assert case.returns == 1
    case = actions.dispatch_case(
        case, actor=staff.district_dispatcher, unit=staff.tree.communities[1]
    )
    assert case.owner_unit == staff.tree.communities[1]
    assert_log_is_truth(case)


def test_escalation_climbs_one_tier_at_a_time(staff: Staff) -> None:
    case = dispatched(staff)
    case = actions.escalate_case(case, actor=staff.community_handler, reason="需街道协调")
    assert case.owner_unit == staff.tree.streets[0] and case.tier == Tier.MODERATE
    case = actions.escalate_case(case, actor=None, reason="签收超时")
    assert case.owner_unit == staff.tree.district and case.tier == Tier.MAJOR
    with pytest.raises(Conflict, match="已在区级"):
        actions.escalate_case(case, actor=None, reason="签收超时")
    assert case.escalations == 2
    # Returned from the district's level it has nowhere to go but can be redispatched.
    assert_log_is_truth(case)


def test_whistle_tasks_and_the_case_waits_for_them(staff: Staff) -> None:
    case = dispatched(staff, "moderate")
    case = actions.whistle_case(
        case, actor=staff.street_dispatcher, lead=staff.tree.department, note="请城管局到场"
    )
    assert case.state == State.HANDLING
    task = case.tasks.get()
    assert task.lead and task.state == TaskState.NOTIFIED and task.check_in_due
    with pytest.raises(Conflict, match="职能部门仍在处置"):
        actions.resolve_case(case, actor=staff.street_dispatcher, reply="已处理")
    with pytest.raises(Forbidden):
        actions.check_in_task(task, actor=staff.community_handler)
    task = actions.check_in_task(task, actor=staff.department_handler)
    task = actions.start_task(task, actor=staff.department_handler)
    task = actions.finish_task(task, actor=staff.department_handler, note="已责令整改")
    assert task.state == TaskState.DONE
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert last.action == "finish_task" and last.data["all_tasks_done"] is True
    case = actions.resolve_case(case, actor=staff.street_dispatcher, reply="商铺已整改")
    assert case.state == State.RESOLVED
    assert_log_is_truth(case)


def test_only_street_or_district_cases_can_be_whistled(staff: Staff) -> None:
    case = dispatched(staff, "minor")  # at the community
    with pytest.raises(Conflict):
        actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.department)
    case = dispatched(staff, "moderate")
    with pytest.raises(Invalid):
        actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.communities[0])
    with pytest.raises(Forbidden):
        actions.whistle_case(case, actor=staff.other_street_dispatcher, lead=staff.tree.department)


def test_failed_verification_and_unsolved_rating_reopen(staff: Staff) -> None:
    case = dispatched(staff)
    case = actions.acknowledge_case(case, actor=staff.community_handler)
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已处理")
    with pytest.raises(Invalid):
        actions.verify_case(case, actor=staff.grid_worker, passed=False, note="")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=False, note="杂物仍在")
    assert case.state == State.HANDLING and case.reopens == 1
    case = actions.resolve_case(case, actor=staff.community_handler, reply="已彻底清理")
    case = actions.verify_case(case, actor=staff.grid_worker, passed=True)
    case = actions.rate_case(case, actor=staff.operator, rating=2, solved=False)
    assert case.state == State.HANDLING and case.reopens == 2
    assert_log_is_truth(case)


def test_merge_and_reject(staff: Staff) -> None:
    first, second, spam = submit(staff.tree), submit(staff.tree), submit(staff.tree)
    merged = actions.merge_case(second, actor=staff.operator, into=first.tracking_code)
    assert merged.state == State.MERGED and merged.merged_into == first
    with pytest.raises(Invalid):
        actions.merge_case(first, actor=staff.operator, into=first.tracking_code)
    with pytest.raises(Invalid):
        actions.merge_case(first, actor=staff.operator, into=merged.tracking_code)
    rejected = actions.reject_case(spam, actor=staff.district_dispatcher, reason="测试信息")
    assert rejected.state == State.REJECTED


def test_supervise_and_remind(staff: Staff) -> None:
    case = dispatched(staff)
    case = actions.remind_case(case, actor=staff.street_dispatcher, note="请尽快签收")
    case = actions.supervise_case(case, actor=staff.leader, reason="群众反映强烈")
    assert case.reminders == 1 and case.supervised
    with pytest.raises(Forbidden):
        actions.supervise_case(case, actor=staff.community_handler, reason="x")
    assert_log_is_truth(case)


def test_refusals_leave_the_case_unchanged(staff: Staff) -> None:
    case = dispatched(staff)
    before = (case.state, case.version, case.events.count())
    with pytest.raises(Forbidden, match="不能签收其他单位的工单"):
        actions.acknowledge_case(case, actor=staff.other_community_handler)
    with pytest.raises(Conflict, match="不能办结"):
        actions.resolve_case(case, actor=staff.community_handler, reply="x")
    with pytest.raises(Conflict, match="已被其他人更新"):
        actions.acknowledge_case(
            case, actor=staff.community_handler, expected_version=case.version - 1
        )
    case.refresh_from_db()
    assert (case.state, case.version, case.events.count()) == before
    actions.acknowledge_case(case, actor=staff.community_handler, expected_version=case.version)
    with pytest.raises(Conflict, match="已被签收"):
        actions.acknowledge_case(case, actor=staff.community_handler)


def test_the_grid_worker_cannot_act_on_community_cases(staff: Staff) -> None:
    case = dispatched(staff)  # owned by community 0, located in the worker's grid
    with pytest.raises(Forbidden):
        actions.acknowledge_case(case, actor=staff.grid_worker)
    with pytest.raises(Forbidden):
        actions.acknowledge_case(case, actor=staff.outsider)


def test_submission_refusals(staff: Staff) -> None:
    with pytest.raises(Invalid, match="描述"):
        submit(staff.tree, text="   ")
    with pytest.raises(Invalid):
        submit(staff.tree, channel="fax")
    assert not Case.objects.exists()
