"""Every transition × every case state × every kind of actor, against a table written
out here by hand (not read from ``civicgrid.cases.permissions.RULES``).

For each cell the real transition function is called and its outcome compared with
the table: allowed (and to which state), 403 (no right: with the rule's refusal),
409 (the state, or what lies around the case, does not allow it: with its message).
A refusal must leave the case as it was (version, state, owner, events); the
console's buttons (``allowed_actions``) must be exactly the calls that succeed.

Each case state is built once per test, through the real transitions, and every
call runs inside a savepoint rolled back afterwards, so a success does not spoil
the case for the next cell. Inputs here are valid; ``test_input_refusals`` has the
400s, where the input is the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.cases.permissions import allowed_actions
from civicgrid.errors import Refusal
from civicgrid.org.models import Role, User
from tests.cases.conftest import Staff
from tests.factories import UserFactory, make_member, submit

# --- the actors ------------------------------------------------------------------------------

D = "district_dispatcher"
L = "leader"
O = "operator"  # noqa: E741 - the hotline operator
S = "street_dispatcher"  # street 0, above community 0
C = "community_handler"  # community 0, which owns the community cases below
G = "grid_worker"  # grid 0, where every case below is located
SUPERUSER = "superuser"
SYSTEM = "system"  # actor=None: the resident or the sweeper
DEACTIVATED = "deactivated"  # a district dispatcher whose account was switched off
VOLUNTEER = "volunteer"  # a volunteer of grid 0
NOBODY = {
    "other_street_dispatcher",
    "other_community_handler",
    "department_handler",
    "outsider",
    DEACTIVATED,
    VOLUNTEER,
}
ACTORS = [D, L, O, S, C, G, SUPERUSER, SYSTEM, *sorted(NOBODY)]


@dataclass
class Cast:
    staff: Staff
    superuser: User
    deactivated: User
    volunteer: User

    def actor(self, name: str) -> User | None:
        if name == SYSTEM:
            return None
        if name in (SUPERUSER, DEACTIVATED, VOLUNTEER):
            return getattr(self, name)
        return getattr(self.staff, name)


def cast_of(staff: Staff) -> Cast:
    deactivated = make_member(staff.tree.district, Role.DISPATCHER, username="tingyong")
    deactivated.is_active = False
    deactivated.save()
    return Cast(
        staff=staff,
        superuser=UserFactory(username="root", is_superuser=True, is_staff=True),
        deactivated=deactivated,
        volunteer=make_member(staff.tree.grids[0], Role.VOLUNTEER, username="zhiyuanzhe"),
    )


# --- the hand-written table ------------------------------------------------------------------

# Who holds the right to each transition over a case owned by the district, by street 0
# or by community 0 (the case located in grid 0). A superuser always does; the system
# (actor None) where SYSTEM_MAY says so; nobody in NOBODY ever does.
_RESOLVERS = {"district": {D}, "street": {S, D}, "community": {C, S, D}}
_DISPATCHERS = {"district": {D}, "street": {S, D}, "community": {S, D}}
_SUPERVISORS = {"district": {D, L}, "street": {S, D, L}, "community": {S, D, L}}
_CALLERS = {"district": {D, O}, "street": {S, D, O}, "community": {S, D, O}}
RIGHTS: dict[str, dict[str, set[str]]] = {
    "triage": _DISPATCHERS,
    "dispatch": _DISPATCHERS,
    "reject": _DISPATCHERS,
    "whistle": _DISPATCHERS,
    "merge": _CALLERS,
    "follow_up": _CALLERS,
    "rate": _CALLERS,
    "close": {"district": {D, O, L}, "street": {S, D, O, L}, "community": {S, D, O, L}},
    "acknowledge": _RESOLVERS,
    "return": _RESOLVERS,
    "handle": _RESOLVERS,
    "resolve": _RESOLVERS,
    "escalate": {"district": {D, L}, "street": {S, D, L}, "community": {C, S, D, L}},
    # over the case's grid too: its grid worker, and street 0's dispatcher above it
    "verify": {"district": {S, D, L, G}, "street": {S, D, L, G}, "community": {S, D, L, G}},
    "reopen": _SUPERVISORS,
    "supervise": _SUPERVISORS,
    "remind": _SUPERVISORS,
    "fix_on_the_spot": {"district": {G}, "street": {G}, "community": {G}},
    # what is published: those who answer for the case, not who handles it
    "withdraw": _SUPERVISORS,
    "republish": _SUPERVISORS,
}
SYSTEM_MAY = {"triage", "rate", "escalate", "supervise", "remind"}

OPEN = {"submitted", "dispatched", "returned", "handling", "resolved", "follow_up"}
EVERY_STATE = OPEN | {"closed", "rejected", "merged"}
# From which states each transition may happen.
STATES: dict[str, set[str]] = {
    "fix_on_the_spot": {"submitted"},
    "triage": {"submitted", "returned"},
    "dispatch": {"submitted", "returned"},
    "reject": {"submitted", "returned"},
    "merge": {"submitted", "dispatched", "returned"},
    "acknowledge": {"dispatched"},
    "return": {"dispatched", "handling"},
    "handle": {"handling"},
    "resolve": {"handling"},
    "escalate": {"dispatched", "handling", "returned"},
    "whistle": {"dispatched", "handling"},
    "verify": {"resolved"},
    "follow_up": {"follow_up"},
    "rate": {"follow_up"},
    "close": {"follow_up"},
    "reopen": {"resolved", "follow_up", "closed"},
    "supervise": OPEN,
    "remind": OPEN,
    "withdraw": EVERY_STATE,
    "republish": EVERY_STATE,
}
# Where a successful transition leaves the case (None: where it was).
TO_STATE: dict[str, str | None] = {
    "fix_on_the_spot": "resolved",
    "triage": None,
    "dispatch": "dispatched",
    "reject": "rejected",
    "merge": "merged",
    "acknowledge": "handling",
    "return": "returned",
    "handle": None,
    "resolve": "resolved",
    "escalate": "dispatched",
    "whistle": "handling",
    "verify": "follow_up",  # passed
    "follow_up": None,
    "rate": "closed",  # solved
    "close": "closed",
    "reopen": "handling",
    "supervise": None,
    "remind": None,
    "withdraw": None,
    "republish": None,
}

# The refusal a person without the right reads (403).
NO_RIGHT = {
    "fix_on_the_spot": "只有该工单所在网格的网格员可以随手办结。",
    "triage": "只有本单位的调度员才能分类。",
    "dispatch": "只有本单位的调度员才能派单。",
    "reject": "只有本单位的调度员才能不予受理。",
    "merge": "只有调度员或接线员才能合并重复工单。",
    "acknowledge": "不能签收其他单位的工单。",
    "return": "不能退回其他单位的工单。",
    "handle": "不能处置其他单位的工单。",
    "resolve": "不能办结其他单位的工单。",
    "escalate": "不能提级其他单位的工单。",
    "whistle": "只有街镇或区级调度员才能吹哨。",
    "verify": "只有所在网格的网格员或上级调度员才能核查。",
    "follow_up": "只有接线员或调度员才能记录回访。",
    "rate": "只有接线员或调度员才能代为记录评价。",
    "close": "只有接线员、调度员或领导才能结案。",
    "reopen": "只有调度员或领导才能返工。",
    "supervise": "只有上级领导或调度员才能督办。",
    "remind": "只有上级领导或调度员才能催办。",
    "withdraw": "只有该工单所属单位或上级单位的调度员、领导可以撤下公开。",
    "republish": "只有该工单所属单位或上级单位的调度员、领导可以恢复公开。",
}
STATE_LABEL = {
    "submitted": "已受理",
    "dispatched": "已派单",
    "returned": "已退单",
    "handling": "处置中",
    "resolved": "已办结",
    "follow_up": "待回访",
    "closed": "已结案",
    "rejected": "不予受理",
    "merged": "已合并",
}
DOING = {
    "fix_on_the_spot": "随手办结",
    "triage": "分类",
    "dispatch": "派单",
    "reject": "不予受理",
    "merge": "合并",
    "acknowledge": "签收",
    "return": "退单",
    "handle": "处置",
    "resolve": "办结",
    "escalate": "提级",
    "whistle": "吹哨",
    "verify": "核查",
    "follow_up": "回访",
    "rate": "评价",
    "close": "结案",
    "reopen": "返工",
    "supervise": "督办",
    "remind": "催办",
    "withdraw": "撤下公开",  # (never refused by state)
    "republish": "恢复公开",
}


def not_now(action: str, state: str) -> str:
    """The 409 for a state an action is not allowed from."""
    if action == "acknowledge" and state == "handling":
        return "该工单已被签收。"
    return f"“{STATE_LABEL[state]}”的工单不能{DOING[action]}。"


# --- the cases, one per state ----------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    state: str
    owner: str  # district, street or community (0)
    build: Callable[[Staff], Case]
    # (action, status, message): what lies around this case (or what it lacks) forbids
    # what its state allows.
    around: tuple[tuple[str, int, str], ...] = ()
    name: str = ""
    withdrawn: bool = False  # from public view

    @property
    def id(self) -> str:
        return self.name or f"{self.owner}-{self.state}"


def _triaged(s: Staff, kind: str) -> Case:
    return actions.triage_case(
        submit(s.tree), actor=s.district_dispatcher, category=s.categories[kind], urgency="normal"
    )


def _dispatched(s: Staff, kind: str = "minor") -> Case:
    return actions.dispatch_case(_triaged(s, kind), actor=s.district_dispatcher)


def _handling(s: Staff) -> Case:
    return actions.acknowledge_case(_dispatched(s), actor=s.community_handler)


def _resolved(s: Staff) -> Case:
    return actions.resolve_case(_handling(s), actor=s.community_handler, reply="杂物已清理")


def _follow_up(s: Staff) -> Case:
    return actions.verify_case(_resolved(s), actor=s.grid_worker, passed=True)


NOT_AT_A_STREET = "只有街镇或区级的工单才能吹哨。"
AT_THE_TOP = "该工单已在区级，无法再提级。"

# Every case is built through the real transitions. A submitted case is triaged (as a
# micro matter a grid may fix itself) so that dispatch and the fix on the spot can go.
BUILT = [
    Built("submitted", "district", lambda s: _triaged(s, "micro")),
    # Not triaged yet: no category to route it by, so it cannot be dispatched.
    Built(
        "submitted",
        "district",
        lambda s: submit(s.tree),
        (("dispatch", 400, "请先分类（选择事项类别），再派单。"),),
        name="district-submitted-untriaged",
    ),
    Built("dispatched", "community", _dispatched, (("whistle", 409, NOT_AT_A_STREET),)),
    Built(
        "returned",
        "district",  # back at the dispatcher: the district, with nothing above it
        lambda s: actions.return_case(_dispatched(s), actor=s.community_handler, reason="非本辖区"),
        (("escalate", 409, AT_THE_TOP),),
    ),
    Built("handling", "community", _handling, (("whistle", 409, NOT_AT_A_STREET),)),
    Built(
        "handling",
        "community",
        lambda s: actions.withdraw_from_public(_handling(s), actor=s.leader, reason="含住址"),
        (("whistle", 409, NOT_AT_A_STREET),),
        name="community-handling-withdrawn",
        withdrawn=True,
    ),
    Built("resolved", "community", _resolved),
    Built("follow_up", "community", _follow_up),
    Built("closed", "community", lambda s: actions.close_case(_follow_up(s), actor=s.operator)),
    Built(
        "rejected",
        "district",
        lambda s: actions.reject_case(submit(s.tree), actor=s.district_dispatcher, reason="测试"),
    ),
    Built(
        "merged",
        "district",
        lambda s: actions.merge_case(
            submit(s.tree), actor=s.district_dispatcher, into=_dispatched(s).tracking_code
        ),
    ),
    # A moderate matter is the street's: the only owner here that may be whistled.
    Built("dispatched", "street", lambda s: _dispatched(s, "moderate")),
    Built(
        "handling",
        "street",
        lambda s: actions.acknowledge_case(_dispatched(s, "moderate"), actor=s.street_dispatcher),
    ),
]


def inputs(action: str, s: Staff, into: Case) -> dict[str, Any]:
    """Valid input for each transition."""
    return {
        "fix_on_the_spot": {"reply": "已当场清理"},
        "triage": {"category": s.categories["minor"], "urgency": Urgency.NORMAL},
        "dispatch": {},
        "reject": {"reason": "恶意诉求"},
        "merge": {"into": into.tracking_code},
        "acknowledge": {},
        "return": {"reason": "不属于本单位"},
        "handle": {"note": "已到场"},
        "resolve": {"reply": "已处理完毕"},
        "escalate": {"reason": "需上级协调"},
        "whistle": {"lead": s.tree.department},
        "verify": {"passed": True},
        "follow_up": {"reached": True},
        "rate": {"rating": 4, "solved": True},
        "close": {},
        "reopen": {"reason": "群众再次反映"},
        "supervise": {"reason": "重点关注"},
        "remind": {},
        "withdraw": {"reason": "描述中有住址"},
        "republish": {},
    }[action]


FUNCTIONS: dict[str, Callable[..., Case]] = {
    "fix_on_the_spot": actions.fix_on_the_spot,
    "triage": actions.triage_case,
    "dispatch": actions.dispatch_case,
    "reject": actions.reject_case,
    "merge": actions.merge_case,
    "acknowledge": actions.acknowledge_case,
    "return": actions.return_case,
    "handle": actions.handle_case,
    "resolve": actions.resolve_case,
    "escalate": actions.escalate_case,
    "whistle": actions.whistle_case,
    "verify": actions.verify_case,
    "follow_up": actions.follow_up_case,
    "rate": actions.rate_case,
    "close": actions.close_case,
    "reopen": actions.reopen_case,
    "supervise": actions.supervise_case,
    "remind": actions.remind_case,
    "withdraw": actions.withdraw_from_public,
    "republish": actions.republish_case,
}
assert set(FUNCTIONS) == set(RIGHTS) == set(STATES) == set(TO_STATE) == set(NO_RIGHT)


def expected(action: str, built: Built, actor: str) -> tuple[int | str, str]:
    """The table's answer for one cell: ("ok", state after) or (status, message)."""
    entitled = actor == SUPERUSER or actor in RIGHTS[action][built.owner]
    if actor == SYSTEM:
        entitled = action in SYSTEM_MAY
    if not entitled:
        return 403, NO_RIGHT[action]
    if built.state not in STATES[action]:
        return 409, not_now(action, built.state)
    for forbidden, status, message in built.around:
        if forbidden == action:
            return status, message
    if action == "withdraw" and built.withdrawn:
        return 409, "该工单已撤下公开。"
    if action == "republish" and not built.withdrawn:
        return 409, "该工单未被撤下公开。"
    return "ok", TO_STATE[action] or built.state


def case_row(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    events = list(fresh.events.order_by("seq").values_list("seq", "action"))
    return fresh.version, fresh.state, fresh.owner_unit_id, fresh.supervised, events


def attempt(
    function: Callable[..., Case],
    case: Case,
    actor: User | None,
    kwargs: dict[str, Any],
    before: tuple | None = None,
) -> tuple[int | str, str]:
    """Call the transition in a savepoint that is rolled back afterwards; a refusal is
    checked to have left the case as it was, a success to have written one event.
    ``before``: the case's row as it stands (read once for many attempts: each attempt
    is rolled back)."""
    before = before or case_row(case)
    with transaction.atomic():
        try:
            after = function(case, actor=actor, **kwargs)
        except Refusal as refusal:
            assert case_row(case) == before, f"refused ({refusal.message}) but the case changed"
            outcome: tuple[int | str, str] = (refusal.status, refusal.message)
        else:
            version, state, _owner, _supervised, events = case_row(case)
            assert version == before[0] + 1 == after.version, "not exactly one event"
            assert events[:-1] == before[-1] and events[-1][0] == version
            assert state == after.state
            outcome = ("ok", state)
        transaction.set_rollback(True)
    return outcome


@pytest.mark.parametrize("built", BUILT, ids=[b.id for b in BUILT])
def test_every_action_from_this_state_by_everyone(staff: Staff, built: Built) -> None:
    cast = cast_of(staff)
    into = _dispatched(staff)  # an open case of community 0: where a merge goes
    case = built.build(staff)
    case.refresh_from_db()
    assert case.state == built.state
    assert (
        case.owner_unit
        == {
            "district": staff.tree.district,
            "street": staff.tree.streets[0],
            "community": staff.tree.communities[0],
        }[built.owner]
    )
    assert case.grid == staff.tree.grids[0]

    wrong: list[str] = []
    before = case_row(case)
    for actor_name in ACTORS:
        actor = cast.actor(actor_name)
        offered = set(allowed_actions(case, actor))
        succeeded = set()
        for action, function in FUNCTIONS.items():
            got = attempt(function, case, actor, inputs(action, staff, into), before)
            want = expected(action, built, actor_name)
            if got != want:
                wrong.append(f"{action} by {actor_name}: got {got}, expected {want}")
            if got[0] == "ok":
                succeeded.add(action)
        if offered != succeeded:
            wrong.append(
                f"buttons for {actor_name}: offered {sorted(offered)}, succeed {sorted(succeeded)}"
            )
    assert not wrong, f"{built.owner} case, {built.state}:\n" + "\n".join(wrong)


# --- 回访: every outcome of a follow-up call, and of the resident's own rating ---------------


# Cases in follow-up (community 0's) with a past: none; two unanswered calls already;
# reopened twice already (the default policy's limit).
def _two_calls(s: Staff) -> Case:
    case = _follow_up(s)
    for _call in range(2):
        case = actions.follow_up_case(case, actor=s.operator, reached=False)
    return case


def _reopened_twice(s: Staff) -> Case:
    case = _resolved(s)
    for _round in range(2):
        case = actions.verify_case(case, actor=s.grid_worker, passed=False, note="仍有杂物")
        case = actions.resolve_case(case, actor=s.community_handler, reply="已再次清理")
    return actions.verify_case(case, actor=s.grid_worker, passed=True)


PASTS: dict[str, Callable[[Staff], Case]] = {
    "fresh": _follow_up,
    "two_calls": _two_calls,
    "reopened_twice": _reopened_twice,
}
CALLS: dict[str, dict[str, Any]] = {
    "missed": {"reached": False},
    "reached_no_word": {"reached": True},
    "solved_5": {"reached": True, "rating": 5, "solved": True},
    "solved_3": {"reached": True, "rating": 3, "solved": True},
    "solved_2": {"reached": True, "rating": 2, "solved": True},
    "not_solved_5": {"reached": True, "rating": 5, "solved": False},
}
SHUT, BACK, WAIT = "closed", "handling", "follow_up"
# (past, call) → (state after, the event written, unreachable) under the default policy
# (3 calls; "not solved" and 2 stars or fewer reopen; at most 2 reopens) and with the
# reopening switched off; the resident's own rating (actor None, ``rate_case``) is the
# same as a call's word.
OUTCOMES: dict[str, dict[tuple[str, str], tuple[str, str, bool]]] = {
    "default": {
        ("fresh", "missed"): (WAIT, "follow_up", False),
        ("fresh", "reached_no_word"): (WAIT, "follow_up", False),
        ("fresh", "solved_5"): (SHUT, "rate", False),
        ("fresh", "solved_3"): (SHUT, "rate", False),
        ("fresh", "solved_2"): (BACK, "rate", False),
        ("fresh", "not_solved_5"): (BACK, "rate", False),
        ("two_calls", "missed"): (SHUT, "close", True),
        ("two_calls", "reached_no_word"): (WAIT, "follow_up", False),
        ("two_calls", "solved_5"): (SHUT, "rate", False),
        ("two_calls", "solved_3"): (SHUT, "rate", False),
        ("two_calls", "solved_2"): (BACK, "rate", False),
        ("two_calls", "not_solved_5"): (BACK, "rate", False),
        ("reopened_twice", "missed"): (WAIT, "follow_up", False),
        ("reopened_twice", "reached_no_word"): (WAIT, "follow_up", False),
        ("reopened_twice", "solved_5"): (SHUT, "rate", False),
        ("reopened_twice", "solved_3"): (SHUT, "rate", False),
        ("reopened_twice", "solved_2"): (SHUT, "rate", False),
        ("reopened_twice", "not_solved_5"): (SHUT, "rate", False),
    },
    "off": {
        ("fresh", "missed"): (WAIT, "follow_up", False),
        ("fresh", "reached_no_word"): (WAIT, "follow_up", False),
        ("fresh", "solved_5"): (SHUT, "rate", False),
        ("fresh", "solved_3"): (SHUT, "rate", False),
        ("fresh", "solved_2"): (SHUT, "rate", False),
        ("fresh", "not_solved_5"): (SHUT, "rate", False),
        ("two_calls", "missed"): (SHUT, "close", True),
        ("two_calls", "reached_no_word"): (WAIT, "follow_up", False),
        ("two_calls", "solved_5"): (SHUT, "rate", False),
        ("two_calls", "solved_3"): (SHUT, "rate", False),
        ("two_calls", "solved_2"): (SHUT, "rate", False),
        ("two_calls", "not_solved_5"): (SHUT, "rate", False),
        ("reopened_twice", "missed"): (WAIT, "follow_up", False),
        ("reopened_twice", "reached_no_word"): (WAIT, "follow_up", False),
        ("reopened_twice", "solved_5"): (SHUT, "rate", False),
        ("reopened_twice", "solved_3"): (SHUT, "rate", False),
        ("reopened_twice", "solved_2"): (SHUT, "rate", False),
        ("reopened_twice", "not_solved_5"): (SHUT, "rate", False),
    },
}


def _outcome(
    function: Callable[..., Case], case: Case, actor: User | None, kwargs: dict[str, Any]
) -> tuple:
    """The call's outcome, rolled back: (state, event action, unreachable, calls counted),
    or (status, message) for a refusal (which must change nothing)."""
    before = case_row(case)
    with transaction.atomic():
        try:
            function(case, actor=actor, **kwargs)
        except Refusal as refusal:
            assert case_row(case) == before, f"refused ({refusal.message}) but the case changed"
            got: tuple = (refusal.status, refusal.message)
        else:
            fresh = Case.objects.get(pk=case.pk)
            version, state, _owner, _supervised, events = case_row(case)
            assert version == before[0] + 1 and events[:-1] == before[-1], "not one event"
            got = (state, events[-1][1], fresh.unreachable, fresh.follow_up_attempts)
        transaction.set_rollback(True)
    return got


@pytest.mark.parametrize("policy", list(OUTCOMES))
@pytest.mark.parametrize("past", list(PASTS))
def test_every_follow_up_outcome_by_everyone(staff: Staff, past: str, policy: str) -> None:
    from civicgrid.cases.models import FollowUpPolicy

    if policy == "off":
        FollowUpPolicy.objects.create(reopen_not_solved=False, reopen_at_most_stars=0)
    cast = cast_of(staff)
    case = PASTS[past](staff)
    case.refresh_from_db()
    assert case.state == "follow_up"
    calls_before = case.follow_up_attempts
    wrong = []
    for actor_name in ACTORS:
        actor = cast.actor(actor_name)
        entitled = actor_name == SUPERUSER or actor_name in RIGHTS["follow_up"]["community"]
        for name, kwargs in CALLS.items():
            state, action, unreachable = OUTCOMES[policy][(past, name)]
            want: tuple = (
                (state, action, unreachable, calls_before + 1)
                if entitled
                else (403, NO_RIGHT["follow_up"])
            )
            got = _outcome(actions.follow_up_case, case, actor, kwargs)
            if got != want:
                wrong.append(f"{name} by {actor_name}: got {got}, expected {want}")
        # The resident's own word on the tracking page: the same rule, no call counted.
        for name, kwargs in CALLS.items():
            if "rating" not in kwargs:
                continue
            state, action, _unreachable = OUTCOMES[policy][(past, name)]
            word = {"rating": kwargs["rating"], "solved": kwargs["solved"]}
            if actor_name == SYSTEM:
                got = _outcome(actions.rate_case, case, None, word)
                if got != (state, "rate", False, calls_before):
                    wrong.append(f"the resident's {name}: got {got}, expected {state}")
    assert not wrong, f"{past}, policy {policy}:\n" + "\n".join(wrong)


# --- whistle tasks: every move from every task state by everyone ----------------------------

TASK_LABEL = {
    "notified": "已通知",
    "checked_in": "已报到",
    "working": "处置中",
    "done": "已完成",
    "returned": "已退单",
}
# move → (the task states it may start from, where it leaves the task)
TASK_MOVES: dict[str, tuple[set[str], str]] = {
    "check_in": ({"notified"}, "checked_in"),
    "start_task": ({"checked_in"}, "working"),
    "finish_task": ({"working"}, "done"),
    "return_task": ({"notified", "checked_in"}, "returned"),
}
# The department's own staff: its handler, and the district dispatcher above it.
TASK_PEOPLE = {"department_handler", D, SUPERUSER}
TASK_CALLS: dict[str, Callable[..., Any]] = {
    "check_in": lambda task, actor: actions.check_in_task(task, actor=actor, note="已到场"),
    "start_task": lambda task, actor: actions.start_task(task, actor=actor),
    "finish_task": lambda task, actor: actions.finish_task(task, actor=actor, note="已整改"),
    "return_task": lambda task, actor: actions.return_task(task, actor=actor, reason="非本部门"),
}
# How each task state is reached from "notified", by the department's handler.
TASK_PATHS = {
    "notified": [],
    "checked_in": ["check_in"],
    "working": ["check_in", "start_task"],
    "done": ["check_in", "start_task", "finish_task"],
    "returned": ["return_task"],
}


def task_row(task: Any) -> tuple:
    task.refresh_from_db()
    return task.state, task.checked_in_at, task.done_at, task.note, case_row(task.case)


@pytest.mark.parametrize("task_state", list(TASK_PATHS))
def test_every_task_move_from_this_task_state_by_everyone(staff: Staff, task_state: str) -> None:
    cast = cast_of(staff)
    case = actions.acknowledge_case(_dispatched(staff, "moderate"), actor=staff.street_dispatcher)
    case = actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.department)
    task = case.tasks.get()
    for move in TASK_PATHS[task_state]:
        task = TASK_CALLS[move](task, staff.department_handler)
    assert task.state == task_state

    wrong = []
    for actor_name in ACTORS:
        for move, call in TASK_CALLS.items():
            starts, target = TASK_MOVES[move]
            if actor_name not in TASK_PEOPLE:
                want: tuple = (403, "只有本部门人员才能处理本部门的任务。")
            elif task_state not in starts:
                want = (409, f"处于“{TASK_LABEL[task_state]}”状态的任务不能进行此操作。")
            else:
                want = ("ok", target)
            before = task_row(task)
            with transaction.atomic():
                try:
                    moved = call(task, cast.actor(actor_name))
                except Refusal as refusal:
                    got: tuple = (refusal.status, refusal.message)
                    assert task_row(task) == before, f"{move} refused but changed something"
                else:
                    got = ("ok", moved.state)
                    version, state, *_rest, events = case_row(task.case)
                    assert (version, state) == (before[-1][0] + 1, "handling")
                    assert events[-1] == (version, move)
                transaction.set_rollback(True)
            if got != want:
                wrong.append(f"{move} by {actor_name}: got {got}, expected {want}")
    assert not wrong, f"task {task_state}:\n" + "\n".join(wrong)


def test_a_task_is_returned_only_with_a_reason(staff: Staff) -> None:
    case = actions.acknowledge_case(_dispatched(staff, "moderate"), actor=staff.street_dispatcher)
    case = actions.whistle_case(case, actor=staff.street_dispatcher, lead=staff.tree.department)
    task = case.tasks.get()
    before = task_row(task)
    with pytest.raises(Refusal, match="请填写任务退回的理由。") as refused:
        actions.return_task(task, actor=staff.department_handler, reason="  ")
    assert refused.value.status == 400
    with pytest.raises(Refusal, match="只有本部门人员") as refused:
        actions.return_task(task, actor=staff.street_dispatcher, reason="")
    assert refused.value.status == 403  # the right is checked before the input
    assert task_row(task) == before


# --- 400: the input is the problem -------------------------------------------------------------

WORD_NEEDS_BOTH = "请一并记录星级和是否解决（群众未作答复时两项都不填）。"
NO_WORD = "未联系上群众，不能记录评价。"
INPUT_REFUSALS = [
    ("submitted", "triage", {"urgency": "soon"}, "未知的紧急程度：soon"),
    ("submitted", "triage", {"tier": "huge"}, "未知的事项等级：huge"),
    ("untriaged", "dispatch", {}, "请先分类（选择事项类别），再派单。"),
    ("submitted", "dispatch", {"unit": "department"}, "职能部门须通过吹哨召集，不能直接派单。"),
    ("submitted", "reject", {"reason": " "}, "请填写不予受理的理由。"),
    ("submitted", "merge", {"into": "itself"}, "工单不能合并到自身。"),
    ("submitted", "merge", {"into": "closed"}, "只能合并到您可查看的、未结束的工单。"),
    ("submitted", "fix_on_the_spot", {"reply": ""}, "请填写处置情况。"),
    ("dispatched", "return", {"reason": ""}, "请填写退单理由。"),
    ("dispatched", "escalate", {"reason": ""}, "请填写提级理由。"),
    ("handling", "handle", {"note": ""}, "请填写处置情况。"),
    ("handling", "handle", {"attachments": ["nope.jpg"]}, "不是本工单的照片：nope.jpg"),
    ("handling", "resolve", {"reply": " "}, "办结需要填写给群众的答复。"),
    ("resolved", "verify", {"passed": False, "note": ""}, "请填写核查未通过的原因。"),
    ("follow_up", "rate", {"rating": 0}, "评价为 1 到 5 星。"),
    ("follow_up", "rate", {"rating": 6}, "评价为 1 到 5 星。"),
    ("follow_up", "follow_up", {"rating": 6, "solved": True}, "评价为 1 到 5 星。"),
    ("follow_up", "follow_up", {"rating": 4}, WORD_NEEDS_BOTH),
    ("follow_up", "follow_up", {"solved": False}, WORD_NEEDS_BOTH),
    ("follow_up", "follow_up", {"reached": False, "rating": 4, "solved": True}, NO_WORD),
    ("closed", "reopen", {"reason": ""}, "请填写返工理由。"),
    ("closed", "withdraw", {"reason": " "}, "请填写撤下公开的理由。"),
    ("dispatched", "whistle", {"lead": "community"}, "只能向启用中的职能部门吹哨。"),
]


@pytest.mark.parametrize(
    ("state", "action", "bad", "message"),
    INPUT_REFUSALS,
    ids=[f"{a}-{'-'.join(b)}-{i}" for i, (_s, a, b, _m) in enumerate(INPUT_REFUSALS)],
)
def test_input_refusals(staff: Staff, state: str, action: str, bad: dict, message: str) -> None:
    """400 with the reason, nothing stored; and 403 still comes first."""
    builders = {b.state: b.build for b in BUILT if b.owner != "street" and not b.name}
    builders["untriaged"] = lambda s: submit(s.tree)
    builders["dispatched"] = lambda s: _dispatched(s, "moderate")  # the street's: whistled
    case = builders[state](staff)
    kwargs = inputs(action, staff, _dispatched(staff)) | bad
    if bad.get("into") == "itself":
        kwargs["into"] = case.tracking_code
    elif bad.get("into") == "closed":
        kwargs["into"] = next(b for b in BUILT if b.state == "closed").build(staff).tracking_code
    if bad.get("unit") == "department":
        kwargs["unit"] = staff.tree.department
    if bad.get("lead") == "community":
        kwargs["lead"] = staff.tree.communities[0]
    entitled = {
        "submitted": D,
        "untriaged": D,
        "dispatched": S,
        "handling": C,
        "resolved": G,
        "follow_up": O,
        "closed": L,
    }[state]
    if action == "fix_on_the_spot":
        entitled = G
    before = case_row(case)
    for actor, status in ((SUPERUSER, 400), (entitled, 400), ("outsider", 403)):
        with pytest.raises(Refusal) as refused:
            FUNCTIONS[action](case, actor=cast_of_one(staff, actor), **kwargs)
        assert refused.value.status == status, f"{actor}: {refused.value.message}"
        if status == 400:
            assert refused.value.message == message
        assert case_row(case) == before


def cast_of_one(staff: Staff, name: str) -> User | None:
    if name == SUPERUSER:
        return UserFactory(is_superuser=True)
    return getattr(staff, name)
