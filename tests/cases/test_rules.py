"""The rules are pure, and the two writers of their plans agree.

``actions`` (one locked case) and the sweeper's batches (``bulk.carry_out``) carry out
the same rule functions; here random sets of due cases (every owner level, with and
without a dispatcher above or below, departments at work or not, reminders and
overdue deadlines) go through both, and the rows and events they leave must be equal.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases import actions, clock, rules
from civicgrid.cases.models import (
    Case,
    CaseEvent,
    DeadlineMark,
    State,
    TaskState,
    Tier,
    Urgency,
    WhistleTask,
)
from civicgrid.cases.rules import NOWHERE, Snapshot, Surroundings
from civicgrid.dispatch import sweeper
from civicgrid.errors import Conflict, Invalid, Refusal
from civicgrid.org.models import Level, Unit, UnitKind
from tests.cases.conftest import Staff
from tests.factories import make_unit

STATES = [State.DISPATCHED, State.HANDLING, State.FOLLOW_UP]
CATEGORIES = [None, "micro", "minor", "moderate", "major"]
# Owners and dispatchers, named by what they are in the test tree (built in ``units``).
UNITS = [
    "district",
    "street",
    "community",
    "grid",
    "other_street",
    "department",
    "sub_department",
]

case_specs = st.lists(
    st.fixed_dictionaries(
        {
            "state": st.sampled_from(STATES),
            "owner": st.sampled_from(UNITS),
            "dispatcher": st.sampled_from([None, *UNITS]),
            "tier": st.sampled_from([*Tier.values, ""]),
            "category": st.sampled_from(CATEGORIES),
            "urgency": st.sampled_from(Urgency.values),
            "whistled": st.booleans(),
            "overdue": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)


def units(staff: Staff) -> dict:  # type: ignore[type-arg]
    tree = staff.tree
    sub = Unit.objects.filter(code="DX0101").first() or make_unit(
        "DX0101", "区城管局执法大队", UnitKind.DEPARTMENT, tree.department
    )
    return {
        "district": tree.district,
        "street": tree.streets[0],
        "community": tree.communities[0],
        "grid": tree.grids[0],
        "other_street": tree.streets[1],
        "department": tree.department,
        "sub_department": sub,
    }


DUE_FIELD = {s: f"{name}_due" for s, (name, _f) in sweeper.DEADLINES.items()}


def _make(spec: dict, where: dict, staff: Staff, now: datetime) -> Case:  # type: ignore[type-arg]
    """A case as the spec says, built as rows: the fixture, not what is tested."""
    due = now - timedelta(minutes=5) if spec["overdue"] else now + timedelta(minutes=20)
    category = staff.categories[spec["category"]] if spec["category"] else None
    case = Case.objects.create(
        channel="web",
        title="测试",
        text="测试工单",
        category=category,
        urgency=spec["urgency"],
        tier=spec["tier"],
        owner_unit=where[spec["owner"]],
        dispatcher_unit=where[spec["dispatcher"]] if spec["dispatcher"] else None,
        grid=staff.tree.grids[0],
        state=spec["state"],
        version=3,
        created_at=now - timedelta(days=2),
        **{DUE_FIELD[spec["state"]]: due},
    )
    if spec["whistled"]:
        WhistleTask.objects.create(
            case=case,
            case_created_at=case.created_at,
            department=staff.tree.department,
            state=TaskState.WORKING,
            check_in_due=now + timedelta(days=30),
        )
    return case


def _by_hand(case: Case, spec: dict, now: datetime) -> None:  # type: ignore[type-arg]
    """What the sweeper does to ``case``, through the one-case transitions."""
    name, due_field = sweeper.DEADLINES[State(case.state)]
    due = getattr(case, due_field)
    stage = DeadlineMark.Stage.OVERDUE if spec["overdue"] else DeadlineMark.Stage.REMIND
    with clock.at(now):
        if stage == DeadlineMark.Stage.REMIND:
            note = sweeper._note(sweeper.REMIND_NOTE, name, due)
            actions.remind_case(case, actor=None, note=note, deadline=name)
        else:
            note = sweeper._note(sweeper.OVERDUE_NOTE, name, due)
            if name in sweeper.ESCALATING:
                with contextlib.suppress(Refusal):  # the district; departments at work
                    case = actions.escalate_case(case, actor=None, reason=note, deadline=name)
            actions.supervise_case(case, actor=None, reason=note, deadline=name)
    DeadlineMark.objects.create(case=case, deadline=name, due=due, stage=stage)


COLUMNS = [
    "owner_unit_id",
    "dispatcher_unit_id",
    "tier",
    "state",
    "category_id",
    "urgency",
    "acknowledge_due",
    "resolve_due",
    "follow_up_due",
    "escalations",
    "supervised",
    "reminders",
    "returns",
    "reopens",
    "version",
]
EVENT_COLUMNS = [
    "seq",
    "action",
    "actor_id",
    "at",
    "from_state",
    "to_state",
    "from_unit_id",
    "to_unit_id",
    "note",
    "data",
    "attachments",
]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=case_specs)
def test_the_sweepers_batches_write_what_the_transitions_write(staff: Staff, specs) -> None:  # type: ignore[no-untyped-def]
    Case.objects.all().delete()  # the fixture lives across examples
    where = units(staff)
    now = timezone.now().replace(microsecond=0)
    pairs = [(_make(s, where, staff, now), _make(s, where, staff, now), s) for s in specs]
    for one, _batch, spec in pairs:
        _by_hand(one, spec, now)
    sweeper.sweep(now)
    for one, batch, spec in pairs:
        one.refresh_from_db()
        batch.refresh_from_db()
        assert [getattr(one, c) for c in COLUMNS] == [getattr(batch, c) for c in COLUMNS], spec
        theirs = CaseEvent.objects.filter(case=batch).order_by("seq").values_list(*EVENT_COLUMNS)
        ours = CaseEvent.objects.filter(case=one).order_by("seq").values_list(*EVENT_COLUMNS)
        assert list(ours) == list(theirs), spec
        assert list(ours), f"the sweep did nothing to {spec}"


# --- the rules alone: no database -----------------------------------------------------------

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


def _snapshot(**changes: object) -> Snapshot:
    base = {
        "pk": 7,
        "state": State.HANDLING,
        "owner_unit_id": 30,
        "dispatcher_unit_id": 20,
        "grid_id": 40,
        "tier": Tier.MINOR,
        "category_id": 5,
        "urgency": Urgency.NORMAL,
        "version": 4,
    }
    return Snapshot(**{**base, **changes})  # type: ignore[arg-type]


def _around(**changes: object) -> Surroundings:
    base = {
        "owner_level": Level.COMMUNITY,
        "above_id": 20,
        "above_tier": Tier.MODERATE,
        "above_up_id": 10,
        "dispatcher_within_above": True,
        "open_tasks": False,
        "grid_may_self_handle": True,
    }
    return Surroundings(**{**base, **changes})  # type: ignore[arg-type]


def test_an_escalation_moves_the_case_and_its_dispatcher_up() -> None:
    plan = rules.escalate(
        _snapshot(), _around(), at=AT, reason="超时", acknowledge_due=AT, deadline="resolve"
    )
    changes = dict(plan.changes)
    assert changes["owner_unit_id"] == 20 and changes["dispatcher_unit_id"] == 10, (
        "a return from the street must go to the district, not back down"
    )
    assert changes["tier"] == Tier.MODERATE and changes["state"] == State.DISPATCHED
    assert plan.counts == ("escalations",) and plan.seq == 5
    assert (plan.from_unit_id, plan.to_unit_id) == (30, 20)
    assert plan.data == {"deadline": "resolve", "tier": Tier.MODERATE}
    # a dispatcher outside the unit above stays where it is
    kept = rules.escalate(
        _snapshot(dispatcher_unit_id=99),
        _around(dispatcher_within_above=False),
        at=AT,
        reason="超时",
        acknowledge_due=AT,
    )
    assert dict(kept.changes)["dispatcher_unit_id"] == 99
    # a higher tier is never lowered
    major = rules.escalate(
        _snapshot(tier=Tier.MAJOR), _around(), at=AT, reason="超时", acknowledge_due=AT
    )
    assert dict(major.changes)["tier"] == Tier.MAJOR


def test_what_the_surroundings_forbid_is_refused_by_the_rule() -> None:
    for around, words in [
        (_around(above_id=None, above_tier=None), "已在区级"),
        (_around(open_tasks=True), "部门"),
    ]:
        try:
            rules.escalate(_snapshot(), around, at=AT, reason="超时", acknowledge_due=AT)
        except Conflict as refusal:
            assert words in refusal.message
        else:
            raise AssertionError(f"escalated despite {around}")
    for level in (Level.GRID, Level.COMMUNITY, None):
        try:
            rules.whistle(
                _snapshot(),
                _around(owner_level=level),
                at=AT,
                lead_code="X",
                assisting_codes=[],
                task_ids=[],
                check_in_due=AT,
            )
        except Conflict as refusal:
            assert "街镇或区级" in refusal.message
        else:
            raise AssertionError(f"whistled a case owned at {level}")
    try:
        rules.return_(
            _snapshot(dispatcher_unit_id=None),
            _around(above_id=None),
            at=AT,
            reason="不属于本单位",
        )
    except Conflict as refusal:
        assert "区级" in refusal.message
    else:
        raise AssertionError("returned a case with nowhere to go")


def test_a_plan_after_a_plan_starts_where_the_first_ends() -> None:
    first = rules.escalate(_snapshot(), _around(), at=AT, reason="超时", acknowledge_due=AT)
    second = rules.supervise(_snapshot().after(first), NOWHERE, at=AT, reason="超时")
    assert second.seq == first.seq + 1
    assert second.from_state == State.DISPATCHED and second.from_unit_id == 20


def test_input_a_rule_cannot_do_without_is_refused() -> None:
    terms = rules.FollowUpTerms(
        max_attempts=3, reopen_not_solved=True, reopen_at_most_stars=2, max_reopens=2
    )
    follow_up = _snapshot(state=State.FOLLOW_UP)
    for call in (
        lambda: rules.reopen(_snapshot(state=State.CLOSED), NOWHERE, at=AT, reason="  "),
        lambda: rules.rate(follow_up, NOWHERE, at=AT, terms=terms, rating=True, solved=True),
        lambda: rules.rate(follow_up, NOWHERE, at=AT, terms=terms, rating=6, solved=True),
        lambda: rules.rate(follow_up, NOWHERE, at=AT, terms=terms, rating=4, solved=None),
    ):
        try:
            call()
        except Invalid:
            pass
        else:
            raise AssertionError("accepted")
