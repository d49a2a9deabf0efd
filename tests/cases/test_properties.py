"""Random sequences of transitions by random people never break a case: every
refusal is a clean 4xx-type refusal that changes nothing, and the stored state
always equals the replay of the event log."""

from __future__ import annotations

import itertools

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases.models import FINAL_STATES, Case, State, Urgency
from civicgrid.cases.rules import DUE_FIELD
from civicgrid.errors import Refusal
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import assert_log_is_truth
from tests.cases.test_permissions import ACTORS, FUNCTIONS
from tests.factories import submit

# A follow-up call that reaches the resident and takes their word: a step of its own.
CALLS = {**FUNCTIONS, "follow_up_word": FUNCTIONS["follow_up"]}
STEPS = st.lists(
    st.tuples(st.sampled_from(sorted(CALLS)), st.sampled_from([*ACTORS, None]), st.booleans()),
    min_size=1,
    max_size=30,
)


def kwargs_for(action: str, staff: Staff, flag: bool, other) -> dict:  # type: ignore[no-untyped-def]
    return {
        "triage": {
            "category": staff.categories["moderate" if flag else "minor"],
            "urgency": Urgency.URGENT if flag else Urgency.NORMAL,
        },
        "dispatch": {},
        "reject": {"reason": "无效诉求"},
        "merge": {"into": other.tracking_code},
        "acknowledge": {},
        "return": {"reason": "不属于本单位"},
        "handle": {"note": "已到场处置"},
        "resolve": {"reply": "已处理完毕"},
        "escalate": {"reason": "需上级协调"},
        "verify": {"passed": flag, "note": "" if flag else "问题仍在"},
        "follow_up": {"reached": flag},
        "follow_up_word": {"reached": True, "rating": 5 if flag else 1, "solved": flag},
        "rate": {"rating": 5 if flag else 2, "solved": flag},
        "close": {},
        "reopen": {"reason": "群众再次反映"},
        "supervise": {"reason": "重点关注"},
        "remind": {},
        "whistle": {"lead": staff.tree.department},
    }[action]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_random_walks_keep_the_log_true(staff: Staff, steps) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        other = submit(staff.tree, title="另一条诉求")
        case = submit(staff.tree)
        for action, actor_name, flag in steps:
            actor = getattr(staff, actor_name) if actor_name else None
            before = (case.state, case.version)
            try:
                case = CALLS[action](case, actor=actor, **kwargs_for(action, staff, flag, other))
            except Refusal as refusal:
                assert refusal.message and 400 <= refusal.status < 500
                case.refresh_from_db()
                assert (case.state, case.version) == before, f"refused {action} changed the case"
            else:
                assert case.version == before[1] + 1, f"{action} wrote not exactly one event"
            assert_log_is_truth(case)
            events = list(case.events.order_by("seq"))
            assert [e.seq for e in events] == list(range(1, case.version + 1))
            assert all(a.to_state == b.from_state for a, b in itertools.pairwise(events))
            if case.state in FINAL_STATES and case.state != State.CLOSED:
                assert case.closed_at is not None
            stored = Case.objects.values_list("due_at", flat=True).get(pk=case.pk)
            due_field = DUE_FIELD.get(case.state)
            assert stored == (getattr(case, due_field) if due_field else None), (
                f"due_at is not the {case.state} case's deadline after {action}"
            )
        transaction.set_rollback(True)
